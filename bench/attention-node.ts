/**
 * Attention and softmax against @tensorflow/tfjs-backend-webgpu, in one Node process on one
 * adapter (the suite in suite.ts has no hook for rows defined outside it yet, so this stands alone):
 *
 *   attention B x 4 heads x L x 32, L = 49 and 196: ours = fused scaledDotProductAttention,
 *     tfjs = its composition matMul(softmax(matMul(q, k^T) * scale), v); forward, and
 *     forward + backward (gradients of sum(out * w) for q, k and v);
 *   softmax over the last axis of 64 x 1000.
 *
 *   npx esbuild bench/attention-node.ts --bundle --platform=node --format=esm --target=node20 \
 *     --loader:.wgsl=text --main-fields=module,main --external:webgpu --outfile=bench/.build/attention-node.mjs \
 *     && node bench/.build/attention-node.mjs [--batch 4] [--reps 15]
 *
 * tfjs is bundled from its ES modules (its CJS Node build lacks gradients). Timing follows
 * bench/README.md: every sample ends when the device is idle (ours: sync('webgpu'); tfjs: end its
 * open pass, submit, await onSubmittedWorkDone on its device); contestants alternate sample by
 * sample; medians are reported. Outputs are compared once before timing.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as TF from '@tensorflow/tfjs-core';
import * as G from '../src/index.js';

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';

interface Contestant {
  run(): void;
  wait(): Promise<void>;
  output(): Promise<ArrayLike<number>>;
}

interface RowResult {
  row: string;
  ours: number;
  tfjs: number;
  relError: number;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return a.length === b.length ? diff / (scale || 1) : Infinity;
}

/** Warm up both (compiles pipelines), compare outputs, then alternate timed samples. */
async function measure(row: string, ours: Contestant, tfjs: Contestant, reps: number): Promise<RowResult> {
  const err = relError(await ours.output(), await tfjs.output());
  const time = async (c: Contestant) => {
    const t0 = performance.now();
    c.run();
    await c.wait();
    return performance.now() - t0;
  };
  for (let i = 0; i < 3; i++) {
    await time(ours);
    await time(tfjs);
  }
  const samples = { ours: [] as number[], tfjs: [] as number[] };
  for (let r = 0; r < reps; r++) {
    const order: ['ours' | 'tfjs', Contestant][] = r % 2 ? [['tfjs', tfjs], ['ours', ours]] : [['ours', ours], ['tfjs', tfjs]];
    for (const [name, c] of order) samples[name].push(await time(c));
  }
  const result = { row, ours: median(samples.ours), tfjs: median(samples.tfjs), relError: err };
  console.log(`${row}: ours ${result.ours.toFixed(2)} ms, tfjs ${result.tfjs.toFixed(2)} ms, x${(result.tfjs / result.ours).toFixed(2)}, rel. err ${err.toExponential(1)}`);
  return result;
}

