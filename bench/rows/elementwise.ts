/**
 * CPU elementwise rows: `add` and `mul` of two same-shape float32 tensors (the bulk of a training
 * step's elementwise work: gradients, activations' backward), and `add` of a per-channel bias
 * broadcast over NCHW ([N, C, H, W] + [C, 1, 1]), ours (CPU backend) against tfjs-backend-cpu.
 * Memory-bound: GB/s counts the inputs read once and the output written once.
 */
import * as G from '../../src/index.js';
import type { BenchEnv, BenchOptions, Group } from '../suite.js';
import { cpuOpCases } from './common.js';

type Op = 'add' | 'mul';

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function cpuElementwise(env: BenchEnv, opts: BenchOptions, op: Op, aShape: number[], bShape: number[]): Group {
  const { tf } = env;
  const same = aShape.join('x') === bShape.join('x');
  const outSize = size(aShape);
  return {
    id: `elementwise ${op} ${aShape.join('x')}${same ? '' : ` + ${bShape.join('x')}`} cpu`,
    device: 'cpu',
    unit: 'ms',
    opsPerSample: 1,
    batchable: true,
    bytesPerOp: 4 * (outSize + size(bShape) + outSize),
    budgetMs: opts.quick ? 3_000 : 10_000,
    minReps: opts.quick ? 3 : 5,
    maxReps: opts.quick ? 15 : 41,
    async setup() {
      await tf.setBackend('cpu');
      G.manualSeed(outSize + size(bShape));
      const a = G.randn(aShape, { device: 'cpu' });
      const b = G.randn(bShape, { device: 'cpu' });
      const ta = tf.tensor(Float32Array.from(await a.data()), aShape);
      const tb = tf.tensor(Float32Array.from(await b.data()), bShape);
      const oursOp = (): G.Tensor => (op === 'add' ? G.add(a, b) : G.mul(a, b));
      const peerOp = () => (op === 'add' ? tf.add(ta, tb) : tf.mul(ta, tb));
      return cpuOpCases(oursOp, peerOp, [a, b], [ta, tb]);
    },
  };
}

export function elementwiseGroups(env: BenchEnv, opts: BenchOptions): Group[] {
  return [
    cpuElementwise(env, opts, 'add', [64, 64, 28, 28], [64, 64, 28, 28]),
    cpuElementwise(env, opts, 'mul', [64, 64, 28, 28], [64, 64, 28, 28]),
    cpuElementwise(env, opts, 'add', [64, 32, 14, 14], [32, 1, 1]),
  ];
}
