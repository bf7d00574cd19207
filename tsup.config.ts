import { defineConfig, type Options } from 'tsup';
import { wgslMinifiedPlugin } from './scripts/wgsl-minify.mjs';

const shared: Options = {
  // Kernels inlined as text with their kernels/lib functions appended, comments and indentation removed.
  esbuildPlugins: [wgslMinifiedPlugin],
  external: ['webgpu'],
  sourcemap: true,
  target: 'es2022',
};

export default defineConfig([
  {
    ...shared,
    // One build for the three library entries, so they share one copy of the core (one backend
    // registry, one Tensor class) through split chunks, in CJS as in ESM.
    // The ops and each namespace are entries too (not public paths): esbuild groups code into
    // chunks by the entries that reach it, so these keep the ops and each namespace in chunks of
    // their own. A bundler then drops a whole chunk whose exports a program does not use (with
    // package.json's sideEffects); inside one chunk, `export * as nn`'s namespace object would
    // keep every module of the namespace alive.
    entry: {
      index: 'src/index.ts',
      node: 'src/node.ts',
      'models/index': 'models/index.ts',
      'parts/ops': 'src/ops/index.ts',
      'parts/nn': 'src/nn/index.ts',
      'parts/optim': 'src/optim/index.ts',
      'parts/io': 'src/io/index.ts',
      'parts/metrics': 'src/metrics/index.ts',
    },
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
