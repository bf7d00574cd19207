/**
 * The fused optimizer update: one Adam step on a 1M-element parameter with a fixed gradient.
 * Ours: `optim.Adam.step()` (one fused kernel per parameter); tfjs: `tf.train.adam(...)
 * .applyGradients()` (a handful of elementwise kernels). Same hyper-parameters on both sides.
 *
 * The parameter starts at zero, so after the correctness check's first step it holds exactly the
 * first update (-lr · m̂ / (√v̂ + eps)), which is what is compared. GB/s counts the minimum
 * traffic: parameter, gradient and both moments read, parameter and moments written (7 x 4 bytes).
 */
import * as G from '../../src/index.js';
import { optim } from '../../src/index.js';
import type { BenchEnv, BenchOptions, Group } from '../suite.js';
import { kernelGroup, toTf } from './common.js';

const LR = 1e-3;
const BETAS: [number, number] = [0.9, 0.999];
const EPS = 1e-8;

function adamGroup(env: BenchEnv, opts: BenchOptions, size: number): Group {
  const { tf } = env;
  return kernelGroup(env, opts, {
    id: `adam step ${size >= 1 << 20 ? `${size >> 20}M` : size} webgpu`,
    bytesPerOp: 7 * 4 * size,
    async setup() {
      G.manualSeed(11);
      const p = G.zeros([size], { device: 'webgpu' }).requiresGrad_();
      p.grad = G.randn([size], { device: 'webgpu' });
      const adam = new optim.Adam([p], { lr: LR, betas: BETAS, eps: EPS });
      const tp = tf.variable(tf.zeros([size]));
      const tg = await toTf(tf, p.grad);
      const tAdam = tf.train.adam(LR, BETAS[0], BETAS[1], EPS);
      const grads = [{ name: tp.name, tensor: tg }];
      return {
        ours: { op: () => adam.step(), updated: p },
        peer: { op: () => tAdam.applyGradients(grads), updated: tp },
        dispose() {
          p.grad?.dispose();
          p.dispose();
          adam.dispose();
          tp.dispose();
          tg.dispose();
          tAdam.dispose();
        },
      };
    },
  });
}

export function optimGroups(env: BenchEnv, opts: BenchOptions): Group[] {
  return [adamGroup(env, opts, 1 << 20)];
}
