/**
 * Convolution, transposed convolution and batch norm: ours against @tensorflow/tfjs-backend-webgpu
 * in one Node process on the same adapter, forward and forward + backward.
 *
 *   npx esbuild bench/conv-node.ts --bundle --platform=node --format=esm --loader:.wgsl=text \
 *     --main-fields=module,main --external:webgpu --outfile=bench/.build/conv-node.mjs \
 *     && node bench/.build/conv-node.mjs [--reps 3] [--filter <text>]
 *
 * Bundled because tfjs's CJS build lacks the gradients. tfjs-backend-webgpu only registers if
 * `navigator.gpu` exists when it is imported, so the Dawn GPU object is installed first; our backend
 * finds the same object. Layouts are converted outside the timed region (tfjs runs NHWC / HWIO,
 * ours NCHW / OIHW). Forward + backward computes the output and the gradients of every input
 * (data, weight, bias), from a fixed output gradient. A sample ends when the queue is idle; rounds
 * interleave the contestants, and medians are reported.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as TF from '@tensorflow/tfjs-core';
import * as G from '../src/index.js';

const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';

interface Contestant {
  run(): unknown;
  wait(): Promise<void>;
}

interface Row {
  /** ours / tfjs for the forward pass and for forward + backward. */
  cases: { fwd: [Contestant, Contestant]; fwdBwd: [Contestant, Contestant] };
  /** Max |ours - tfjs| / max |tfjs| of the forward outputs. */
  relError(): Promise<number>;
}

type Tfjs = typeof TF;

interface TfWebGPUBackend {
  device: GPUDevice;
  commandEncoder: GPUCommandEncoder | null;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

/** tfjs keeps dispatches in an open pass: end it and submit before waiting on its device. */
async function tfWait(tf: Tfjs): Promise<void> {
  const backend = tf.findBackend('webgpu') as unknown as TfWebGPUBackend;
  if (backend.commandEncoder) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
  await backend.device.queue.onSubmittedWorkDone();
}

const oursWait = () => G.sync('webgpu');

function relError(ours: ArrayLike<number>, peer: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < peer.length; i++) {
    diff = Math.max(diff, Math.abs(ours[i]! - peer[i]!));
    scale = Math.max(scale, Math.abs(peer[i]!));
  }
  return ours.length === peer.length ? diff / (scale || 1) : Infinity;
}

/** A host copy of `t` permuted by `order` (NCHW -> NHWC is [0, 2, 3, 1]). */
async function permuted(t: G.Tensor, order: number[]): Promise<Float32Array> {
  const p = G.permute(t, order);
  const data = (await p.data()) as Float32Array;
  p.dispose();
  return data;
}

