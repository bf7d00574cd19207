// Order statistics and binning (kthvalue, median, quantile, mode, searchsorted, bucketize, histc):
// values PyTorch 2.13 gives for the same inputs, float64 gradient checks on odd shapes, typed
// errors, and the same results on wasm and WebGPU as on the CPU reference.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { getBackend } from '../src/backend/registry.js';
import type { WasmBackend } from '../src/backend/wasm/index.js';
import { gradcheck, randomF64 } from './setup/gradcheck.js';
import { parity } from './setup/parity.js';
import { TOL } from './setup/tolerance.js';

const values = (t: Tensor) => Array.from(t.dataSync(), Number);
const rows = () => T.tensor([[3, 1, 2, 1, 3, 5], [2, 2, 7, 7, 0, 0]]);

describe('order statistics, against PyTorch', () => {
  it('kthvalue, median and mode pick the value and the index PyTorch picks', () => {
    const k = T.kthvalue(rows(), 2, 1);
    expect([values(k.values), values(k.indices)]).toEqual([[1, 0], [3, 5]]);
    const m = T.median(rows(), 1);
    // The lower middle value (not the mean of the two), the first of equal ones.
    expect([values(m.values), values(m.indices)]).toEqual([[2, 2], [2, 0]]);
    const mo = T.mode(rows(), 1);
    // The smallest of the most frequent values, at its last occurrence.
    expect([values(mo.values), values(mo.indices)]).toEqual([[1, 0], [3, 5]]);
    expect(values(T.median(T.tensor([4, 1, 3])))).toEqual([3]);
    expect(T.median(T.tensor([4, 1, 3])).shape).toEqual([]);
    expect(values(T.median(T.tensor([1, NaN, 2])))).toEqual([NaN]);
    expect(values(T.median(T.tensor([[1, NaN, 2], [5, 4, 6]]), 1).indices)).toEqual([1, 0]);
  });

  it('keepdim and axes other than the last', () => {
    const x = T.randn([2, 3, 4]);
    expect(T.kthvalue(x, 2, 1, true).values.shape).toEqual([2, 1, 4]);
    expect(T.median(x, 0).indices.shape).toEqual([3, 4]);
    expect(T.mode(x, -2, true).values.shape).toEqual([2, 1, 4]);
    // Along axis 1 equals along the last axis of the transposed tensor.
    expect(values(T.kthvalue(x, 3, 1).values)).toEqual(values(T.kthvalue(T.transpose(x, 1, 2), 3, -1).values));
    expect(values(T.kthvalue(T.tensor(7), 1).values)).toEqual([7]);
  });

  it('quantile: every interpolation, several q, NaN propagation', () => {
    const x = T.tensor([1, 2, 3, 4]);
    expect(values(T.quantile(T.tensor([[1, 2, 3, 4]]), [0.25, 0.5], 1))).toEqual([1.75, 2.5]);
    expect(T.quantile(T.randn([2, 3, 4]), [0.1, 0.9], 1, { keepdim: true }).shape).toEqual([2, 2, 1, 4]);
    const at = (q: number, interpolation: T.QuantileInterpolation) => values(T.quantile(x, q, undefined, { interpolation }))[0];
    // PyTorch: q = 0.4 → position 1.2; 'nearest' rounds position 1.5 to even (2).
    expect([at(0.4, 'linear'), at(0.4, 'lower'), at(0.4, 'higher'), at(0.4, 'nearest'), at(0.4, 'midpoint')].map((v) => +v!.toFixed(5))).toEqual([2.2, 2, 3, 2, 2.5]);
    expect([at(0.5, 'nearest'), at(5 / 6, 'nearest'), at(1, 'higher'), at(0, 'linear')]).toEqual([3, 3, 4, 1]);
    expect(values(T.quantile(T.tensor([[1, NaN], [1, 2]]), 0.5, 1))).toEqual([NaN, 1.5]);
  });

  it('searchsorted, bucketize and histc', () => {
    const b = T.tensor([1, 3, 5, 7]);
    expect(values(T.searchsorted(b, T.tensor([3, 6, 9, 0])))).toEqual([1, 3, 4, 0]);
    expect(values(T.searchsorted(b, T.tensor([3, 6]), { right: true }))).toEqual([2, 3]);
    expect(values(T.searchsorted(T.tensor([[1, 2], [5, 6]]), T.tensor([[2, 0, 9], [5, 5, 7]])))).toEqual([1, 0, 2, 0, 0, 2]);
    expect(T.searchsorted(b, T.tensor([3])).dtype).toBe('int32');
    expect(values(T.bucketize(T.tensor([[3, 6], [9, 1]]), b))).toEqual([1, 3, 4, 0]);
    expect(values(T.histc(T.tensor([1, 2, 1, 4, 0.5]), 4, 0, 4))).toEqual([1, 2, 1, 1]);
    // min = max: the data's range; outside values and NaN are not counted.
    expect(values(T.histc(T.tensor([1, 2, 1, 4, 0.5]), 4))).toEqual([3, 1, 0, 1]);
    expect(values(T.histc(T.tensor([2, 2]), 2))).toEqual([0, 2]);
    expect(values(T.histc(T.tensor([-1, 0.5, NaN, 9]), 2, 0, 1))).toEqual([0, 1]);
  });
});

