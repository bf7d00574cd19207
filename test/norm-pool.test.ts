// Norms, pooling, resampling, padding modes and dropout on the CPU reference: PyTorch's values and
// shapes, float64 gradient checks (second order for the norms), running statistics, typed errors.
import { describe, expect, it } from 'vitest';
import { heldTensors } from './setup/memory.js';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { gradcheck, randomF64 } from './setup/gradcheck.js';

const f64 = (values: number[], shape: number[]) => T.tensor(values, { shape, dtype: 'float64' });
const values = (t: Tensor) => Array.from(t.dataSync());
function expectValues(t: Tensor, expected: number[], digits = 10) {
  const got = values(t);
  expect(got.length).toBe(expected.length);
  got.forEach((v, i) => expect(v, `element ${i}`).toBeCloseTo(expected[i]!, digits));
}

describe('moments', () => {
  it('mean and biased variance over any axes, keepdim or not', () => {
    const x = f64([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 3, 2]);
    const [m, v] = T.moments(x, [0, 2]);
    expect(m.shape).toEqual([3]);
    expectValues(m, [4.5, 6.5, 8.5]);
    expectValues(v, [9.25, 9.25, 9.25]);
    const [mk] = T.moments(x, 1, true);
    expect(mk.shape).toEqual([2, 1, 2]);
    expectValues(mk, [3, 4, 9, 10]);
  });
  it('is accurate far from zero (one pass, Welford)', () => {
    const [, v] = T.moments(f64([1e8 + 1, 1e8 + 2, 1e8 + 3], [3]));
    expectValues(v, [2 / 3], 6);
  });
  it('gradients of mean and variance, first and second order', () => {
    gradcheck((x) => T.add(T.moments(x, [0, 2])[0], T.mul(T.moments(x, [0, 2])[1], 3)), [randomF64([3, 2, 4])]);
    const inner = (x: Tensor) => T.gradients(T.sum(T.square(T.moments(x, 1)[1])), [x], { createGraph: true })[0]!;
    gradcheck(inner, [randomF64([2, 5])]);
  });
});

describe('batchNorm', () => {
  it('normalises with batch statistics and updates running ones (PyTorch momentum, unbiased var)', () => {
    const x = f64([1, 2, 3, 4, 10, 20, 30, 40], [2, 2, 2, 1]);
    const rm = T.zeros([2], { dtype: 'float64' });
    const rv = T.ones([2], { dtype: 'float64' });
    const y = T.batchNorm(x, rm, rv, null, null, { eps: 0 });
    expectValues(T.mean(y, [0, 2, 3]), [0, 0]);
    expectValues(T.variance(y, [0, 2, 3], { correction: 0 }), [1, 1], 8);
    // Channel 0 holds 1, 2, 10, 20 (mean 8.25); channel 1 holds 3, 4, 30, 40 (mean 19.25).
    const unbiased = (xs: number[], m: number) => xs.reduce((s, v) => s + (v - m) ** 2, 0) / (xs.length - 1);
    expectValues(rm, [0.825, 1.925]);
    expectValues(rv, [0.9 + 0.1 * unbiased([1, 2, 10, 20], 8.25), 0.9 + 0.1 * unbiased([3, 4, 30, 40], 19.25)]);
    expect(rm.requiresGrad).toBe(false);
  });
  it('eval mode uses the running statistics', () => {
    const x = f64([1, 2, 3, 4], [2, 2]);
    const y = T.batchNorm(x, f64([1, 2], [2]), f64([4, 9], [2]), f64([2, 1], [2]), f64([0, 1], [2]), { training: false, eps: 0 });
    expectValues(y, [0, 1, 2, 1 + 2 / 3]);
  });
  const cases: [string, number[]][] = [['1d [N, C]', [5, 3]], ['2d [N, C, H, W]', [2, 3, 3, 2]], ['batch 1', [1, 2, 3, 3]]];
  for (const [name, shape] of cases) {
    it(`gradients, ${name}`, () => {
      const c = shape[1]!;
      gradcheck((x, w, b) => T.batchNorm(x, null, null, w, b), [randomF64(shape), randomF64([c]), randomF64([c])]);
      const [rm, rv] = [randomF64([c], 0, 1), randomF64([c], 0.5, 2)];
      gradcheck((x, w, b) => T.batchNorm(x, rm, rv, w, b, { training: false }), [randomF64(shape), randomF64([c]), randomF64([c])]);
    });
  }
  it('second derivatives', () => {
    const inner = (x: Tensor, w: Tensor) => T.gradients(T.sum(T.pow(T.batchNorm(x, null, null, w, null), 3)), [x], { createGraph: true })[0]!;
    gradcheck(inner, [randomF64([3, 2, 2, 1]), randomF64([2])]);
  });
});

