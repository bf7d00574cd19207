/**
 * wasm backend rows. Ours on the wasm backend, once on one thread and once on every core (`1t`,
 * `Nt` in the row id: the pool is sized once per group, in setup), against
 * `@tensorflow/tfjs-backend-wasm` (XNNPACK; its single-threaded SIMD build, which is what Node
 * loads) for matmul 128-1024 and the conv shapes of rows/conv.ts (forward, and forward + backward
 * where tfjs-wasm has the gradient kernels); and the DCGAN G+D step of rows/training.ts on wasm
 * against the same step on our CPU backend.
 *
 * Both sides are synchronous: a sample is k ops, each result read back on tfjs's side (guarding
 * against laziness) and a sync on ours. GFLOP/s as in rows/conv.ts.
 */
import type * as TF from '@tensorflow/tfjs-core';
import * as G from '../../src/index.js';
import type { BenchEnv, BenchOptions, Case, Group, GroupInstance } from '../suite.js';
import { TO_HWIO, TO_NHWC, concat, host, toTf } from './common.js';
import { oursStep } from './training.js';

const list = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);

/** tfjs-wasm against ours on wasm for one op; `layouts` permute our outputs into tfjs's for the check. */
function opCases(tf: typeof TF, ours: () => G.Tensor | G.Tensor[], peer: () => TF.Tensor | TF.Tensor[], layouts: (number[] | undefined)[], dispose: () => void): GroupInstance {
  const peerCase: Case = {
    label: 'tfjs-wasm',
    async run(k) {
      for (let i = 0; i < k; i++) {
        for (const t of list(peer())) {
          t.dataSync();
          t.dispose();
        }
      }
    },
    async output() {
      const outs = list(tf.tidy(() => peer()));
      const parts = outs.map((t) => t.dataSync() as Float32Array);
      outs.forEach((t) => t.dispose());
      return concat(parts);
    },
    dispose() {},
  };
  const oursCase: Case = {
    label: 'wasm',
    async run(k) {
      for (let i = 0; i < k; i++) for (const t of list(G.tidy(ours))) t.dispose();
      await G.sync('wasm');
    },
    async output() {
      const outs = list(G.tidy(ours));
      const parts: Float32Array[] = [];
      for (const [i, t] of outs.entries()) parts.push(await host(t, layouts[i]));
      outs.forEach((t) => t.dispose());
      return concat(parts);
    },
    dispose() {},
  };
  return { peer: peerCase, ours: [oursCase], dispose };
}

function group(opts: BenchOptions, id: string, flopsPerOp: number, threads: number, setup: () => Promise<GroupInstance>): Group {
  return {
    id: `${id} wasm ${threads}t`,
    device: 'wasm',
    unit: 'ms',
    opsPerSample: 1,
    batchable: true,
    flopsPerOp,
    target: 1,
    budgetMs: opts.quick ? 3_000 : 10_000,
    minReps: opts.quick ? 3 : 5,
    maxReps: opts.quick ? 11 : 21,
    async setup() {
      await G.initWasm({ threads });
      return setup();
    },
  };
}

function matmulGroup(env: BenchEnv, opts: BenchOptions, n: number, threads: number): Group {
  const { tf } = env;
  return group(opts, `matmul ${n}`, 2 * n ** 3, threads, async () => {
    G.manualSeed(n);
    const [a, b] = [G.randn([n, n], { device: 'wasm' }), G.randn([n, n], { device: 'wasm' })];
    const [ta, tb] = [await toTf(tf, a), await toTf(tf, b)];
    return opCases(tf, () => G.matmul(a, b), () => tf.matMul(ta, tb), [undefined], () => [a, b, ta, tb].forEach((t) => t.dispose()));
  });
}

interface ConvShape {
  x: [number, number, number, number];
  outChannels: number;
  kernel: number;
  stride: number;
  transposed: boolean;
}

/** Our op on the CPU backend as the peer (label genlab-cpu), outputs compared as they are. */
function cpuPeerCases(ours: () => G.Tensor | G.Tensor[], peer: () => G.Tensor | G.Tensor[], dispose: () => void): GroupInstance {
  const side = (label: string, device: 'wasm' | 'cpu', op: () => G.Tensor | G.Tensor[]): Case => ({
    label,
    async run(k) {
      for (let i = 0; i < k; i++) for (const t of list(G.tidy(op))) t.dispose();
      await G.sync(device);
    },
    async output() {
      const outs = list(G.tidy(op));
      const parts: Float32Array[] = [];
      for (const t of outs) parts.push(await host(t));
      outs.forEach((t) => t.dispose());
      return concat(parts);
    },
    dispose() {},
  });
  return { peer: side('genlab-cpu', 'cpu', peer), ours: [side('wasm', 'wasm', ours)], dispose };
}

/**
 * Forward against tfjs-wasm; forward + backward against our CPU backend (tfjs-wasm has no
 * Conv2DBackpropFilter kernel, so it cannot take a conv's weight gradient).
 */
