// Reductions and scans beyond sum/mean/max: values by hand or by a loop, float64 gradient checks
// on odd shapes (zeros included for cumprod), and typed errors.
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { gradcheck, randomF64 } from './setup/gradcheck.js';

const values = (t: Tensor) => Array.from(t.dataSync(), Number);
const f64 = (v: number[], shape?: number[]) => T.tensor(v, { dtype: 'float64', shape: shape ?? [v.length] });

describe('logical and counting reductions', () => {
  it('all, any and countNonzero', () => {
    const x = T.tensor([[1, 0, 2], [3, 4, 5]]);
    expect(values(T.all(x))).toEqual([0]);
    expect(values(T.all(x, 1))).toEqual([0, 1]);
    expect(values(T.any(x, 0, true))).toEqual([1, 1, 1]);
    expect(T.any(x, 0, true).shape).toEqual([1, 3]);
    expect(values(T.any(T.zeros([2, 0]), 1))).toEqual([0, 0]);
    expect(values(T.all(T.zeros([2, 0]), 1))).toEqual([1, 1]);
    expect(T.all(x).dtype).toBe('bool');
    expect(values(T.countNonzero(x))).toEqual([5]);
    expect(values(T.countNonzero(x, 0))).toEqual([2, 1, 2]);
    expect(values(T.any(T.tensor([false, true])))).toEqual([1]);
  });
  it('varMean, stdMean and aminmax', () => {
    const x = f64([1, 2, 3, 4, 6, 8], [2, 3]);
    const [v, m] = T.varMean(x, 1);
    expect(values(m)).toEqual([2, 6]);
    expect(values(v)).toEqual([1, 4]);
    const [s] = T.stdMean(x, 1, { correction: 0, keepdim: true });
    expect(s.shape).toEqual([2, 1]);
    expect(values(s)[1]).toBeCloseTo(Math.sqrt(8 / 3), 14);
    const { min, max } = T.aminmax(x, { dim: 0 });
    expect(values(min)).toEqual([1, 2, 3]);
    expect(values(max)).toEqual([4, 6, 8]);
    gradcheck((t) => T.add(...T.varMean(t, [0, 2])), [randomF64([2, 3, 5])]);
  });
});

describe('norms', () => {
  const x = () => f64([3, -4, 0, 12], [2, 2]);
  it('vectorNorm by hand for every ord', () => {
    expect(values(T.vectorNorm(x()))).toEqual([13]);
    expect(values(T.vectorNorm(x(), 1))).toEqual([19]);
    expect(values(T.vectorNorm(x(), Infinity))).toEqual([12]);
    expect(values(T.vectorNorm(x(), -Infinity))).toEqual([0]);
    expect(values(T.vectorNorm(x(), 0))).toEqual([3]);
    expect(values(T.vectorNorm(x(), 3, 1))[0]).toBeCloseTo(Math.cbrt(27 + 64), 13);
    expect(values(T.vectorNorm(x(), 2, 0, true))).toEqual([3, Math.hypot(4, 12)]);
    expect(T.norm(x(), 'fro', 1).shape).toEqual([2]);
  });
  it('the gradient at a zero vector is 0, not NaN', () => {
    for (const ord of [2, 1, 3]) {
      const z = T.zeros([3], { dtype: 'float64' }).requiresGrad_(true);
      const [g] = T.gradients(T.vectorNorm(z, ord), [z]);
      expect(values(g!)).toEqual([0, 0, 0]);
    }
  });
  it('gradchecks', () => {
    for (const ord of [2, 1, 3, 1.5, Infinity, -Infinity]) {
      gradcheck((t) => T.vectorNorm(t, ord, 1), [randomF64([3, 4, 2])]);
      gradcheck((t) => T.vectorNorm(t, ord, [0, 2], true), [randomF64([3, 1, 5])]);
    }
    gradcheck((t) => T.vectorNorm(t), [randomF64([7])]);
    for (const ord of ['fro', 1, -1, Infinity, -Infinity] as const) gradcheck((t) => T.matrixNorm(t, ord), [randomF64([2, 3, 4])]);
    gradcheck((t) => T.matrixNorm(t, 1, [0, 2]), [randomF64([3, 2, 4])]);
  });
  it('matrixNorm by hand', () => {
    const a = f64([1, -2, 3, 4], [2, 2]);
    expect(values(T.matrixNorm(a, 1))).toEqual([6]);
    expect(values(T.matrixNorm(a, -1))).toEqual([4]);
    expect(values(T.matrixNorm(a, Infinity))).toEqual([7]);
    expect(values(T.matrixNorm(a, -Infinity))).toEqual([3]);
    expect(values(T.matrixNorm(a))[0]).toBeCloseTo(Math.sqrt(30), 14);
  });
});