describe('layerNorm, groupNorm, instanceNorm', () => {
  it('layerNorm normalises the trailing dims', () => {
    const y = T.layerNorm(f64([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]), [4], null, null, 0);
    const s = Math.sqrt(1.25);
    expectValues(y, [-1.5, -0.5, 0.5, 1.5, -1.5, -0.5, 0.5, 1.5].map((v) => v / s), 8);
  });
  it('gradients (first and second order)', () => {
    gradcheck((x, w, b) => T.layerNorm(x, [3, 2], w, b), [randomF64([2, 3, 2]), randomF64([3, 2]), randomF64([3, 2])]);
    gradcheck((x, w, b) => T.groupNorm(x, 2, w, b), [randomF64([2, 4, 3, 2]), randomF64([4]), randomF64([4])]);
    gradcheck((x, w, b) => T.instanceNorm(x, w, b), [randomF64([2, 3, 2, 3]), randomF64([3]), randomF64([3])]);
    gradcheck((x) => T.groupNorm(x, 1), [randomF64([1, 3, 5])]);
    const inner = (x: Tensor) => T.gradients(T.sum(T.pow(T.groupNorm(x, 2), 3)), [x], { createGraph: true })[0]!;
    gradcheck(inner, [randomF64([1, 4, 2, 2])]);
    const innerLayer = (x: Tensor) => T.gradients(T.sum(T.pow(T.layerNorm(x, [4]), 3)), [x], { createGraph: true })[0]!;
    gradcheck(innerLayer, [randomF64([2, 4])]);
  });
  it('groupNorm with one channel per group equals instanceNorm', () => {
    const x = randomF64([2, 3, 4, 4]);
    expectValues(T.groupNorm(x, 3), values(T.instanceNorm(x)));
  });
});

