import { defineConfig } from 'vitest/config';
import { composeWgsl } from './scripts/wgsl-compose.mjs';

// WGSL kernels are imported as their composed text (kernels/lib appended), exactly as the bundles get them.
const wgslAsText = {
  name: 'wgsl-as-text',
  transform(_code: string, id: string) {
    if (!id.endsWith('.wgsl')) return null;
    return { code: `export default ${JSON.stringify(composeWgsl(id).source)};`, map: null };
  },
};

export default defineConfig({
  plugins: [wgslAsText],
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup/env.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
