/**
 * Reduction rows: sum over the last axis and over every element of 64x1000 and 256x4096, and
 * softmax over the last axis of 64x1000 (the classifier-head shape). Memory-bound: GB/s counts
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

export function reductionGroups(env: BenchEnv, opts: BenchOptions): Group[] {
  return [
    sumRow(env, opts, 64, 1000, 'last'),
    sumRow(env, opts, 64, 1000, 'all'),
    sumRow(env, opts, 256, 4096, 'last'),
    sumRow(env, opts, 256, 4096, 'all'),
    softmaxRow(env, opts, 64, 1000),
  ];
}