describe('pooling', () => {
  const x = f64([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], [1, 1, 4, 4]);
  it('max and average values, with padding and countIncludePad', () => {
    expectValues(T.maxPool2d(x, 2), [6, 8, 14, 16]);
    expectValues(T.avgPool2d(x, 2), [3.5, 5.5, 11.5, 13.5]);
    expectValues(T.maxPool2d(x, 3, { stride: 2, padding: 1 }), [6, 8, 14, 16]);
    expectValues(T.avgPool2d(x, 3, { stride: 2, padding: 1 }), [14 / 9, 30 / 9, 57 / 9, 99 / 9]);
    expectValues(T.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }), [14 / 4, 30 / 6, 57 / 6, 99 / 9]);
    expectValues(T.globalAvgPool2d(x), [8.5]);
    expect(T.globalAvgPool2d(x).shape).toEqual([1, 1, 1, 1]);
  });
  it('adaptive average pooling uses PyTorch window boundaries', () => {
    expectValues(T.adaptiveAvgPool2d(f64([1, 2, 3, 4, 5], [1, 1, 1, 5]), [1, 3]), [1.5, 3, 4.5]);
    expectValues(T.adaptiveAvgPool2d(x, 1), [8.5]);
    expect(T.adaptiveAvgPool2d(T.zeros([2, 3, 7, 9]), [3, 4]).shape).toEqual([2, 3, 3, 4]);
  });
  it('output shapes follow PyTorch', () => {
    expect(T.maxPool2d(T.zeros([2, 3, 7, 9]), 2).shape).toEqual([2, 3, 3, 4]);
    expect(T.maxPool2d(T.zeros([1, 1, 7, 9]), 3, { stride: 2, padding: 1 }).shape).toEqual([1, 1, 4, 5]);
    expect(T.avgPool2d(T.zeros([1, 1, 7, 9]), [3, 2], { stride: [1, 3], padding: [1, 0] }).shape).toEqual([1, 1, 7, 3]);
    expect(T.avgPool2d(T.zeros([1, 1, 6, 6]), 4, { padding: [2, 1, 0, 2] }).shape).toEqual([1, 1, 2, 2]);
  });
  it('gradients (ties route to the first maximum)', () => {
    gradcheck((t) => T.maxPool2d(t, 2), [randomF64([2, 3, 5, 4])]);
    gradcheck((t) => T.maxPool2d(t, 3, { stride: 2, padding: 1 }), [randomF64([1, 2, 5, 6])]);
    gradcheck((t) => T.avgPool2d(t, [3, 2], { stride: [2, 1], padding: [1, 0, 1, 1] }), [randomF64([1, 2, 5, 4])]);
    gradcheck((t) => T.avgPool2d(t, 3, { stride: 2, padding: 1, countIncludePad: false }), [randomF64([2, 1, 5, 5])]);
    gradcheck((t) => T.adaptiveAvgPool2d(t, [2, 3]), [randomF64([1, 2, 5, 7])]);
    gradcheck((t) => T.globalAvgPool2d(t), [randomF64([2, 3, 2, 3])]);
    const tied = f64([1, 1, 1, 1], [1, 1, 2, 2]).requiresGrad_();
    T.sum(T.maxPool2d(tied, 2)).backward();
    expect(values(tied.grad!)).toEqual([1, 0, 0, 0]);
  });
  it('second derivatives through pooling', () => {
    const through = (pool: (t: Tensor) => Tensor) => (t: Tensor) => T.gradients(T.sum(T.pow(pool(T.mul(t, t)), 2)), [t], { createGraph: true })[0]!;
    gradcheck(through((t) => T.avgPool2d(t, 3, { stride: 2, padding: 1 })), [randomF64([1, 1, 5, 5])]);
    gradcheck(through((t) => T.maxPool2d(t, 2)), [randomF64([1, 2, 4, 5])]);
    const overlapping = (t: Tensor) => T.gradients(T.sum(T.pow(T.maxPool2d(t, 3, { stride: 1 }), 2)), [t], { createGraph: true })[0]!;
    expect(() => T.sum(overlapping(randomF64([1, 1, 4, 4]).requiresGrad_())).backward()).toThrow(/non-overlapping windows/);
  });
});

