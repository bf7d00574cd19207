/**
 * Attention rows (formerly bench/attention-node.ts): B x 4 heads x L x 32 with L = 49 (7x7
 * tokens) and 196 (14x14), forward and forward + backward (gradients of q, k and v from a fixed
 * output gradient). Ours: the fused `scaledDotProductAttention`; tfjs has no attention op, so
 * its side is the composition matMul(softmax(matMul(q, k^T) * scale), v).
 *
 * GFLOP/s counts the two matmuls forward (4·B·H·L²·D) and six for forward + backward (12·B·H·L²·D),
 * whatever either side recomputes.
 */
import type * as TF from '@tensorflow/tfjs-core';
import * as G from '../../src/index.js';
import type { BenchEnv, BenchOptions, Group } from '../suite.js';
import { kernelGroup, tfGradients, toTf, type Pair } from './common.js';

const HEADS = 4;
const DEPTH = 32;

function attentionGroup(env: BenchEnv, opts: BenchOptions, batch: number, length: number, pass: 'fwd' | 'fwd+bwd'): Group {
  const { tf } = env;
  const shape = [batch, HEADS, length, DEPTH];
  return kernelGroup(env, opts, {
    id: `attention ${batch}x${HEADS}x${length}x${DEPTH} ${pass} webgpu`,
    flopsPerOp: 4 * batch * HEADS * length * length * DEPTH * (pass === 'fwd' ? 1 : 3),
    async setup(): Promise<Pair> {
      if (pass === 'fwd+bwd') await tfGradients();
      G.manualSeed(length);
      const [q, k, v, dy] = [0, 1, 2, 3].map(() => G.randn(shape, { device: 'webgpu' })) as [G.Tensor, G.Tensor, G.Tensor, G.Tensor];
      const [tq, tk, tv, tdy] = await Promise.all([q, k, v, dy].map((t) => toTf(tf, t)));
      const scale = 1 / Math.sqrt(DEPTH);
      const tfAttention = (a: TF.Tensor, b: TF.Tensor, c: TF.Tensor): TF.Tensor =>
        tf.matMul(tf.softmax(tf.mul(tf.matMul(a, b, false, true), scale)), c);
      const dispose = () => [q, k, v, dy, tq!, tk!, tv!, tdy!].forEach((t) => t.dispose());
      if (pass === 'fwd') {
        return { ours: { op: () => G.scaledDotProductAttention(q, k, v) }, peer: { op: () => tfAttention(tq!, tk!, tv!) }, dispose };
      }
      for (const t of [q, k, v]) t.requiresGrad_();
      const tfGrads = tf.grads((a: TF.Tensor, b: TF.Tensor, c: TF.Tensor) => tfAttention(a, b, c));
      return {
        ours: { op: () => G.gradients(G.scaledDotProductAttention(q, k, v), [q, k, v], { gradOutput: dy }) },
        peer: { op: () => tfGrads([tq!, tk!, tv!], tdy) },
        dispose,
      };
    },
  });
}

/** Batch 4 (attention-node.ts's default): a 14x14 feature map of a batch of 4 images, 4 heads. */
export function attentionGroups(env: BenchEnv, opts: BenchOptions): Group[] {
  return [49, 196].flatMap((length) => (['fwd', 'fwd+bwd'] as const).map((pass) => attentionGroup(env, opts, 4, length, pass)));
}
