// The losses of losses-extra.ts against reference values from PyTorch 2.13 (torch.nn.functional,
// float64, computed once on fixed inputs), float64 gradient checks and typed errors.
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { gradcheck, randomF64 } from './setup/gradcheck.js';

const f64 = (v: number[][]) => T.tensor(v, { dtype: 'float64' });
const values = (t: Tensor) => Array.from(t.dataSync(), Number);
const x = () => f64([[0.3, -1.2, 2.5], [0.05, 1.7, -0.4]]);
const y = () => f64([[0.1, 0.4, -0.5], [0.0, 1.2, 2.0]]);
const labels = () => f64([[1, -1, 1], [-1, 1, -1]]);

function expectClose(got: Tensor, want: number[], digits = 13): void {
  const v = values(got);
  expect(v.length).toBe(want.length);
  v.forEach((g, i) => expect(g, `element ${i}`).toBeCloseTo(want[i]!, digits));
}

describe('losses against PyTorch', () => {
  it('smoothL1Loss and huberLoss', () => {
    expectClose(T.smoothL1Loss(x(), y(), { reduction: 'none', beta: 0.8 }), [0.025, 1.2, 2.6, 0.0015625, 0.15625, 2.0]);
    expectClose(T.huberLoss(x(), y(), { reduction: 'none', delta: 0.8 }), [0.02, 0.96, 2.08, 0.00125, 0.125, 1.6]);
    expectClose(T.smoothL1Loss(x(), y(), { beta: 0 }), [values(T.l1Loss(x(), y()))[0]!]);
  });
  it('klDiv with every reduction and logTarget', () => {
    const lp = T.logSoftmax(x(), 1);
    const t = T.softmax(y(), 1);
    expectClose(T.klDiv(lp, t, { reduction: 'none' }), [0.4356633301982406, 1.4263116815366121, -0.2910330394341306, -0.04585391014798745, -0.2798371094942857, 1.207251716287423]);
    expectClose(T.klDiv(lp, t, { reduction: 'batchmean' }), [1.226251334472936]);
    expectClose(T.klDiv(lp, T.log(t), { reduction: 'sum', logTarget: true }), [2.452502668945872]);
  });
  it('poissonNllLoss, log input and full', () => {
    const target = f64([[0, 1, 2], [3, 1.5, 7]]);
    expectClose(T.poissonNllLoss(x(), target, { reduction: 'none' }), [1.3498588075760032, 1.5011942119122021, 7.182493960703473, 0.9012710963760241, 2.9239473917272, 3.4703200460356394]);
    expectClose(T.poissonNllLoss(T.abs(x()), target, { logInput: false, full: true, reduction: 'none' }), [0.3, 1.0176784348727121, 1.319225012856226, 10.80127776420509, 1.1339263640042165, 15.32729959923861], 7);
  });
  it('gaussianNllLoss: a variance per row, clamping at eps, full', () => {
    expectClose(T.gaussianNllLoss(x(), y(), f64([[0.5], [2]]), { reduction: 'none' }), [-0.30657359027997266, 2.213426409720028, 8.653426409720028, 0.34719859027997263, 0.40907359027997264, 1.7865735902799726]);
    expectClose(T.gaussianNllLoss(x(), y(), f64([[0.5, 1e-9, 2], [1, 1, 3]]), { full: true, reduction: 'none' }), [0.6123649429247, 1279994.0111832544, 3.5155121234846454, 0.9201885332046726, 1.0439385332046727, 2.4282446775387276], 7);
    expect(T.gaussianNllLoss(x(), y(), T.ones([2], { dtype: 'float64' })).shape).toEqual([]);
  });
  it('margin, hinge, cosine and triplet losses', () => {
    expectClose(T.marginRankingLoss(x(), y(), labels(), { margin: 0.3, reduction: 'none' }), [0.1, 0, 0, 0.35, 0, 0]);
    expectClose(T.hingeEmbeddingLoss(x(), labels(), { margin: 1.5, reduction: 'none' }), [0.3, 2.7, 2.5, 1.45, 1.7, 1.9]);
    expectClose(T.cosineEmbeddingLoss(x(), y(), T.tensor([1, -1], { dtype: 'float64' }), { margin: -0.2, reduction: 'none' }), [1.9404473297685418, 0.5042947075875786], 10); // PyTorch adds its eps to the squared norms
    const neg = f64([[1, 0, 0.5], [0.2, 1, -0.3]]);
    expectClose(T.tripletMarginLoss(x(), y(), neg, { margin: 2, reduction: 'none' }), [2.970718569518987, 3.729196975289632]);
    expectClose(T.tripletMarginLoss(x(), y(), neg, { margin: 1, p: 1, swap: true, reduction: 'none' }), [3.500002, 3.000002]);
  });
});

