/**
 * Reduction rows: sum over the last axis and over every element of 64x1000 and 256x4096, and
 * softmax and cross-entropy over the last axis of 64x1000 (the classifier-head shape). Memory-bound: GB/s counts
 * the bytes read once plus the bytes written, nothing for intermediate passes.
 */
import * as G from '../../src/index.js';
import type { BenchEnv, BenchOptions, Group } from '../suite.js';
import { kernelGroup, toTf } from './common.js';

function sumRow(env: BenchEnv, opts: BenchOptions, rows: number, cols: number, axis: 'last' | 'all'): Group {
  const { tf } = env;
  const size = rows * cols;
  return kernelGroup(env, opts, {
    id: `sum ${rows}x${cols} ${axis === 'last' ? 'axis 1' : 'all'} webgpu`,
    bytesPerOp: 4 * (size + (axis === 'last' ? rows : 1)),
    async setup() {
      G.manualSeed(size);
      const x = G.randn([rows, cols], { device: 'webgpu' });
      const tx = await toTf(tf, x);
      return {
        ours: { op: () => (axis === 'last' ? G.sum(x, 1) : G.sum(x)) },
        peer: { op: () => (axis === 'last' ? tf.sum(tx, 1) : tf.sum(tx)) },
        dispose: () => [x, tx].forEach((t) => t.dispose()),
      };
    },
  });
}

function softmaxRow(env: BenchEnv, opts: BenchOptions, rows: number, cols: number): Group {
  const { tf } = env;
  return kernelGroup(env, opts, {
    id: `softmax ${rows}x${cols} webgpu`,
    bytesPerOp: 2 * 4 * rows * cols,
    async setup() {
      G.manualSeed(7);
      // Logits with a realistic spread (a max-subtraction bug would show as overflow here).
      const x = G.tidy(() => G.mul(G.randn([rows, cols], { device: 'webgpu' }), 5));
      const tx = await toTf(tf, x);
      return {
        ours: { op: () => G.softmax(x) },
        peer: { op: () => tf.softmax(tx) },
        dispose: () => [x, tx].forEach((t) => t.dispose()),
      };
    },
  });
}

/**
 * Cross-entropy of 64x1000 logits against int32 labels: a softmax-sized pass plus the label
 * gather and, on WebGPU, the device-side range check of the labels (one small dispatch). The peer
 * takes one-hot labels (made in setup).
 */
function crossEntropyRow(env: BenchEnv, opts: BenchOptions, rows: number, cols: number): Group {
  const { tf } = env;
  return kernelGroup(env, opts, {
    id: `crossEntropy ${rows}x${cols} webgpu`,
    bytesPerOp: 4 * (rows * cols + rows + 1),
    async setup() {
      G.manualSeed(11);
      const x = G.tidy(() => G.mul(G.randn([rows, cols], { device: 'webgpu' }), 5));
      const labels = G.tensor(Int32Array.from({ length: rows }, (_, i) => (i * 37) % cols), { dtype: 'int32', device: 'webgpu' });
      const tx = await toTf(tf, x);
      const oneHot = tf.oneHot(tf.tensor1d(Array.from({ length: rows }, (_, i) => (i * 37) % cols), 'int32'), cols);
      return {
        ours: { op: () => G.crossEntropy(x, labels) },
        peer: { op: () => tf.losses.softmaxCrossEntropy(oneHot, tx) },
        dispose: () => [x, labels, tx, oneHot].forEach((t) => t.dispose()),
      };
    },
  });
}

export function reductionGroups(env: BenchEnv, opts: BenchOptions): Group[] {
  return [
    sumRow(env, opts, 64, 1000, 'last'),
    sumRow(env, opts, 64, 1000, 'all'),
    sumRow(env, opts, 256, 4096, 'last'),
    sumRow(env, opts, 256, 4096, 'all'),
    softmaxRow(env, opts, 64, 1000),
    crossEntropyRow(env, opts, 64, 1000),
  ];
}
