import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  loader: { '.wgsl': 'text' },
  external: ['webgpu'],
  // wgsl_reflect's package entry is CJS under "type": "module"; bundling its ESM build sidesteps that.
  noExternal: ['wgsl_reflect'],
  sourcemap: true,
  clean: true,
  target: 'es2022',
});
