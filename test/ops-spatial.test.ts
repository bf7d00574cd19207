// 1-D conv and pooling, unfold/fold, gridSample/affineGrid, rmsNorm, circular padding and the new
// interpolate modes: values against PyTorch 2.13 (test/fixtures/torch-spatial-reference.*) or the
// 2-D ops, float64 gradient checks, typed errors.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { gradcheck, randomF64 } from './setup/gradcheck.js';

const ref: Record<string, number[]> = JSON.parse(readFileSync(new URL('./fixtures/torch-spatial-reference.json', import.meta.url), 'utf8'));
const values = (t: Tensor) => Array.from(t.dataSync(), Number);
function expectRef(got: Tensor, name: string, digits = 12): void {
  const want = ref[name]!;
  const v = values(got);
  expect(v.length, name).toBe(want.length);
  v.forEach((g, i) => expect(g, `${name} element ${i}`).toBeCloseTo(want[i]!, digits));
}
/** The fixtures' inputs: sin / cos of a range, as the generator script builds them. */
const seq = (shape: number[], f: (v: number) => number) => T.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => f(i)), { shape, dtype: 'float64' });
const image = () => seq([2, 2, 3, 4], Math.sin);
const small = () => seq([1, 1, 3, 5], Math.cos);
const grid = () => T.tensor([[[[-1.2, -0.9], [0.3, 0.1], [0.95, 1.3]], [[0.0, 0.0], [-0.4, 0.7], [1.0, -1.0]]],
  [[[0.5, -0.2], [-1.0, 1.0], [2.1, 0.3]], [[-0.77, 0.12], [0.25, 0.6], [-1.6, -1.9]]]], { dtype: 'float64' });

describe('gridSample and affineGrid against PyTorch', () => {
  for (const mode of ['bilinear', 'nearest'] as const) {
    for (const paddingMode of ['zeros', 'border', 'reflection'] as const) {
      for (const alignCorners of [false, true]) {
        it(`${mode}, ${paddingMode}, alignCorners ${alignCorners}`, () => {
          expectRef(T.gridSample(image(), grid(), { mode, paddingMode, alignCorners }), `gs_${mode}_${paddingMode}_${alignCorners ? 'True' : 'False'}`);
        });
      }
    }
  }
  it('affineGrid', () => {
    const theta = T.tensor([[[0.9, -0.2, 0.1], [0.3, 1.1, -0.4]], [[1, 0, 0], [0, 1, 0]]], { dtype: 'float64' });
    expectRef(T.affineGrid(theta, [2, 1, 2, 3]), 'ag_F');
    expectRef(T.affineGrid(theta, [2, 1, 2, 3], true), 'ag_T');
  });
  it('gradients in the image and the grid', () => {
    // Grid points away from pixel boundaries, where bilinear sampling is smooth.
    const g = T.tensor([[[[-0.63, 0.41], [0.27, -0.18]], [[0.84, 0.52], [-0.36, -0.71]]]], { dtype: 'float64' });
    for (const paddingMode of ['zeros', 'border', 'reflection'] as const) {
      gradcheck((x, q) => T.gridSample(x, q, { paddingMode }), [randomF64([1, 2, 3, 4]), g]);
    }
    gradcheck((x) => T.gridSample(x, g, { mode: 'nearest' }), [randomF64([1, 2, 3, 4])]);
    gradcheck((x, th) => T.gridSample(x, T.affineGrid(th, [1, 2, 2, 3])), [randomF64([1, 2, 4, 5]), T.tensor([[[0.8, 0.1, 0.07], [-0.2, 0.9, 0.13]]], { dtype: 'float64' })]);
  });
});

describe('interpolate modes and circular padding against PyTorch', () => {
  it('bicubic, area, nearest-exact', () => {
    expectRef(T.interpolate(small(), { size: [5, 7], mode: 'bicubic' }), 'bicubic_up');
    expectRef(T.interpolate(small(), { size: [4, 9], mode: 'bicubic', alignCorners: true }), 'bicubic_up_ac');
    expectRef(T.interpolate(small(), { scaleFactor: 0.6, mode: 'bicubic' }), 'bicubic_down');
    expectRef(T.interpolate(small(), { size: [2, 3], mode: 'area' }), 'area');
    expectRef(T.interpolate(small(), { size: [4, 3], mode: 'nearest-exact' }), 'nearest_exact');
    gradcheck((x) => T.interpolate(x, { size: [4, 6], mode: 'bicubic' }), [randomF64([1, 2, 3, 4])]);
  });
  it('an unsupported mode is an error, not a silent bilinear', () => {
    expect(() => T.interpolate(small(), { size: 4, mode: 'trilinear' as never })).toThrow(T.ArgumentError);
    expect(() => T.interpolate(small(), { size: 4, mode: 'trilinear' as never })).toThrow(/interpolate: mode must be one of .*"trilinear".*\[1, 1, 3, 5\]/);
    expect(() => T.interpolate(small(), { size: 4, mode: 'area', alignCorners: true })).toThrow(T.ArgumentError);
  });
  it('circular padding', () => {
    expectRef(T.pad(small(), [2, 1, 1, 3], { mode: 'circular' }), 'circular');
    gradcheck((x) => T.pad(x, [3, 2], { mode: 'circular' }), [randomF64([2, 3])]);
    expect(() => T.pad(T.zeros([1, 2]), [3, 0], { mode: 'circular' })).toThrow(/circular padding \[3, 0\] of axis 1 needs each pad at most the axis/);
  });
});

