// Losses on the CPU reference backend: values against their textbook / PyTorch definitions,
// every reduction, float64 gradient checks, stability at logits of magnitude 1e4, and typed errors.
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { gradcheck, randomF64, randomValues } from './setup/gradcheck.js';

const ints = (values: number[], shape?: number[]) => T.tensor(new Int32Array(values), { shape: shape ?? [values.length] });
const item = (t: Tensor) => t.dataSync()[0]!;
const values = (t: Tensor) => Array.from(t.dataSync());
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const f64 = (rows: number[][]) => T.tensor(rows, { dtype: 'float64' });

describe('regression losses', () => {
  it('mseLoss and l1Loss with every reduction', () => {
    const a = T.tensor([1, 2, 3]);
    const b = T.tensor([1, 0, 7]);
    expect(item(T.mseLoss(a, b))).toBeCloseTo(20 / 3, 6);
    expect(item(T.mseLoss(a, b, { reduction: 'sum' }))).toBe(20);
    expect(values(T.l1Loss(a, b, { reduction: 'none' }))).toEqual([0, 2, 4]);
    expect(item(T.l1Loss(a, b))).toBe(2);
    gradcheck((x, y) => T.mseLoss(x, y), [randomF64([3, 4]), randomF64([3, 4])]);
    gradcheck((x, y) => T.l1Loss(x, y, { reduction: 'sum' }), [randomF64([5]), randomF64([5])]);
  });
  it('errors', () => {
    expect(() => T.mseLoss(T.zeros([3]), T.zeros([4]))).toThrow(T.ShapeError);
    expect(() => T.l1Loss(T.zeros([3]), T.zeros([3]), { reduction: 'avg' as 'mean' })).toThrow(T.ArgumentError);
    expect(() => T.mseLoss(T.zeros([3]), T.zeros([3], { dtype: 'int32' }))).toThrow(T.DTypeError);
  });
});

describe('binary cross-entropy', () => {
  const x = [-2.5, -0.3, 0, 0.7, 3];
  const t = [0, 1, 1, 0.25, 1];
  const definition = x.map((xi, i) => -(t[i]! * Math.log(sigmoid(xi)) + (1 - t[i]!) * Math.log(1 - sigmoid(xi))));
  it('bceWithLogits matches -[t log s(x) + (1 - t) log(1 - s(x))]', () => {
    const loss = T.bceWithLogits(T.tensor(x, { dtype: 'float64' }), T.tensor(t, { dtype: 'float64' }), { reduction: 'none' });
    values(loss).forEach((v, i) => expect(v).toBeCloseTo(definition[i]!, 12));
    const pw = T.bceWithLogits(T.tensor(x, { dtype: 'float64' }), T.tensor(t, { dtype: 'float64' }), { posWeight: T.tensor([3], { dtype: 'float64' }), reduction: 'none' });
    values(pw).forEach((v, i) => expect(v).toBeCloseTo(-(3 * t[i]! * Math.log(sigmoid(x[i]!)) + (1 - t[i]!) * Math.log(1 - sigmoid(x[i]!))), 12));
  });
  it('bceWithLogits is finite and exact at |x| = 1e4, with gradient s(x) - t', () => {
    const logits = T.tensor([1e4, -1e4, 1e4, -1e4, 0]).requiresGrad_();
    const loss = T.bceWithLogits(logits, T.tensor([0, 1, 1, 0, 1]), { reduction: 'none' });
    expect(values(loss)).toEqual([1e4, 1e4, 0, 0, Math.fround(Math.LN2)]);
    T.sum(loss).backward();
    expect(values(logits.grad!)).toEqual([1, -1, 0, 0, -0.5]);
  });
  it('bceWithLogits gradchecks, with weight and posWeight', () => {
    gradcheck((a, b) => T.bceWithLogits(a, b), [randomF64([3, 4], -3, 3), randomF64([3, 4], 0, 1)]);
    gradcheck((a, b, w) => T.bceWithLogits(a, b, { weight: w, posWeight: T.tensor([0.5, 2, 1, 3], { dtype: 'float64' }) }), [randomF64([3, 4], -3, 3), randomF64([3, 4], 0, 1), randomF64([4], 0, 1)]);
  });
  it('bce matches the definition and clamps its logs at -100 as PyTorch', () => {
    const p = x.map(sigmoid);
    const loss = T.bce(T.tensor(p, { dtype: 'float64' }), T.tensor(t, { dtype: 'float64' }), { reduction: 'none' });
    values(loss).forEach((v, i) => expect(v).toBeCloseTo(definition[i]!, 10));
    const edge = T.tensor([0, 1, 0, 1]).requiresGrad_();
    const clamped = T.bce(edge, T.tensor([1, 0, 0, 1]), { reduction: 'none' });
    expect(values(clamped).map((v) => v + 0)).toEqual([100, 100, 0, 0]);
    T.sum(clamped).backward();
    expect(values(edge.grad!).every(Number.isFinite)).toBe(true);
    gradcheck((a, b) => T.bce(a, b), [randomF64([2, 3], 0.05, 0.95), randomF64([2, 3], 0, 1)]);
  });
});