describe('scans', () => {
  it('cumprod by hand, zeros included, and its gradient', () => {
    expect(values(T.cumprod(f64([2, 3, 0, 4, 5]), 0))).toEqual([2, 6, 0, 0, 0]);
    expect(values(T.cumprod(f64([1, 2, 3, 4, 5, 6], [2, 3]), 0))).toEqual([1, 2, 3, 4, 10, 18]);
    expect(values(T.cumprod(T.tensor(new Int32Array([2, 2, 2])), 0))).toEqual([2, 4, 8]);
    gradcheck((t) => T.cumprod(t, 1), [randomF64([2, 7, 3], 0.5, 1.5)]);
    gradcheck((t) => T.cumprod(t, 0), [f64([1.5, 0, -2, 0.5, 0, 3])]);
    gradcheck((t) => T.cumprod(t, -1), [randomF64([3, 1])]);
  });
  it('cumprod of a 1000-step diffusion schedule matches a loop', () => {
    const alphas = Array.from({ length: 1000 }, (_, i) => 1 - (1e-4 + (0.02 - 1e-4) * (i / 999)));
    let p = 1;
    const want = alphas.map((a) => (p *= a));
    values(T.cumprod(f64(alphas), 0)).forEach((v, i) => expect(v / want[i]!).toBeCloseTo(1, 12));
  });
  it('logcumsumexp at any magnitude', () => {
    const x = [-1000, 0, 1000, 1000, -Infinity];
    const got = values(T.logcumsumexp(f64(x), 0));
    expect(got[0]).toBe(-1000);
    expect(got[1]).toBeCloseTo(0, 14);
    expect(got[2]).toBe(1000);
    expect(got[3]).toBeCloseTo(1000 + Math.LN2, 12);
    expect(got[4]).toBeCloseTo(1000 + Math.LN2, 12);
    gradcheck((t) => T.logcumsumexp(t, 1), [randomF64([2, 6, 3], -3, 3)]);
  });
  it('cummax and cummin: values, latest index on ties, NaN stays, gradient to the index', () => {
    const { values: v, indices } = T.cummax(f64([1, 3, 2, 3, 0, 5]), 0);
    expect(values(v)).toEqual([1, 3, 3, 3, 3, 5]);
    expect(values(indices)).toEqual([0, 1, 1, 3, 3, 5]);
    expect(indices.dtype).toBe('int32');
    const m = T.cummin(f64([4, 2, 5, 1, 1, 7, NaN, 0]), 0);
    expect(values(m.values)).toEqual([4, 2, 2, 1, 1, 1, NaN, NaN]);
    expect(values(m.indices)).toEqual([0, 1, 1, 3, 4, 4, 6, 6]);
    expect(values(T.cummax(T.tensor(new Int32Array([-5, -7, 2])), 0).values)).toEqual([-5, -5, 2]);
    gradcheck((t) => T.cummax(t, 1).values, [randomF64([3, 5, 2])]);
    gradcheck((t) => T.cummin(t, 0).values, [randomF64([6, 1])]);
  });
});

describe('matrix norms from singular values', () => {
  it("'nuc', 2 and -2 are the sum, largest and smallest singular value, over any two axes, with gradients", () => {
    // [[3, 0], [4, 5]]: AᵀA = [[25, 20], [20, 25]] has eigenvalues 45 and 5.
    const a = T.tensor([3, 0, 4, 5], { shape: [2, 2], dtype: 'float64' });
    expect(values(T.matrixNorm(a, 'nuc'))[0]).toBeCloseTo(Math.sqrt(45) + Math.sqrt(5), 12);
    expect(values(T.matrixNorm(a, 2))[0]).toBeCloseTo(Math.sqrt(45), 12);
    expect(values(T.matrixNorm(a, -2))[0]).toBeCloseTo(Math.sqrt(5), 12);
    expect(values(T.norm(a, 'nuc'))[0]).toBeCloseTo(Math.sqrt(45) + Math.sqrt(5), 12);
    // A batch with the matrix axes first: the same as moving them last; keepdim keeps size-1 axes.
    const x = randomF64([3, 4, 2]);
    const moved = T.permute(x, [2, 0, 1]);
    expect(values(T.matrixNorm(x, 'nuc', [0, 1]))).toEqual(values(T.matrixNorm(moved, 'nuc')).map((v) => expect.closeTo(v, 12)));
    expect(T.matrixNorm(x, 2, [0, 1], true).shape).toEqual([1, 1, 2]);
    gradcheck((t) => T.matrixNorm(t, 'nuc'), [randomF64([2, 3, 4])]);
    gradcheck((t) => T.matrixNorm(t, 2, [0, 2]), [randomF64([3, 2, 4])]);
  });
});

describe('typed errors', () => {
  it('name the op, the argument and the shapes', () => {
    expect(() => T.vectorNorm(T.tensor(new Int32Array([1])))).toThrow(T.DTypeError);
    expect(() => T.vectorNorm(T.zeros([2]), -1)).toThrow(/vectorNorm: ord must be positive/);
    expect(() => T.matrixNorm(T.zeros([3]))).toThrow(/matrixNorm: input must have at least 2 dims, got shape \[3\]/);
    expect(() => T.matrixNorm(T.zeros([2, 2]), 3)).toThrow(/matrixNorm: ord 3 is not supported/);
    expect(() => T.matrixNorm(T.zeros([2, 2]), 1, [1, 1])).toThrow(T.GenlabError);
    expect(() => T.cumprod(T.zeros([2, 3]), 2)).toThrow(T.ShapeError);
    expect(() => T.logcumsumexp(T.tensor(new Int32Array([1])), 0)).toThrow(T.DTypeError);
    expect(() => T.all(T.zeros([2]), 3)).toThrow(/all/);
  });
});