function convGroup(env: BenchEnv, opts: BenchOptions, s: ConvShape, backward: boolean, threads: number): Group {
  const { tf } = env;
  const [n, c, h, w] = s.x;
  const { outChannels: co, kernel: k, stride, transposed } = s;
  const ho = transposed ? h * stride : Math.floor((h + 2 - k) / stride) + 1;
  const wo = transposed ? w * stride : Math.floor((w + 2 - k) / stride) + 1;
  const macs = transposed ? n * h * w * c * co * k * k : n * ho * wo * co * c * k * k;
  const id = `${transposed ? 'convTranspose2d' : 'conv2d'} ${n}x${c}x${h}x${w}->${co} ${k}x${k} s${stride} ${backward ? 'fwd+bwd' : 'fwd'}`;
  return group(opts, id, 2 * macs * (backward ? 3 : 1), threads, async () => {
    const inputs = async (device: 'wasm' | 'cpu') => {
      G.manualSeed(7);
      const dev = { device };
      const x = G.randn(s.x, dev);
      const weight = G.tidy(() => G.mul(G.randn(transposed ? [c, co, k, k] : [co, c, k, k], dev), 0.1));
      const bias = G.randn([co], dev);
      const dy = G.randn([n, co, ho, wo], dev);
      const forward = (): G.Tensor =>
        transposed ? G.convTranspose2d(x, weight, bias, { stride, padding: 1 }) : G.conv2d(x, weight, bias, { stride, padding: 1 });
      if (backward) for (const t of [x, weight, bias]) t.requiresGrad_();
      const op = backward ? () => G.gradients(forward(), [x, weight, bias], { gradOutput: dy }) : () => G.noGrad(forward);
      return { x, weight, bias, op, dispose: () => [x, weight, bias, dy].forEach((t) => t.dispose()) };
    };
    const ours = await inputs('wasm');
    if (backward) {
      const cpu = await inputs('cpu');
      return cpuPeerCases(ours.op, cpu.op, () => [ours, cpu].forEach((side) => side.dispose()));
    }
    const [tx, tw, tb] = [await toTf(tf, ours.x, TO_NHWC), await toTf(tf, ours.weight, TO_HWIO), await toTf(tf, ours.bias)];
    // tfjs's fused conv2d adds the bias in the kernel, as ours does; its conv2dTranspose has no bias.
    const peer = (): TF.Tensor =>
      transposed
        ? tf.add(tf.conv2dTranspose(tx as TF.Tensor4D, tw as TF.Tensor4D, [n, ho, wo, co], stride, 'same'), tb)
        : tf.fused.conv2d({ x: tx as TF.Tensor4D, filter: tw as TF.Tensor4D, strides: stride, pad: 1, bias: tb });
    return opCases(tf, ours.op, peer, [TO_NHWC], () => [ours.dispose(), tx.dispose(), tw.dispose(), tb.dispose()]);
  });
}

/** One DCGAN G+D step (rows/training.ts's model) on wasm against the same step on our CPU backend. */
function dcganGroup(opts: BenchOptions, threads: number): Group {
  const batch = opts.quick ? 16 : 64;
  const stepCase = (device: 'wasm' | 'cpu', label: string, step: ReturnType<typeof oursStep>): Case => {
    let losses: G.Tensor[] = [];
    return {
      label,
      async run() {
        for (const t of losses) t.dispose();
        losses = step.step();
        await G.sync(device);
      },
      dispose() {
        for (const t of losses) t.dispose();
        step.dispose();
      },
    };
  };
  return {
    ...group(opts, `dcgan step b${batch}`, 0, threads, async () => ({
      peer: stepCase('cpu', 'genlab-cpu', oursStep('cpu', batch)),
      ours: [stepCase('wasm', 'wasm', oursStep('wasm', batch))],
    })),
    flopsPerOp: undefined,
    batchable: false,
    target: 5,
    budgetMs: opts.quick ? 5_000 : 20_000,
    minReps: 3,
    maxReps: opts.quick ? 5 : 11,
  };
}

export function wasmGroups(env: BenchEnv, opts: BenchOptions, cores: number): Group[] {
  const sizes = opts.quick ? [128, 256, 512] : [128, 256, 512, 1024];
  const threadCounts = cores > 1 ? [1, cores] : [1];
  const n = opts.quick ? 8 : 64;
  const shapes: ConvShape[] = [
    { x: [n, 1, 28, 28], outChannels: 32, kernel: 3, stride: 1, transposed: false },
    { x: [n, 32, 28, 28], outChannels: 64, kernel: 3, stride: 2, transposed: false },
    { x: [n, 64, 7, 7], outChannels: 32, kernel: 4, stride: 2, transposed: true },
    { x: [n, 64, 14, 14], outChannels: 32, kernel: 4, stride: 2, transposed: true },
  ];
  return threadCounts.flatMap((t) => [
    ...sizes.map((size) => matmulGroup(env, opts, size, t)),
    ...shapes.flatMap((s) => [convGroup(env, opts, s, false, t), convGroup(env, opts, s, true, t)]),
    dcganGroup(opts, t),
  ]);
}