describe('interpolate', () => {
  const x = f64([1, 2, 3, 4], [1, 1, 2, 2]);
  it("matches PyTorch's nearest and bilinear (align corners both ways)", () => {
    expectValues(T.interpolate(x, { scaleFactor: 2 }), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    expectValues(T.interpolate(x, { scaleFactor: 2, mode: 'bilinear' }), [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4]);
    const third = 1 / 3;
    expectValues(T.interpolate(x, { size: 4, mode: 'bilinear', alignCorners: true }), [
      1, 1 + third, 1 + 2 * third, 2, 1 + 2 * third, 2, 2 + third, 2 + 2 * third,
      2 + third, 2 + 2 * third, 3, 3 + third, 3, 3 + third, 3 + 2 * third, 4,
    ]);
  });
  it('downsamples and resizes to odd sizes', () => {
    const big = f64(Array.from({ length: 16 }, (_, i) => i), [1, 1, 4, 4]);
    expectValues(T.interpolate(big, { size: [2, 2] }), [0, 2, 8, 10]);
    expectValues(T.interpolate(big, { size: 2, mode: 'bilinear' }), [2.5, 4.5, 10.5, 12.5]);
    expectValues(T.interpolate(big, { size: 2, mode: 'bilinear', alignCorners: true }), [0, 3, 12, 15]);
    expect(T.interpolate(T.zeros([2, 3, 5, 7]), { size: [3, 11], mode: 'bilinear' }).shape).toEqual([2, 3, 3, 11]);
    expect(T.interpolate(T.zeros([2, 3, 5]), { scaleFactor: 1.5 }).shape).toEqual([2, 3, 7]);
  });
  it('gradients', () => {
    for (const mode of ['nearest', 'bilinear'] as const) {
      gradcheck((t) => T.interpolate(t, { size: [5, 3], mode }), [randomF64([1, 2, 3, 4])]);
      gradcheck((t) => T.interpolate(t, { scaleFactor: [2, 0.5], mode }), [randomF64([2, 1, 3, 4])]);
    }
    gradcheck((t) => T.interpolate(t, { size: [4, 7], mode: 'bilinear', alignCorners: true }), [randomF64([1, 1, 3, 3])]);
  });
});

describe('pad modes and pixel shuffle', () => {
  it('reflect and replicate padding', () => {
    const row = f64([1, 2, 3], [1, 3]);
    expectValues(T.pad(row, [2, 2], { mode: 'reflect' }), [3, 2, 1, 2, 3, 2, 1]);
    expectValues(T.pad(row, [2, 1], { mode: 'replicate' }), [1, 1, 1, 2, 3, 3]);
    expectValues(T.pad(row, [1, 0], { value: 7 }), [7, 1, 2, 3]);
    expectValues(T.pad(row, [1, 0], 7), [7, 1, 2, 3]);
    const img = f64([1, 2, 3, 4], [1, 1, 2, 2]);
    expectValues(T.pad(img, [1, 0, 0, 1], { mode: 'reflect' }), [2, 1, 2, 4, 3, 4, 2, 1, 2]);
    gradcheck((t) => T.pad(t, [1, 2, 2, 1], { mode: 'reflect' }), [randomF64([1, 2, 3, 4])]);
    gradcheck((t) => T.pad(t, [3, 0, 1, 2], { mode: 'replicate' }), [randomF64([2, 3, 2])]);
    expect(() => T.pad(row, [3, 0], { mode: 'reflect' })).toThrow(/reflect padding \[3, 0\].*each pad below/);
  });
  it('pixelShuffle and pixelUnshuffle are inverse permutations', () => {
    const x = f64(Array.from({ length: 8 }, (_, i) => i), [1, 4, 1, 2]);
    const up = T.pixelShuffle(x, 2);
    expect(up.shape).toEqual([1, 1, 2, 4]);
    expectValues(up, [0, 2, 1, 3, 4, 6, 5, 7]);
    expectValues(T.pixelUnshuffle(up, 2), values(x));
    gradcheck((t) => T.pixelShuffle(t, 2), [randomF64([2, 8, 2, 3])]);
    gradcheck((t) => T.pixelUnshuffle(t, 3), [randomF64([1, 2, 3, 6])]);
  });
});

describe('dropout', () => {
  it('keeps u >= p from the Philox stream and rescales survivors', () => {
    const x = T.ones([1000], { dtype: 'float64' });
    T.manualSeed(3);
    const y = values(T.dropout(x, 0.3));
    T.manualSeed(3);
    const u = values(T.rand([1000], { dtype: 'float64' }));
    y.forEach((v, i) => expect(v).toBeCloseTo(u[i]! >= 0.3 ? 1 / 0.7 : 0, 12));
    const kept = y.filter((v) => v !== 0).length;
    expect(kept).toBeGreaterThan(620);
    expect(kept).toBeLessThan(780);
  });
  it('is the identity in eval mode or with p = 0; zeros with p = 1', () => {
    const x = randomF64([3, 4]);
    expect(T.dropout(x, 0.5, false)).toBe(x);
    expect(T.dropout(x, 0)).toBe(x);
    expect(values(T.dropout(x, 1))).toEqual(new Array(12).fill(0));
  });
  it('gradient is the mask', () => {
    const x = randomF64([50]).requiresGrad_();
    T.manualSeed(9);
    T.sum(T.dropout(x, 0.4)).backward();
    T.manualSeed(9);
    const u = values(T.rand([50], { dtype: 'float64' }));
    expectValues(x.grad!, u.map((v) => (v >= 0.4 ? 1 / 0.6 : 0)));
  });
});

describe('memory', () => {
  it('composite ops free their intermediates when no gradient is recorded', () => {
    const x = randomF64([2, 4, 6, 6]);
    const [rm, rv, w] = [T.zeros([4], { dtype: 'float64' }), T.ones([4], { dtype: 'float64' }), randomF64([4])];
    const [kernel, bias] = [randomF64([4, 3, 3, 3]), randomF64([3])];
    const ops: [string, () => Tensor][] = [
      ['moments', () => {
        const [m, v] = T.moments(x, [0, 2, 3]);
        m.dispose();
        return v;
      }],
      ['batchNorm', () => T.batchNorm(x, rm, rv, w, w)],
      ['layerNorm', () => T.layerNorm(x, [6, 6])],
      ['groupNorm', () => T.groupNorm(x, 2, w, w)],
      ['interpolate', () => T.interpolate(x, { scaleFactor: 2, mode: 'bilinear' })],
      ['adaptiveAvgPool2d', () => T.adaptiveAvgPool2d(x, 4)],
      ['reflect pad', () => T.pad(x, [1, 1, 2, 2], { mode: 'reflect' })],
      ['pixelShuffle', () => T.pixelShuffle(x, 2)],
      ['dropout', () => T.dropout(x, 0.5)],
      ['convTranspose2d with bias', () => T.convTranspose2d(x, kernel, bias, { stride: 2 })],
    ];
    for (const [name, op] of ops) {
      // A first call may cache its literal operands as device constants (kept on purpose).
      op().dispose();
      const before = heldTensors();
      const y = op();
      expect(heldTensors(), name).toBe(before + 1);
      y.dispose();
    }
  });
});

describe('bad input gets typed errors', () => {
  it('norms', () => {
    expect(() => T.batchNorm(T.zeros([2, 3]), T.zeros([4]), T.ones([3]))).toThrow(/batchNorm: runningMean must have shape \[3\] for input \[2, 3\], got \[4\]/);
    expect(() => T.batchNorm(T.zeros([1, 3]), null, null)).toThrow(/more than one value per channel/);
    expect(() => T.batchNorm(T.zeros([2, 3]), null, null, null, null, { training: false })).toThrow(T.ArgumentError);
    expect(() => T.layerNorm(T.zeros([2, 3]), [2])).toThrow(/layerNorm: normalizedShape \[2\] must be a non-empty suffix of the input shape \[2, 3\]/);
    expect(() => T.groupNorm(T.zeros([2, 6, 2]), 4)).toThrow(/groupNorm: groups \(4\) must be a positive integer dividing the channels \(6\)/);
  });
  it('pooling and resampling', () => {
    expect(() => T.maxPool2d(T.zeros([1, 1, 4, 4]), 2, { padding: 2 })).toThrow(/at most half the kernel/);
    expect(() => T.avgPool2d(T.zeros([1, 4, 4]), 2)).toThrow(/avgPool2d: input must be 4-D/);
    expect(() => T.interpolate(T.zeros([1, 1, 2, 2]), { size: 4, scaleFactor: 2 })).toThrow(/exactly one of size and scaleFactor/);
    expect(() => T.interpolate(T.zeros([1, 1, 2, 2]), { size: 4, alignCorners: true })).toThrow(T.ArgumentError);
    expect(() => T.pixelShuffle(T.zeros([1, 3, 2, 2]), 2)).toThrow(/pixelShuffle: input must be \[N, C \* 4, H, W\], got \[1, 3, 2, 2\]/);
    expect(() => T.dropout(T.zeros([2]), 1.5)).toThrow(/dropout: p must be in \[0, 1\]/);
  });
});