describe('unfold and fold', () => {
  it('unfold against PyTorch; fold of unfold counts each pixel once per block', () => {
    expectRef(T.unfold(small(), [2, 3], { padding: 1, stride: [2, 1], dilation: [1, 2] }), 'unfold');
    const x = randomF64([2, 3, 5, 6]);
    const opts = { padding: 1, stride: 2 } as const;
    const cols = T.unfold(x, 3, opts);
    expect(cols.shape).toEqual([2, 27, 9]);
    const counts = T.fold(T.unfold(T.onesLike(x), 3, opts), [5, 6], 3, opts);
    values(T.fold(cols, [5, 6], 3, opts)).forEach((v, i) => expect(v).toBeCloseTo(values(x)[i]! * values(counts)[i]!, 12));
  });
  it('gradients', () => {
    gradcheck((x) => T.unfold(x, [2, 3], { dilation: [2, 1], stride: [1, 2] }), [randomF64([1, 2, 5, 6])]);
    gradcheck((c) => T.fold(c, [4, 5], 2, { stride: 1 }), [randomF64([2, 8, 12])]);
    gradcheck((c) => T.fold(c, [5, 5], 3, { stride: 2, padding: 1 }), [randomF64([1, 9, 9])]);
  });
});

describe('1-D convolution and pooling match the 2-D ops on [N, C, 1, L]', () => {
  it('conv1d, convTranspose1d, pools', () => {
    const x = randomF64([2, 4, 9]);
    const w = randomF64([6, 2, 3]);
    const as2d = T.squeeze(T.conv2d(T.unsqueeze(x, 2), T.unsqueeze(w, 2), null, { stride: [1, 2], padding: [0, 0, 1, 1], groups: 2 }), 2);
    expect(values(T.conv1d(x, w, null, { stride: 2, padding: 1, groups: 2 }))).toEqual(values(as2d));
    expect(T.conv1d(x, w, null, { padding: 'same', groups: 2, dilation: 2 }).shape).toEqual([2, 6, 9]);
    expect(T.convTranspose1d(x, randomF64([4, 3, 3]), null, { stride: 2, padding: 1, outputPadding: 1 }).shape).toEqual([2, 3, 18]);
    expect(values(T.maxPool1d(T.tensor([[[1, 5, 2, 8, 3]]]), 2))).toEqual([5, 8]);
    expect(values(T.avgPool1d(T.tensor([[[1, 5, 2, 8, 3]]]), 3, { stride: 2, padding: 1, countIncludePad: false }))).toEqual([3, 5, 5.5]);
  });
  it('gradients', () => {
    gradcheck((x, w, b) => T.conv1d(x, w, b, { stride: 2, padding: 2, dilation: 2 }), [randomF64([2, 3, 8]), randomF64([4, 3, 3]), randomF64([4])]);
    gradcheck((x, w) => T.convTranspose1d(x, w, null, { stride: 3, padding: 1, outputPadding: 2 }), [randomF64([1, 2, 5]), randomF64([2, 3, 2])]);
    gradcheck((x) => T.maxPool1d(x, 3, { stride: 2, padding: 1 }), [randomF64([2, 3, 7])]);
    gradcheck((x) => T.avgPool1d(x, 2), [randomF64([1, 2, 5])]);
  });
});

describe('rmsNorm', () => {
  it('by hand and gradients', () => {
    const y = T.rmsNorm(T.tensor([[3, 4]], { dtype: 'float64' }), [2], null, 0);
    expect(values(y).map((v) => v * Math.sqrt(12.5))).toEqual([3, 4]);
    gradcheck((x, w) => T.rmsNorm(x, [3, 4], w), [randomF64([2, 3, 4]), randomF64([3, 4])]);
    gradcheck((x) => T.rmsNorm(x, [5], null, 1e-3), [randomF64([3, 5])]);
  });
});

describe('typed errors', () => {
  it('name the op, the argument and the shapes', () => {
    expect(() => T.conv1d(T.zeros([2, 3]), T.zeros([4, 3, 3]))).toThrow(/conv1d: input must be 3-D \(N, C, L\), got shape \[2, 3\]/);
    expect(() => T.conv1d(T.zeros([2, 3, 5]), T.zeros([4, 2, 3]))).toThrow(/conv2d: the input has 3 channels/);
    expect(() => T.unfold(T.zeros([1, 2, 3]), 2)).toThrow(T.ShapeError);
    expect(() => T.fold(T.zeros([1, 8, 11]), [4, 5], 2)).toThrow(/fold: input \[1, 8, 11\] does not hold C \* 4 rows of 12 blocks/);
    expect(() => T.gridSample(T.zeros([1, 1, 3, 3]), T.zeros([2, 2, 2, 2]))).toThrow(/gridSample: grid \[2, 2, 2, 2\] must be \[1, Ho, Wo, 2\]/);
    expect(() => T.gridSample(T.zeros([1, 1, 3, 3]), T.zeros([1, 2, 2, 2]), { mode: 'bicubic' as never })).toThrow(T.ArgumentError);
    expect(() => T.affineGrid(T.zeros([1, 3, 3]), [1, 1, 2, 2])).toThrow(/affineGrid: theta must be \[1, 2, 3\]/);
    expect(() => T.rmsNorm(T.zeros([2, 3]), [2])).toThrow(/rmsNorm: normalizedShape \[2\] must be the trailing dims of the input \[2, 3\]/);
    expect(() => T.maxPool1d(T.zeros([1, 1, 4]), 0)).toThrow(/maxPool1d: kernelSize must be an integer >= 1/);
  });
});
