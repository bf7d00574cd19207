import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'models/index': 'models/index.ts', cli: 'src/cli/main.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts', 'models/index': 'models/index.ts' } },
  loader: { '.wgsl': 'text' },
  external: ['webgpu'],
  sourcemap: true,
  clean: true,
  target: 'es2022',
});