async function main(): Promise<void> {
  if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && existsSync(SWIFTSHADER)) process.env.VK_ICD_FILENAMES = SWIFTSHADER;
  if (!process.env.XDG_RUNTIME_DIR) {
    mkdirSync('/tmp/genlab-xdg', { recursive: true });
    process.env.XDG_RUNTIME_DIR = '/tmp/genlab-xdg';
  }
  const g = globalThis as Record<string, unknown>;
  if (typeof g.require === 'undefined') g.require = createRequire(import.meta.url);
  const moduleName = 'webgpu';
  const dawn = (await import(/* @vite-ignore */ moduleName)) as typeof import('webgpu');
  for (const [k, v] of Object.entries(dawn.globals)) if (!(k in g)) g[k] = v;
  const gpu = dawn.create([]);
  if (g.navigator && typeof g.navigator === 'object') Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  else g.navigator = { gpu };
  // tfjs-backend-webgpu registers itself only if navigator.gpu exists when it is evaluated.
  const tf = (await import('@tensorflow/tfjs-core')) as typeof TF;
  // The ES module build registers gradients only through this side-effect import.
  await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  await import('@tensorflow/tfjs-backend-webgpu');
  await tf.setBackend('webgpu');
  await tf.ready();
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  const info = await G.initWebGPU({ gpu });
  const tfBackend = tf.findBackend('webgpu') as unknown as { device: GPUDevice; commandEncoder: unknown; endComputePassEncoder(): void; submitQueue(): void };
  console.log(`adapter: ${info.adapter}${info.isSoftware ? ' [software]' : ''}`);

  const tfWait = async () => {
    if (tfBackend.commandEncoder) {
      tfBackend.endComputePassEncoder();
      tfBackend.submitQueue();
    }
    await tfBackend.device.queue.onSubmittedWorkDone();
  };
  const oursWait = () => G.sync('webgpu');
  const batch = arg('batch', 4);
  const reps = arg('reps', 15);
  const heads = 4;
  const depth = 32;
  const rows: RowResult[] = [];

  for (const length of [49, 196]) {
    const shape = [batch, heads, length, depth];
    G.manualSeed(length);
    const [q, k, v, w] = [0, 1, 2, 3].map(() => G.randn(shape, { device: 'webgpu' }));
    const host = await Promise.all([q, k, v, w].map((t) => t!.data()));
    const [tq, tk, tv, tw] = host.map((h) => tf.tensor(Float32Array.from(h), shape));
    const scale = 1 / Math.sqrt(depth);
    const tfAttention = (a: TF.Tensor, b: TF.Tensor, c: TF.Tensor) => tf.matMul(tf.softmax(tf.mul(tf.matMul(a, b, false, true), scale)), c);
    const oursGrads = () => G.tidy(() => {
      const [, grads] = G.valueAndGrad((a, b, c) => G.sum(G.mul(G.scaledDotProductAttention(a, b, c), w!)))(q!, k!, v!);
      return G.stack(grads, 0);
    });
    const tfGrads = () => tf.tidy(() => tf.stack(tf.grads((a: TF.Tensor, b: TF.Tensor, c: TF.Tensor) => tf.sum(tf.mul(tfAttention(a, b, c), tw!)))([tq!, tk!, tv!])));
    const label = `attention ${batch}x${heads}x${length}x${depth}`;
    rows.push(await measure(`${label} fwd`, {
      run: () => G.tidy(() => G.scaledDotProductAttention(q!, k!, v!)).dispose(),
      wait: oursWait,
      output: () => G.tidy(() => G.scaledDotProductAttention(q!, k!, v!)).data(),
    }, {
      run: () => tf.tidy(() => tfAttention(tq!, tk!, tv!)).dispose(),
      wait: tfWait,
      output: () => tf.tidy(() => tfAttention(tq!, tk!, tv!)).data() as Promise<Float32Array>,
    }, reps));
    rows.push(await measure(`${label} fwd+bwd`, {
      run: () => oursGrads().dispose(),
      wait: oursWait,
      output: () => oursGrads().data(),
    }, {
      run: () => tfGrads().dispose(),
      wait: tfWait,
      output: () => tfGrads().data() as Promise<Float32Array>,
    }, reps));
    [q, k, v, w].forEach((t) => t!.dispose());
    [tq, tk, tv, tw].forEach((t) => t!.dispose());
  }

  G.manualSeed(7);
  const x = G.mul(G.randn([64, 1000], { device: 'webgpu' }), 5);
  const tx = tf.tensor(Float32Array.from(await x.data()), [64, 1000]);
  rows.push(await measure('softmax 64x1000', {
    run: () => G.softmax(x).dispose(),
    wait: oursWait,
    output: () => G.softmax(x).data(),
  }, {
    run: () => tf.softmax(tx).dispose(),
    wait: tfWait,
    output: () => tf.softmax(tx).data() as Promise<Float32Array>,
  }, reps * 2));

  console.log(`\n${info.adapter}${info.isSoftware ? ' (software)' : ''}; medians of ${reps} alternating synchronised samples\n`);
  console.log('| row | ours (ms) | tfjs-webgpu (ms) | speedup | rel. err |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.row} | ${r.ours.toFixed(2)} | ${r.tfjs.toFixed(2)} | ${(r.tfjs / r.ours).toFixed(2)}x | ${r.relError.toExponential(1)} |`);
}

main().then(
  () => process.exit(0), // Dawn keeps the event loop alive
  (err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