async function convRow(tf: Tfjs, xShape: number[], wShape: number[], stride: number, transposed: boolean): Promise<Row> {
  const [n, c, h, w] = xShape as [number, number, number, number];
  const [, , kh, kw] = wShape as [number, number, number, number];
  const dev = { device: 'webgpu' as const };
  G.manualSeed(7);
  const x = G.randn(xShape, dev);
  const weight = G.mul(G.randn(wShape, dev), 0.1);
  const outChannels = transposed ? wShape[1]! : wShape[0]!;
  const bias = G.randn([outChannels], dev);
  const opts = { stride, padding: 1 };
  const forward = (xs: G.Tensor, ws: G.Tensor, bs: G.Tensor) =>
    transposed ? G.convTranspose2d(xs, ws, bs, opts) : G.conv2d(xs, ws, bs, opts);
  const y = G.noGrad(() => forward(x, weight, bias));
  const dy = G.randn([...y.shape], dev);
  const [, , ho, wo] = y.shape as [number, number, number, number];

  // tfjs: NHWC data; conv filters HWIO; transposed-conv filters [kh, kw, out, in].
  const tx = tf.tensor4d(await permuted(x, [0, 2, 3, 1]), [n, h, w, c]);
  const tw = transposed
    ? tf.tensor4d(await permuted(weight, [2, 3, 1, 0]), [kh, kw, outChannels, c])
    : tf.tensor4d(await permuted(weight, [2, 3, 1, 0]), [kh, kw, c, outChannels]);
  const tb = tf.tensor1d((await bias.data()) as Float32Array);
  const tdy = tf.tensor4d(await permuted(dy, [0, 2, 3, 1]), [n, ho, wo, outChannels]);
  const tfForward = (xs: TF.Tensor, ws: TF.Tensor, bs: TF.Tensor): TF.Tensor =>
    transposed
      ? tf.add(tf.conv2dTranspose(xs as TF.Tensor4D, ws as TF.Tensor4D, [n, ho, wo, outChannels], stride, 'same'), bs)
      : tf.fused.conv2d({ x: xs as TF.Tensor4D, filter: ws as TF.Tensor4D, strides: stride, pad: 1, bias: bs });
  const tfGrads = tf.grads((a: TF.Tensor, b: TF.Tensor, d: TF.Tensor) => tfForward(a, b, d));
  for (const t of [x, weight, bias]) t.requiresGrad_();
  return {
    cases: {
      fwd: [
        { run: () => G.tidy(() => G.noGrad(() => forward(x, weight, bias))).dispose(), wait: oursWait },
        { run: () => tf.tidy(() => tfForward(tx, tw, tb)).dispose(), wait: () => tfWait(tf) },
      ],
      fwdBwd: [
        { run: () => G.tidy(() => G.gradients(forward(x, weight, bias), [x, weight, bias], { gradOutput: dy })).forEach((t) => t.dispose()), wait: oursWait },
        { run: () => tf.tidy(() => tfGrads([tx, tw, tb], tdy)).forEach((t) => t.dispose()), wait: () => tfWait(tf) },
      ],
    },
    async relError() {
      const ours = G.noGrad(() => forward(x, weight, bias));
      const oursNhwc = await permuted(ours, [0, 2, 3, 1]);
      ours.dispose();
      const peer = tfForward(tx, tw, tb);
      const peerData = await peer.data();
      peer.dispose();
      return relError(oursNhwc, peerData as Float32Array);
    },
  };
}

async function batchNormRow(tf: Tfjs, shape: number[]): Promise<Row> {
  const [n, c, h, w] = shape as [number, number, number, number];
  const dev = { device: 'webgpu' as const };
  G.manualSeed(8);
  const x = G.randn(shape, dev);
  const weight = G.randn([c], dev);
  const bias = G.randn([c], dev);
  const runningMean = G.zeros([c], dev);
  const runningVar = G.ones([c], dev);
  const dy = G.randn(shape, dev);
  const forward = (xs: G.Tensor, ws: G.Tensor, bs: G.Tensor) => G.batchNorm(xs, runningMean, runningVar, ws, bs);

  const tx = tf.tensor4d(await permuted(x, [0, 2, 3, 1]), [n, h, w, c]);
  const tw = tf.tensor1d((await weight.data()) as Float32Array);
  const tb = tf.tensor1d((await bias.data()) as Float32Array);
  const tdy = tf.tensor4d(await permuted(dy, [0, 2, 3, 1]), [n, h, w, c]);
  let tfMean = tf.keep(tf.zeros([c]));
  let tfVar = tf.keep(tf.ones([c]));
  const count = n * h * w;
  // Training mode, as ours: batch statistics normalise, the running statistics are updated.
  const tfForward = (xs: TF.Tensor, ws: TF.Tensor, bs: TF.Tensor): TF.Tensor => {
    const { mean, variance } = tf.moments(xs, [0, 1, 2]);
    const nextMean = tf.keep(tf.add(tf.mul(tfMean, 0.9), tf.mul(mean, 0.1)));
    const nextVar = tf.keep(tf.add(tf.mul(tfVar, 0.9), tf.mul(variance, 0.1 * count / (count - 1))));
    tfMean.dispose();
    tfVar.dispose();
    [tfMean, tfVar] = [nextMean, nextVar];
    return tf.batchNorm(xs, mean, variance, bs, ws, 1e-5);
  };
  const tfGrads = tf.grads((a: TF.Tensor, b: TF.Tensor, d: TF.Tensor) => tfForward(a, b, d));
  for (const t of [x, weight, bias]) t.requiresGrad_();
  return {
    cases: {
      fwd: [
        { run: () => G.tidy(() => G.noGrad(() => forward(x, weight, bias))).dispose(), wait: oursWait },
        { run: () => tf.tidy(() => tfForward(tx, tw, tb)).dispose(), wait: () => tfWait(tf) },
      ],
      fwdBwd: [
        { run: () => G.tidy(() => G.gradients(forward(x, weight, bias), [x, weight, bias], { gradOutput: dy })).forEach((t) => t.dispose()), wait: oursWait },
        { run: () => tf.tidy(() => tfGrads([tx, tw, tb], tdy)).forEach((t) => t.dispose()), wait: () => tfWait(tf) },
      ],
    },
    async relError() {
      const ours = G.noGrad(() => forward(x, weight, bias));
      const oursNhwc = await permuted(ours, [0, 2, 3, 1]);
      ours.dispose();
      const peer = tf.tidy(() => tfForward(tx, tw, tb));
      const peerData = await peer.data();
      peer.dispose();
      return relError(oursNhwc, peerData as Float32Array);
    },
  };
}

