/**
 * Node entry of the benchmark suite: `npm run bench -- [--quick] [--filter <s>] [--json <path>]`.
 *
 * Runs bundled (bench/build.mjs -> bench/.build/node.mjs, or `.gpu/main.mjs` for an NVIDIA machine
 * without Node: bench/README.md), with `webgpu` (Dawn) external. tfjs-backend-webgpu registers itself only if
 * `navigator.gpu` exists when it is evaluated, so the GPU object is installed first and tfjs is
 * imported dynamically afterwards. Our backend finds the same `navigator.gpu`: both libraries
 * get their device from the same Dawn instance and adapter.
 */
import { existsSync, mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type * as TF from '@tensorflow/tfjs-core';
import { USAGE, defaultResultName, parseArgs, report, runSuite, type BenchEnv } from './suite.js';

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log(`Usage: npm run bench -- [flags]\n${USAGE}`);
    return;
  }

  // A machine with no GPU: let Dawn use SwiftShader (Chromium's Vulkan ICD) unless a driver was chosen.
  if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && existsSync(SWIFTSHADER)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER;
  }
  if (!process.env.XDG_RUNTIME_DIR) {
    const dir = '/tmp/genlab-xdg';
    mkdirSync(dir, { recursive: true });
    process.env.XDG_RUNTIME_DIR = dir;
  }
  // tfjs-core's Node platform calls require('util') at load time; an ESM bundle has no `require`.
  const g = globalThis as Record<string, unknown>;
  if (typeof g.require === 'undefined') g.require = createRequire(import.meta.url);

  const moduleName = 'webgpu';
  const dawn = (await import(/* @vite-ignore */ moduleName)) as typeof import('webgpu');
  // tfjs uses the GPUBufferUsage / GPUMapMode / ... globals.
  for (const [k, v] of Object.entries(dawn.globals)) if (!(k in g)) g[k] = v;
  const gpu = dawn.create([]);
  if (g.navigator && typeof g.navigator === 'object') Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  else g.navigator = { gpu };

  const tf = (await import('@tensorflow/tfjs-core')) as typeof TF;
  await import('@tensorflow/tfjs-backend-webgpu');
  await import('@tensorflow/tfjs-backend-cpu');
  // The wasm rows' peer: its .wasm files load from the package's dist folder (the bundle inlines
  // only the JavaScript, whose Emscripten loader also wants a CommonJS `__dirname`); one thread,
  // the single-threaded SIMD build Node gets anyway.
  const tfWasmDist = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
  g.__dirname ??= tfWasmDist;
  const tfWasm = await import('@tensorflow/tfjs-backend-wasm');
  tfWasm.setWasmPaths(`${tfWasmDist}/`);
  tfWasm.setThreadsCount(1);
  if (!tf.findBackendFactory('webgpu')) throw new Error('tfjs-backend-webgpu did not register (navigator.gpu missing when it was imported?)');

  const env: BenchEnv = {
    runtime: 'node',
    runtimeVersion: `node ${process.version}`,
    tf,
    now: () => performance.now(),
    log: (line) => console.log(line),
    cores: (await import('node:os')).availableParallelism(),
  };
  const res = await runSuite(env, args);
  console.log(report(res));

  const path = resolve(args.json ?? `bench/results/${defaultResultName(res)}`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, JSON.stringify(res, null, 2) + '\n');
  renameSync(`${path}.tmp`, path);
  console.log(`\nWrote ${path}`);
}

main().then(
  () => process.exit(0), // Dawn keeps the event loop alive
  (err) => {
    // Our own argument errors need no stack trace.
    console.error(err instanceof Error ? (err.message.startsWith('bench:') ? err.message : (err.stack ?? err.message)) : err);
    process.exit(1);
  },
);
