import { defineConfig, type Options } from 'tsup';
import { wgslEsbuildPlugin } from './scripts/wgsl-compose.mjs';

const shared: Options = {
  // Kernels inlined as text with their kernels/lib functions appended.
  esbuildPlugins: [wgslEsbuildPlugin],
  external: ['webgpu'],
  sourcemap: true,
  target: 'es2022',
};

export default defineConfig([
  {
    ...shared,
    // One build for the three library entries, so they share one copy of the core (one backend
    // registry, one Tensor class) through split chunks, in CJS as in ESM.
    entry: { index: 'src/index.ts', node: 'src/node.ts', 'models/index': 'models/index.ts' },
    format: ['esm', 'cjs'],
    splitting: true,
    // import.meta.url (the embedded MNIST's require) in the CJS build.
    shims: true,
    // Declarations come from scripts/build-types.mjs (tsc, one file per module).
    dts: false,
    clean: true,
  },
  {
    ...shared,
    // The `genlab` command: an ESM script (its shebang is kept).
    entry: { 'cli/main': 'src/cli/main.ts' },
    format: ['esm'],
  },
]);
