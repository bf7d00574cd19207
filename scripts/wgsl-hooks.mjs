// Node module hooks: `import src from './kernel.wgsl'` yields the file's composed text (its
// kernels/lib functions appended, scripts/wgsl-compose.mjs), as the bundles get it. Used to run
// TypeScript sources directly: node --import tsx --import ./scripts/wgsl-register.mjs
import { fileURLToPath } from 'node:url';
import { composeWgsl } from './wgsl-compose.mjs';

export async function load(url, context, nextLoad) {
  if (url.endsWith('.wgsl')) {
    const { source } = composeWgsl(fileURLToPath(url));
    return { format: 'module', source: `export default ${JSON.stringify(source)};`, shortCircuit: true };
  }
  return nextLoad(url, context);
}