describe('order statistics: gradients and errors', () => {
  it('the selected values pass their gradient back to where they came from (float64)', () => {
    const g = T.tensor([1, 2, 3, 4], { requiresGrad: true });
    T.median(g).backward();
    expect(values(g.grad!)).toEqual([0, 1, 0, 0]);
    gradcheck((t) => T.kthvalue(t, 2, 1).values, [randomF64([3, 5])]);
    gradcheck((t) => T.median(t, 0, true).values, [randomF64([5, 3])]);
    gradcheck((t) => T.quantile(t, [0.3, 0.75], 1), [randomF64([2, 7])]);
    gradcheck((t) => T.quantile(t, 0.5, undefined, { interpolation: 'midpoint' }), [randomF64([6])]);
    gradcheck((t) => T.mode(t, 1).values, [randomF64([2, 3])]);
  });

  it('bad calls name the op, the argument and the shape', () => {
    expect(() => T.kthvalue(T.zeros([2, 3]), 4, 1)).toThrow(/kthvalue: k must be an integer in \[1, 3\], got 4 \(dim 1 of shape \[2, 3\]\)/);
    expect(() => T.quantile(T.zeros([3]), 1.5)).toThrow(/quantile: q must be in \[0, 1\], got 1\.5/);
    expect(() => T.quantile(T.zeros([3], { dtype: 'int32' }), 0.5)).toThrow(/quantile: needs a float tensor, got int32/);
    expect(() => T.quantile(T.zeros([3]), 0.5, 0, { interpolation: 'cubic' as never })).toThrow(/quantile: interpolation must be/);
    expect(() => T.median(T.zeros([2, 0]), 1)).toThrow(/median: cannot select from an empty axis/);
    expect(() => T.searchsorted(T.zeros([2, 3]), T.zeros([3, 1]))).toThrow(/searchsorted: an N-D sortedSequence needs values with the same leading axes: \[2, 3\] vs \[3, 1\]/);
    expect(() => T.bucketize(T.zeros([3]), T.zeros([2, 2]))).toThrow(/bucketize: boundaries must be 1-D, got shape \[2, 2\]/);
    expect(() => T.histc(T.zeros([3]), 0)).toThrow(/histc: bins must be a positive integer, got 0/);
    expect(() => T.mode(T.zeros([3]), 2)).toThrow(/mode: .*axis/);
  });
});

describe('order statistics on wasm and WebGPU match the CPU', () => {
  beforeAll(async () => {
    await T.initWasm({ threads: 1 });
    await T.initWebGPU();
  });
  afterAll(() => (getBackend('wasm') as WasmBackend).rt.pool.stop());

  it.each(['wasm', 'webgpu'] as const)('%s', async (device) => {
    await parity('kthvalue/median', [[3, 5]], (x) => T.add(T.kthvalue(x, 2, 1).values, T.median(x, 1).values), TOL.exact, undefined, 5, device);
    await parity('median indices', [[4, 3]], (x) => T.median(x, 0).indices, TOL.exact, undefined, 5, device);
    await parity('quantile', [[2, 7]], (x) => T.quantile(x, [0.2, 0.5, 0.9], 1), TOL.f32Elementwise, undefined, 5, device);
    await parity('mode', [[3, 6]], (x) => T.mode(x, 1).values, TOL.exact, (x) => T.round(x), 5, device);
    await parity('searchsorted', [[6], [2, 5]], (b, v) => T.searchsorted(T.sort(b).values, v, { right: true }), TOL.exact, undefined, 5, device);
    await parity('histc', [[40]], (x) => T.histc(x, 7, -2, 2), TOL.exact, undefined, 5, device);
  });
});
