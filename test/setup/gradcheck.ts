/**
 * Float64 central-difference gradient checks on the CPU backend.
 *
 * The function's output is projected onto a fixed random direction w (loss = sum(f(x) * w)), so a
 * single backward pass checks the whole Jacobian-vector product, and every input element is
 * perturbed by +-eps to estimate d loss / d x numerically.
 */
import { expect } from 'vitest';
import { Tensor, gradients, mul, sum, tensor } from '../../src/index.js';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Inputs (by index) that are not differentiated (e.g. index tensors). */
  skip?: number[];
}

let seed = 12345;
/** Deterministic values in [lo, hi) (a small LCG, independent of the library's RNG). */
export function randomValues(n: number, lo = -1, hi = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((seed >>> 8) / 16777216) * (hi - lo);
  }
  return out;
}

export function randomF64(shape: number[], lo = -1, hi = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(randomValues(n, lo, hi), { shape, dtype: 'float64' });
}

function withElement(x: Tensor, i: number, delta: number): Tensor {
  const data = Float64Array.from(x.dataSync() as Float64Array);
  data[i]! += delta;
  return tensor(data, { shape: [...x.shape], dtype: 'float64' });
}

/** Check analytic gradients of `fn` at `inputs` (float64 CPU tensors) against central differences. */
export function gradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): void {
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-6;
  const rtol = opts.rtol ?? 1e-5;
  const skip = new Set(opts.skip ?? []);
  const leaves = inputs.map((x, i) => (skip.has(i) ? x : x.detach().requiresGrad_(true)));
  const out = fn(...leaves);
  const w = tensor(randomValues(out.size), { shape: [...out.shape], dtype: 'float64' });
  const loss = (o: Tensor) => sum(mul(o, w));
  const wrt = leaves.filter((_, i) => !skip.has(i));
  const analytic = gradients(loss(out), wrt, { allowUnused: true }).map((g) => g.dataSync() as Float64Array);

  let k = 0;
  leaves.forEach((x, idx) => {
    if (skip.has(idx)) return;
    const a = analytic[k++]!;
    for (let i = 0; i < x.size; i++) {
      // Fresh leaves that require grad, so functions that differentiate internally still can.
      const fresh = (y: Tensor, j: number, delta: number) => {
        const t = j === idx ? withElement(x, i, delta) : y.detach();
        return skip.has(j) ? t : t.requiresGrad_(true);
      };
      const plus = leaves.map((y, j) => fresh(y, j, eps));
      const minus = leaves.map((y, j) => fresh(y, j, -eps));
      const numeric = ((loss(fn(...plus)).dataSync()[0]!) - (loss(fn(...minus)).dataSync()[0]!)) / (2 * eps);
      const err = Math.abs(numeric - a[i]!);
      // Written as !(err <= tol) so a NaN gradient against a finite difference fails.
      if (!(err <= atol + rtol * Math.abs(numeric)) && !(Number.isNaN(numeric) && Number.isNaN(a[i]!))) {
        expect.fail(`gradient of input ${idx} element ${i}: analytic ${a[i]} vs numeric ${numeric} (shape ${JSON.stringify(x.shape)})`);
      }
    }
  });
}
