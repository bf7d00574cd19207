// Declarations for the package: tsc emits one .d.ts per source file (dist/types, the ESM view),
// then a copy as .d.cts with `.cjs` specifiers (dist/types-cjs) describes the CommonJS build, so
// TypeScript's node16 `require` resolution sees CommonJS types for CommonJS code. Per-file
// declarations keep `export * as nn` namespaces intact (bundled declarations lost their types).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const esmDir = 'dist/types';
const cjsDir = 'dist/types-cjs';
rmSync(esmDir, { recursive: true, force: true });
rmSync(cjsDir, { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });

function* declarations(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* declarations(path);
    else if (entry.name.endsWith('.d.ts')) yield path;
  }
}

// Relative specifiers only: `from './x.js'`, `import('./x.js')`, `export * from '../y.js'`.
const relativeJs = /((?:from|import)\s*\(?\s*['"])(\.\.?\/[^'"]*?)\.js(['"])/g;
let files = 0;
for (const path of declarations(esmDir)) {
  const target = join(cjsDir, relative(esmDir, path)).replace(/\.d\.ts$/, '.d.cts');
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, readFileSync(path, 'utf8').replace(relativeJs, '$1$2.cjs$3'));
  files++;
}
console.log(`declarations: ${files} files in ${esmDir} (ESM) and ${cjsDir} (CommonJS)`);