/** Median wall time (ms) of each contestant over `reps` interleaved rounds, after one warm-up each. */
async function measure(pair: [Contestant, Contestant], reps: number): Promise<[number, number]> {
  const samples: [number[], number[]] = [[], []];
  for (const c of pair) {
    c.run();
    await c.wait();
  }
  for (let r = 0; r < reps; r++) {
    const order = r % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) {
      const t0 = performance.now();
      pair[i]!.run();
      await pair[i]!.wait();
      samples[i]!.push(performance.now() - t0);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return [median(samples[0]), median(samples[1])];
}

function parseFlags(argv: string[]): { reps: number; filter?: string } {
  const out: { reps: number; filter?: string } = { reps: 3 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--reps') out.reps = Number(argv[++i]);
    else if (argv[i] === '--filter') out.filter = argv[++i]!.toLowerCase();
    else throw new Error(`conv bench: unknown argument ${argv[i]} (flags: --reps <n>, --filter <text>)`);
  }
  return out;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
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
  const tf = (await import('@tensorflow/tfjs-core')) as Tfjs;
  // tfjs-core alone registers no gradients (the @tensorflow/tfjs umbrella package imports these).
  await import('@tensorflow/tfjs-core/dist/register_all_gradients');
  await import('@tensorflow/tfjs-backend-webgpu');
  await tf.setBackend('webgpu');
  await tf.ready();
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  const info = await G.initWebGPU();
  console.log(`adapter: ${info.adapter}${info.isSoftware ? ' (software)' : ''}; ${process.version}; reps ${flags.reps}`);

  const rows: [string, () => Promise<Row>][] = [
    ['conv2d 64x1x28x28 -> 32, 3x3 s1 p1', () => convRow(tf, [64, 1, 28, 28], [32, 1, 3, 3], 1, false)],
    ['conv2d 64x32x28x28 -> 64, 3x3 s2 p1', () => convRow(tf, [64, 32, 28, 28], [64, 32, 3, 3], 2, false)],
    ['convTranspose2d 64x64x7x7 -> 32, 4x4 s2 p1', () => convRow(tf, [64, 64, 7, 7], [64, 32, 4, 4], 2, true)],
    ['convTranspose2d 64x64x14x14 -> 32, 4x4 s2 p1', () => convRow(tf, [64, 64, 14, 14], [64, 32, 4, 4], 2, true)],
    ['batchNorm 64x64x14x14 (training)', () => batchNormRow(tf, [64, 64, 14, 14])],
  ];
  const table = [
    '| row | ours fwd (ms) | tfjs fwd (ms) | speedup | ours fwd+bwd (ms) | tfjs fwd+bwd (ms) | speedup | rel. err |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const [name, make] of rows) {
    if (flags.filter && !name.toLowerCase().includes(flags.filter)) continue;
    const row = await make();
    const err = await row.relError();
    const [oursFwd, tfFwd] = await measure(row.cases.fwd, flags.reps);
    const [oursBwd, tfBwd] = await measure(row.cases.fwdBwd, flags.reps);
    const line = `| ${name} | ${oursFwd.toFixed(0)} | ${tfFwd.toFixed(0)} | ${(tfFwd / oursFwd).toFixed(1)}x | ${oursBwd.toFixed(0)} | ${tfBwd.toFixed(0)} | ${(tfBwd / oursBwd).toFixed(1)}x | ${err.toExponential(1)} |`;
    console.log(line);
    table.push(line);
  }
  console.log(`\n${table.join('\n')}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
