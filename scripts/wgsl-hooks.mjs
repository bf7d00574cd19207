// Node module hooks: `import src from './kernel.wgsl'` yields the file's text, as the esbuild text
// loader does in bundles. Used to run TypeScript sources directly: node --import tsx --import ./scripts/wgsl-register.mjs
import { readFile } from 'node:fs/promises';

export async function load(url, context, nextLoad) {
  if (url.endsWith('.wgsl')) {
    const text = await readFile(new URL(url), 'utf8');
    return { format: 'module', source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
  }
  return nextLoad(url, context);
}