describe('gradient checks', () => {
  const a = () => randomF64([3, 5]);
  it('regression and likelihood losses', () => {
    gradcheck((p, q) => T.smoothL1Loss(p, q, { beta: 0.7 }), [a(), a()]);
    gradcheck((p, q) => T.huberLoss(p, q, { delta: 0.5, reduction: 'sum' }), [a(), a()]);
    gradcheck((p, q) => T.klDiv(T.logSoftmax(p, 1), T.softmax(q, 1), { reduction: 'batchmean' }), [a(), a()]);
    gradcheck((p, q) => T.klDiv(p, q, { logTarget: true }), [a(), a()]);
    gradcheck((p) => T.poissonNllLoss(p, T.tensor([[0, 1, 2, 3, 4]], { dtype: 'float64' }).expand([3, 5])), [a()]);
    gradcheck((p, q, v) => T.gaussianNllLoss(p, q, v), [a(), a(), randomF64([3], 0.3, 2)]);
  });
  it('margin and embedding losses', () => {
    const lab = T.tensor([1, -1, 1], { dtype: 'float64' });
    gradcheck((p, q) => T.marginRankingLoss(p, q, lab, { margin: 0.1 }), [randomF64([3]), randomF64([3])]);
    gradcheck((p) => T.hingeEmbeddingLoss(p, T.reshape(lab, [3, 1]), { margin: 0.5 }), [randomF64([3, 4], 0.6, 2)]);
    gradcheck((p, q) => T.cosineEmbeddingLoss(p, q, lab, { margin: -1 }), [randomF64([3, 4]), randomF64([3, 4])]);
    gradcheck((p, q, r) => T.tripletMarginLoss(p, q, r, { margin: 3 }), [randomF64([2, 4]), randomF64([2, 4]), randomF64([2, 4])]);
    gradcheck((p, q, r) => T.tripletMarginLoss(p, q, r, { margin: 3, p: 3, swap: true }), [randomF64([2, 4]), randomF64([2, 4]), randomF64([2, 4])]);
  });
});

describe('typed errors', () => {
  it('name the op, the argument and the shapes', () => {
    expect(() => T.smoothL1Loss(T.zeros([2, 3]), T.zeros([3]))).toThrow(/smoothL1Loss: input \[2, 3\] and target \[3\]/);
    expect(() => T.huberLoss(T.zeros([2]), T.zeros([2]), { delta: 0 })).toThrow(/huberLoss: delta must be positive/);
    expect(() => T.gaussianNllLoss(T.zeros([2, 3]), T.zeros([2, 3]), T.zeros([3, 2]))).toThrow(T.ShapeError);
    expect(() => T.cosineEmbeddingLoss(T.zeros([2, 3]), T.zeros([2, 3]), T.zeros([3]))).toThrow(/target must be \[2\]/);
    expect(() => T.tripletMarginLoss(T.zeros([2, 3]), T.zeros([2, 3]), T.zeros([2, 4]))).toThrow(/tripletMarginLoss.*\[2, 4\]/);
    expect(() => T.marginRankingLoss(T.zeros([3]), T.zeros([3]), T.zeros([4]))).toThrow(T.ShapeError);
    expect(() => T.klDiv(T.zeros([2]), T.zeros([2]), { reduction: 'avg' as never })).toThrow(T.ArgumentError);
  });
});
