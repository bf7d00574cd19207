/**
 * Convolution rows, the shapes of the DCGAN / VAE models (re-expressing bench/conv-node.ts in the
 * suite): conv2d, convTranspose2d and training-mode batch norm, forward and forward + backward.
 *
 * tfjs runs NHWC data with HWIO filters (transposed: [kh, kw, out, in]); ours NCHW with OIHW
 * (transposed: [in, out, kh, kw]). Every layout conversion happens in setup, outside the timed
 * region; the correctness check permutes our results into tfjs's layout. Forward + backward
 * computes the output and the gradients of data, weight and bias from a fixed output gradient
 * (`gradOutput`; tfjs: `tf.grads(f)(inputs, dy)`), and the check compares all three gradients.
 *
 * GFLOP/s counts 2 * MACs of the forward and 3x that for forward + backward (the data and weight
 * gradients are each a convolution of the same size); batch norm is memory-bound and reports
 * nominal GB/s (x read and y written forward; x and dy read, dx and y written for both).
 */
import type * as TF from '@tensorflow/tfjs-core';
import * as G from '../../src/index.js';
import type { BenchEnv, BenchOptions, Group } from '../suite.js';
import { TO_HWIO, TO_NHWC, kernelGroup, tfGradients, toTf, type Pair } from './common.js';

type Pass = 'fwd' | 'fwd+bwd';

interface ConvShape {
  /** Input [N, C, H, W]. */
  x: [number, number, number, number];
  outChannels: number;
  kernel: number;
  stride: number;
  transposed: boolean;
}

function convId(s: ConvShape, pass: Pass): string {
  const [n, c, h, w] = s.x;
  const op = s.transposed ? 'convTranspose2d' : 'conv2d';
  return `${op} ${n}x${c}x${h}x${w}->${s.outChannels} ${s.kernel}x${s.kernel} s${s.stride} ${pass} webgpu`;
}

function convGroup(env: BenchEnv, opts: BenchOptions, s: ConvShape, pass: Pass): Group {
  const { tf } = env;
  const [n, c, h, w] = s.x;
  const { outChannels: co, kernel: k, stride, transposed } = s;
  // padding 1: k3 s1 keeps the size, k3 s2 halves it, k4 s2 transposed doubles it (tfjs 'same').
  const ho = transposed ? h * stride : Math.floor((h + 2 - k) / stride) + 1;
  const wo = transposed ? w * stride : Math.floor((w + 2 - k) / stride) + 1;
  const macs = transposed ? n * h * w * c * co * k * k : n * ho * wo * co * c * k * k;
  return kernelGroup(env, opts, {
    id: convId(s, pass),
    flopsPerOp: 2 * macs * (pass === 'fwd' ? 1 : 3),
    budgetMs: [4_000, 15_000],
    async setup(): Promise<Pair> {
      if (pass === 'fwd+bwd') await tfGradients();
      const dev = { device: 'webgpu' as const };
      G.manualSeed(7);
      const x = G.randn(s.x, dev);
      const weight = G.tidy(() => G.mul(G.randn(transposed ? [c, co, k, k] : [co, c, k, k], dev), 0.1));
      const bias = G.randn([co], dev);
      const dy = G.randn([n, co, ho, wo], dev);
      const forward = (): G.Tensor =>
        transposed ? G.convTranspose2d(x, weight, bias, { stride, padding: 1 }) : G.conv2d(x, weight, bias, { stride, padding: 1 });
      const tx = (await toTf(tf, x, TO_NHWC)) as TF.Tensor4D;
      const tw = (await toTf(tf, weight, TO_HWIO)) as TF.Tensor4D;
      const tb = await toTf(tf, bias);
      const tdy = await toTf(tf, dy, TO_NHWC);
      // tfjs's fused conv2d adds the bias in the kernel, as ours does; its conv2dTranspose has no bias.
      const tfForward = (xs: TF.Tensor, ws: TF.Tensor, bs: TF.Tensor): TF.Tensor =>
        transposed
          ? tf.add(tf.conv2dTranspose(xs as TF.Tensor4D, ws as TF.Tensor4D, [n, ho, wo, co], stride, 'same'), bs)
          : tf.fused.conv2d({ x: xs as TF.Tensor4D, filter: ws as TF.Tensor4D, strides: stride, pad: 1, bias: bs });
      const dispose = () => [x, weight, bias, dy, tx, tw, tb, tdy].forEach((t) => t.dispose());
      if (pass === 'fwd') {
        return { ours: { op: () => G.noGrad(forward), layouts: [TO_NHWC] }, peer: { op: () => tfForward(tx, tw, tb) }, dispose };
      }
      for (const t of [x, weight, bias]) t.requiresGrad_();
      const tfGrads = tf.grads((a: TF.Tensor, b: TF.Tensor, d: TF.Tensor) => tfForward(a, b, d));
      return {
        ours: { op: () => G.gradients(forward(), [x, weight, bias], { gradOutput: dy }), layouts: [TO_NHWC, TO_HWIO] },
        peer: { op: () => tfGrads([tx, tw, tb], tdy) },
        dispose,
      };
    },
  });
}

