// The README's TypeScript blocks run as written (imports of '@genlab/tensor' pointed at the
// sources), and where a line says what it prints, `console.log(x); // { a, b }`, the value
// printed has exactly those keys, so the README and the actual output stay in step.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const blocks = [...readFileSync('README.md', 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

const PRINTS_KEYS = /^(\s*)console\.log\((.*)\);\s*\/\/\s*\{([^}]*)\}\s*$/;
const CHECK_KEYS = `const __printsKeys = (value: object, listed: string[]) => {
  const actual = Object.keys(value);
  if (actual.join() !== listed.join()) {
    console.error(\`README says { \${listed.join(', ')} } but the value has { \${actual.join(', ')} }\`);
    process.exitCode = 1;
  }
  console.log(value);
};
`;

/** The block as a runnable module: package imports resolved to the sources, key comments checked. */
function runnable(block: string): { source: string; checks: number } {
  let checks = 0;
  const lines = block.split('\n').map((line) => {
    const m = PRINTS_KEYS.exec(line);
    if (!m) return line;
    checks++;
    const keys = m[3]!.split(',').map((k) => k.trim()).filter(Boolean);
    return `${m[1]}__printsKeys(${m[2]}, ${JSON.stringify(keys)});`;
  });
  const source = lines.join('\n')
    .replace(/from '@genlab\/tensor\/(node|models)'/g, (_, sub: string) => `from '${resolve(sub === 'node' ? 'src/node.ts' : 'models/index.ts')}'`)
    .replace(/from '@genlab\/tensor'/g, `from '${resolve('src/index.ts')}'`);
  return { source: CHECK_KEYS + source, checks };
}

describe('README code blocks', () => {
  it('has TypeScript blocks to run', () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  it.each(blocks.map((block, i) => [i + 1, block] as const))('block %i runs and prints what it says', async (_n, block) => {
    const { source, checks } = runnable(block);
    const file = join(mkdtempSync(join(tmpdir(), 'genlab-readme-')), 'block.mts');
    writeFileSync(file, source);
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', '--import', resolve('scripts/wgsl-register.mjs'), file], { cwd: resolve('.') });
    const { stderr } = await run.catch((err: { stdout: string; stderr: string }) => ({ stderr: `exit non-zero\n${err.stderr}` }));
    expect(stderr).not.toMatch(/README says|exit non-zero|Error/);
    if (block.includes('T.memory()')) expect(checks).toBeGreaterThan(0);
  });
});