describe('crossEntropy and nllLoss', () => {
  const logits = () => randomF64([4, 5], -2, 2);
  const target = ints([0, 4, 2, 4]);
  /** -log softmax(x)[n, t_n] straight from the definition. */
  const nllOf = (x: Tensor, t: number[]) => {
    const rows = x.shape[0]!;
    const data = x.dataSync();
    const classes = x.shape[1]!;
    return Array.from({ length: rows }, (_, n) => {
      const row = Array.from(data.slice(n * classes, (n + 1) * classes));
      const lse = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
      return lse - row[t[n]!]!;
    });
  };
  it('class indices: matches -log softmax, every reduction', () => {
    const x = logits();
    const expected = nllOf(x, [0, 4, 2, 4]);
    values(T.crossEntropy(x, target, { reduction: 'none' })).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 12));
    expect(item(T.crossEntropy(x, target))).toBeCloseTo(expected.reduce((a, b) => a + b) / 4, 12);
    expect(item(T.crossEntropy(x, target, { reduction: 'sum' }))).toBeCloseTo(expected.reduce((a, b) => a + b), 12);
    expect(item(T.nllLoss(T.logSoftmax(x, 1), target))).toBeCloseTo(item(T.crossEntropy(x, target)), 14);
  });
  it('class weights and ignoreIndex: mean divides by the weight of the kept targets', () => {
    const x = logits();
    const w = [0.5, 1, 2, 1, 3];
    const expected = nllOf(x, [0, 4, 2, 4]);
    const kept = [0, 2, 3]; // target 1 is ignored
    const loss = T.crossEntropy(x, ints([0, 7, 2, 4]), { weight: T.tensor(w, { dtype: 'float64' }), ignoreIndex: 7 });
    const tw = [0.5, 0, 2, 3];
    expect(item(loss)).toBeCloseTo(kept.reduce((s, n) => s + tw[n]! * expected[n]!, 0) / kept.reduce((s, n) => s + tw[n]!, 0), 12);
    const none = values(T.crossEntropy(x, ints([0, -100, 2, 4]), { reduction: 'none' }));
    expect(none[1]).toBe(0);
  });
  it('label smoothing: (1 - e) nll + e mean_c(-log p_c)', () => {
    const x = logits();
    const eps = 0.2;
    const logp = T.logSoftmax(x, 1).dataSync();
    const nll = nllOf(x, [0, 4, 2, 4]);
    const expected = nll.map((v, n) => (1 - eps) * v + (eps / 5) * -Array.from(logp.slice(n * 5, n * 5 + 5)).reduce((a, b) => a + b));
    values(T.crossEntropy(x, target, { labelSmoothing: eps, reduction: 'none' })).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 12));
    // The same through probability targets: one-hot mixed with the uniform distribution.
    const probs = T.oneHot(target, 5, { dtype: 'float64' });
    expect(item(T.crossEntropy(x, probs, { labelSmoothing: eps }))).toBeCloseTo(expected.reduce((a, b) => a + b) / 4, 12);
  });
  it('probability targets and spatial dims [N, C, d1, d2]', () => {
    const x = randomF64([2, 3, 2, 2]);
    const t = T.softmax(randomF64([2, 3, 2, 2]), 1);
    const manual = T.mean(T.neg(T.sum(T.mul(T.logSoftmax(x, 1), t), 1)));
    expect(item(T.crossEntropy(x, t))).toBeCloseTo(item(manual), 13);
    const idx = ints([0, 2, 1, 1, 2, 2, 0, 1], [2, 2, 2]);
    const flat = T.crossEntropy(T.reshape(T.permute(x, [0, 2, 3, 1]), [8, 3]), T.reshape(idx, [8]), { reduction: 'none' });
    const spatial = T.crossEntropy(x, idx, { reduction: 'none' });
    expect(spatial.shape).toEqual([2, 2, 2]);
    expect(values(spatial)).toEqual(values(flat));
    expect(item(T.crossEntropy(T.tensor([1, 2, 3], { dtype: 'float64' }), ints([2], [])))).toBeCloseTo(nllOf(f64([[1, 2, 3]]), [2])[0]!, 14);
  });
  it('gradchecks for every variant', () => {
    gradcheck((x) => T.crossEntropy(x, target), [logits()]);
    gradcheck((x) => T.crossEntropy(x, ints([0, 9, 2, 4]), { ignoreIndex: 9, labelSmoothing: 0.1, weight: T.tensor([1, 2, 3, 4, 5], { dtype: 'float64' }) }), [logits()]);
    gradcheck((x, t) => T.crossEntropy(x, t, { labelSmoothing: 0.3 }), [logits(), randomF64([4, 5], 0, 1)]);
    gradcheck((x) => T.crossEntropy(x, ints([1, 0, 2, 2], [2, 2]), { reduction: 'none' }), [randomF64([2, 3, 2])]);
    gradcheck((x) => T.nllLoss(x, target, { reduction: 'sum' }), [logits()]);
  });
  it('is finite and exact at logits of magnitude 1e4', () => {
    const x = T.tensor([[1e4, 0, -1e4], [-1e4, -1e4, -1e4], [1e4, 1e4, 0]]).requiresGrad_();
    const loss = T.crossEntropy(x, ints([2, 1, 0]), { reduction: 'none' });
    expect(values(loss)).toEqual([2e4, Math.fround(Math.log(3)), Math.fround(Math.LN2)]);
    T.sum(loss).backward();
    expect(values(x.grad!).every(Number.isFinite)).toBe(true);
    expect(values(T.crossEntropy(x, T.tensor([[0, 0, 1], [1, 0, 0], [0.5, 0.5, 0]]), { reduction: 'none' }))).toEqual([2e4, Math.fround(Math.log(3)), Math.fround(Math.LN2)]);
  });
  it('typed errors: class index out of range, shapes, dtypes, options', () => {
    const x = T.zeros([2, 3]);
    expect(() => T.crossEntropy(x, ints([0, 3]))).toThrow(/crossEntropy: class index 3 at position 1 .* out of range \[0, 3\)/);
    expect(() => T.crossEntropy(x, ints([-1, 0]))).toThrow(T.ArgumentError);
    expect(() => T.nllLoss(x, ints([0, 5]))).toThrow(/nllLoss: class index 5/);
    expect(() => T.crossEntropy(x, ints([0, 1, 2]))).toThrow(/target \[3\] must have the input's shape without the class axis, \[2\]/);
    expect(() => T.crossEntropy(x, T.zeros([2, 4]))).toThrow(T.ShapeError);
    expect(() => T.crossEntropy(x, T.tensor([true, false]))).toThrow(T.DTypeError);
    expect(() => T.crossEntropy(T.zeros([2, 3], { dtype: 'int32' }), ints([0, 1]))).toThrow(T.DTypeError);
    expect(() => T.crossEntropy(x, ints([0, 1]), { weight: T.ones([2]) })).toThrow(/weight must be \[3\]/);
    expect(() => T.crossEntropy(x, ints([0, 1]), { labelSmoothing: 1.5 })).toThrow(T.ArgumentError);
  });
});

describe('klDivGaussian', () => {
  it('sums over features and averages over the batch', () => {
    const mu = randomValues(6);
    const logvar = randomValues(6);
    const perSample = [0, 1].map((b) => [0, 1, 2].reduce((s, j) => {
      const i = b * 3 + j;
      return s - 0.5 * (1 + logvar[i]! - mu[i]! ** 2 - Math.exp(logvar[i]!));
    }, 0));
    const kl = T.klDivGaussian(T.tensor(mu, { shape: [2, 3] }), T.tensor(logvar, { shape: [2, 3] }));
    expect(item(kl)).toBeCloseTo((perSample[0]! + perSample[1]!) / 2, 12);
    expect(item(T.klDivGaussian(T.zeros([4, 2]), T.zeros([4, 2])))).toBe(0);
    gradcheck((m, l) => T.klDivGaussian(m, l), [randomF64([3, 2, 2]), randomF64([3, 2, 2])]);
    expect(() => T.klDivGaussian(T.zeros([2, 3]), T.zeros([3, 2]))).toThrow(T.ShapeError);
  });
});