/** Training-mode batch norm (batch statistics, running statistics updated), as in the models. */
function batchNormGroup(env: BenchEnv, opts: BenchOptions, shape: [number, number, number, number], pass: Pass): Group {
  const { tf } = env;
  const [n, c, h, w] = shape;
  const size = n * c * h * w;
  return kernelGroup(env, opts, {
    id: `batchNorm ${n}x${c}x${h}x${w} ${pass} webgpu`,
    bytesPerOp: 4 * size * (pass === 'fwd' ? 2 : 4),
    budgetMs: [4_000, 15_000],
    async setup(): Promise<Pair> {
      if (pass === 'fwd+bwd') await tfGradients();
      const dev = { device: 'webgpu' as const };
      G.manualSeed(8);
      const x = G.randn(shape, dev);
      const weight = G.randn([c], dev);
      const bias = G.randn([c], dev);
      const runningMean = G.zeros([c], dev);
      const runningVar = G.ones([c], dev);
      const dy = G.randn(shape, dev);
      const forward = (): G.Tensor => G.batchNorm(x, runningMean, runningVar, weight, bias);
      const tx = await toTf(tf, x, TO_NHWC);
      const tw = await toTf(tf, weight);
      const tb = await toTf(tf, bias);
      const tdy = await toTf(tf, dy, TO_NHWC);
      // tfjs has no training-mode batch norm op: moments, the running-statistics update, batchNorm.
      let tfMean = tf.keep(tf.zeros([c]));
      let tfVar = tf.keep(tf.ones([c]));
      const count = n * h * w;
      const tfForward = (xs: TF.Tensor, ws: TF.Tensor, bs: TF.Tensor): TF.Tensor => {
        const { mean, variance } = tf.moments(xs, [0, 1, 2]);
        const nextMean = tf.keep(tf.add(tf.mul(tfMean, 0.9), tf.mul(mean, 0.1)));
        const nextVar = tf.keep(tf.add(tf.mul(tfVar, 0.9), tf.mul(variance, (0.1 * count) / (count - 1))));
        tfMean.dispose();
        tfVar.dispose();
        [tfMean, tfVar] = [nextMean, nextVar];
        return tf.batchNorm(xs, mean, variance, bs, ws, 1e-5);
      };
      const dispose = () => [x, weight, bias, runningMean, runningVar, dy, tx, tw, tb, tdy, tfMean, tfVar].forEach((t) => t.dispose());
      if (pass === 'fwd') {
        return { ours: { op: () => G.noGrad(forward), layouts: [TO_NHWC] }, peer: { op: () => tfForward(tx, tw, tb) }, dispose };
      }
      for (const t of [x, weight, bias]) t.requiresGrad_();
      const tfGrads = tf.grads((a: TF.Tensor, b: TF.Tensor, d: TF.Tensor) => tfForward(a, b, d));
      return {
        ours: { op: () => G.gradients(forward(), [x, weight, bias], { gradOutput: dy }), layouts: [TO_NHWC] },
        peer: { op: () => tfGrads([tx, tw, tb], tdy) },
        dispose,
      };
    },
  });
}

/**
 * The model shapes at batch 64. --quick runs them at batch 8 (the id says so): on SwiftShader one
 * tfjs conv2d 64x1x28x28 -> 32 takes ~5 s, and each group needs at least five runs of each side
 * (check, warm-up, three reps), so batch 64 alone would take ~5 minutes.
 */
export function convGroups(env: BenchEnv, opts: BenchOptions): Group[] {
  const n = opts.quick ? 8 : 64;
  const shapes: ConvShape[] = [
    { x: [n, 1, 28, 28], outChannels: 32, kernel: 3, stride: 1, transposed: false },
    { x: [n, 32, 28, 28], outChannels: 64, kernel: 3, stride: 2, transposed: false },
    { x: [n, 64, 7, 7], outChannels: 32, kernel: 4, stride: 2, transposed: true },
    { x: [n, 64, 14, 14], outChannels: 32, kernel: 4, stride: 2, transposed: true },
  ];
  const passes: Pass[] = ['fwd', 'fwd+bwd'];
  return [
    ...shapes.flatMap((s) => passes.map((p) => convGroup(env, opts, s, p))),
    ...passes.map((p) => batchNormGroup(env, opts, [n, 64, 14, 14], p)),
  ];
}
