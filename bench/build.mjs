#!/usr/bin/env node
/**
 * Bundles the benchmark entries with esbuild (kernels inlined as text, like the library build):
 *   node bench/build.mjs node      -> bench/.build/node.mjs     (Node, ESM, `webgpu` external)
 *   node bench/build.mjs browser   -> bench/.build/browser.js + index.html (browser, ESM)
 *   node bench/build.mjs           -> both
 * tfjs is bundled from its ES module builds (`module` before `main`): the CJS Node builds lack
 * parts (gradients) and their extension-less ESM imports do not load in plain Node either.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { wgslEsbuildPlugin } from '../scripts/wgsl-compose.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '.build');
const targets = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const want = (t) => targets.length === 0 || targets.includes(t);
mkdirSync(out, { recursive: true });

const common = {
  bundle: true,
  format: 'esm',
  // Kernels inlined as text, their kernels/lib functions appended (scripts/wgsl-compose.mjs).
  plugins: [wgslEsbuildPlugin],
  mainFields: ['module', 'main'],
  logLevel: 'warning',
  sourcemap: 'linked',
  legalComments: 'none',
};

if (want('node')) {
  await esbuild.build({
    ...common,
    entryPoints: [join(here, 'node.ts')],
    platform: 'node',
    target: 'node20',
    external: ['webgpu'],
    outfile: join(out, 'node.mjs'),
  });
}

if (want('browser')) {
  await esbuild.build({
    ...common,
    entryPoints: [join(here, 'browser.ts')],
    platform: 'browser',
    target: 'chrome120',
    // Our device code imports `webgpu` only in Node, behind a computed specifier; keep it out anyway.
    external: ['webgpu'],
    outfile: join(out, 'browser.js'),
  });
  writeFileSync(
    join(out, 'index.html'),
    `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>@genlab/tensor bench</title></head>
<body><pre id="log">Loading…</pre><script type="module" src="./browser.js"></script></body></html>
`,
  );
}
