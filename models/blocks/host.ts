/**
 * What the classical models that fit on the host share (gaussian, gmm, hmm; notes 002 §1): their
 * closed-form and EM updates run in float64 loops on the CPU, with the parameters kept as float64
 * CPU buffers of a Module so checkpoints save them like any other state dict. Random numbers come
 * from the library's generator, so `manualSeed` makes fits and samples reproducible.
 */
import * as T from '../../src/index.js';
import { DeviceError } from '../../src/index.js';
import type { DeviceName, Tensor } from '../../src/index.js';
import type { Batch, Training } from '../protocol.js';
import { requireField } from './train.js';

/** Host models read their batches synchronously, which only the CPU backend allows. */
export function requireCpu(model: string, device: DeviceName): void {
  if (device !== 'cpu') throw new DeviceError(`${model} fits on the host in float64 on the CPU backend; train and sample it with --device cpu`);
}

/** A float64 CPU tensor for a Module buffer (zeros, or `values`). */
export function f64(shape: readonly number[], values?: Float64Array): Tensor {
  return T.tensor(values ?? new Float64Array(shape.reduce((a, b) => a * b, 1)), { shape, dtype: 'float64', device: 'cpu' });
}

/** A copy of a buffer's values. */
export function read(t: Tensor): Float64Array {
  return Float64Array.from(t.dataSync());
}

/** Replace a buffer's values in place (the same tensor object stays in the state dict). */
export function write(t: Tensor, values: Float64Array): void {
  const v = f64(t.shape, values);
  t.assign_(v);
  v.dispose();
}

/** A batch of images [N, ...] as N rows of D pixels in float64. */
export function imageRows(images: Tensor, model: string): { x: Float64Array; n: number; d: number } {
  requireCpu(model, images.device);
  const n = images.shape[0]!;
  return { x: Float64Array.from(images.dataSync()), n, d: images.size / n };
}

/** Rows of D pixels as images [N, 1, 28, 28] (D = 784), clamped to [0, 1]. */
export function toImages(x: Float64Array, n: number): Tensor {
  return T.tidy(() => T.clamp(T.tensor(Float32Array.from(x), { shape: [n, 1, 28, 28], device: 'cpu' }), 0, 1));
}

export function uniforms(n: number): Float64Array {
  return T.tidy(() => read(T.rand([n], { dtype: 'float64', device: 'cpu' })));
}

export function normals(n: number): Float64Array {
  return T.tidy(() => read(T.randn([n], { dtype: 'float64', device: 'cpu' })));
}

/** Index drawn from log-weights `logp[start, start + k)` (unnormalised) with one uniform `u`. */
export function drawLog(logp: ArrayLike<number>, start: number, k: number, u: number): number {
  let m = -Infinity;
  for (let i = 0; i < k; i++) m = Math.max(m, logp[start + i]!);
  let total = 0;
  for (let i = 0; i < k; i++) total += Math.exp(logp[start + i]! - m);
  let acc = 0;
  for (let i = 0; i < k; i++) {
    acc += Math.exp(logp[start + i]! - m) / total;
    if (u < acc) return i;
  }
  return k - 1;
}

/** A scalar loss tensor for the trainer's report. */
export function scalar(value: number): Tensor {
  return T.tensor(Float32Array.of(value), { shape: [], device: 'cpu' });
}

/**
 * The training of a host model: no optimizer, each step hands the batch's pixel rows to `fit`
 * (a closed-form merge or one EM iteration), which returns the batch's mean negative
 * log-likelihood in nats for the report.
 */
export function hostTraining(model: string, fit: (x: Float64Array, n: number) => number): Training {
  return {
    optimizers: {},
    step(batch) {
      const { x, n } = imageRows(requireField(batch, 'images', model), model);
      return { nll: scalar(fit(x, n)) };
    },
  };
}

/** log p(x) per image of a batch [N] (float64, CPU), from a host model's per-row log-density. */
export function hostLogLikelihood(batch: Batch, model: string, logDensity: (x: Float64Array, n: number) => Float64Array): Tensor {
  const { x, n } = imageRows(requireField(batch, 'images', model), model);
  return f64([n], logDensity(x, n));
}
