// indexAdd, indexCopy, indexFill, scatter, scatterReduce (every reduction, with and without the
// input's own values), nonzero, maskedSelect and unique: the values PyTorch 2.13 gives for the same
// inputs, float64 gradient checks, typed errors, and the same results on wasm and WebGPU.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { getBackend } from '../src/backend/registry.js';
import type { WasmBackend } from '../src/backend/wasm/index.js';
import { gradcheck, randomF64 } from './setup/gradcheck.js';
import { parity } from './setup/parity.js';
import { TOL } from './setup/tolerance.js';

const values = (t: Tensor) => Array.from(t.dataSync(), Number);
const idx = (v: number[], shape?: number[]) => T.tensor(v, { dtype: 'int32', shape: shape ?? [v.length] });

describe('index and scatter ops, against PyTorch', () => {
  it('indexAdd (repeated indices accumulate), indexCopy, indexFill, scatter', () => {
    const src = T.reshape(T.arange(12), [3, 4]);
    expect(values(T.indexAdd(T.zeros([3, 4]), 0, idx([0, 2, 0]), src, { alpha: 2 }))).toEqual([16, 20, 24, 28, 0, 0, 0, 0, 8, 10, 12, 14]);
    expect(values(T.indexCopy(T.ones([4, 2]), 0, idx([3, 1]), T.tensor([[5, 6], [7, 8]])))).toEqual([1, 1, 7, 8, 1, 1, 5, 6]);
    expect(values(T.indexFill(T.ones([2, 4]), 1, idx([0, 3]), -1))).toEqual([-1, 1, 1, -1, -1, 1, 1, -1]);
    expect(values(T.scatter(T.zeros([3]), 0, idx([2, 0]), T.tensor([5, 6])))).toEqual([6, 0, 5]);
  });

  it('scatterReduce: sum, prod, mean, amax, amin, with and without self', () => {
    const base = () => T.tensor([[10, 20, 30], [40, 50, 60]]);
    const index = idx([0, 1, 0, 2, 2, 2, 1, 1], [2, 4]);
    const src = T.tensor([[1, 2, 3, 4], [5, 6, 7, 8]]);
    const torch: Record<T.ScatterReduction, [number[], number[]]> = {
      sum: [[14, 22, 34, 40, 65, 71], [4, 2, 4, 40, 15, 11]],
      prod: [[30, 40, 120, 40, 2800, 1800], [3, 2, 4, 40, 56, 30]],
      mean: [[14 / 3, 11, 17, 40, 65 / 3, 71 / 3], [2, 2, 4, 40, 7.5, 5.5]],
      amax: [[10, 20, 30, 40, 50, 60], [3, 2, 4, 40, 8, 6]],
      amin: [[1, 2, 4, 40, 7, 5], [1, 2, 4, 40, 7, 5]],
    };
    for (const [reduce, [withSelf, without]] of Object.entries(torch) as [T.ScatterReduction, [number[], number[]]][]) {
      values(T.scatterReduce(base(), 1, index, src, reduce)).forEach((v, i) => expect(v, `${reduce} ${i}`).toBeCloseTo(withSelf[i]!, 5));
      values(T.scatterReduce(base(), 1, index, src, reduce, { includeSelf: false })).forEach((v, i) => expect(v, `${reduce} without self ${i}`).toBeCloseTo(without[i]!, 5));
    }
  });

  it('nonzero, maskedSelect and unique read the values back (async)', async () => {
    const nz = await T.nonzero(T.tensor([[0, 1], [2, 0]]));
    expect([nz.shape, values(nz), nz.dtype]).toEqual([[2, 2], [0, 1, 1, 0], 'int32']);
    expect((await T.argwhere(T.zeros([2, 3]))).shape).toEqual([0, 2]);
    // The mask broadcasts against x.
    expect(values(await T.maskedSelect(T.tensor([[1, 2], [3, 4]]), T.tensor([true, false])))).toEqual([1, 3]);
    const u = await T.unique(T.tensor([3, 1, 3, 2, 1, 1], { dtype: 'int32' }));
    expect([values(u.values), values(u.inverse), values(u.counts), u.values.dtype]).toEqual([[1, 2, 3], [2, 0, 2, 1, 0, 0], [3, 1, 2], 'int32']);
    expect(values((await T.unique(T.tensor([NaN, 1, NaN]))).counts)).toEqual([1, 1, 1]);
  });
});

describe('index and scatter ops: gradients and errors', () => {
  it('float64 gradient checks', async () => {
    gradcheck((x, s) => T.indexAdd(x, 1, idx([2, 0, 2]), s, { alpha: 0.5 }), [randomF64([2, 4]), randomF64([2, 3])]);
    gradcheck((x, s) => T.indexCopy(x, 0, idx([2, 0]), s), [randomF64([3, 2]), randomF64([2, 2])]);
    const index = idx([0, 1, 0, 2, 2, 2], [2, 3]);
    for (const reduce of ['sum', 'prod', 'mean', 'amax', 'amin'] as const) {
      gradcheck((x, s) => T.scatterReduce(x, 1, index, s, reduce), [randomF64([2, 3]), randomF64([2, 3])]);
    }
    const x = randomF64([3, 3]);
    x.requiresGrad = true;
    const picked = await T.maskedSelect(x, T.gt(x, 0));
    T.sum(T.mul(picked, 3)).backward();
    expect(values(x.grad!)).toEqual(values(x).map((v) => (v > 0 ? 3 : 0)));
  });

  it('bad calls name the op, the argument and the shapes', async () => {
    expect(() => T.indexAdd(T.zeros([3, 4]), 0, idx([0, 1]), T.zeros([3, 4]))).toThrow(/indexAdd: source must have shape \[2, 4\] .*got \[3, 4\]/);
    expect(() => T.indexCopy(T.zeros([3]), 0, T.tensor([0]), T.zeros([1]))).toThrow(/indexCopy: index must be an int32 tensor, got float32/);
    expect(() => T.indexFill(T.zeros([3]), 0, idx([0], [1, 1]), 1)).toThrow(/indexFill: index must be 1-D, got shape \[1, 1\]/);
    expect(() => T.scatterReduce(T.zeros([3]), 0, idx([0]), T.zeros([1]), 'median' as never)).toThrow(/scatterReduce: reduce must be sum, prod, mean, amax or amin, got 'median'/);
    // Checked before any read-back: thrown, not a rejected promise.
    expect(() => T.maskedSelect(T.zeros([2]), T.zeros([2]))).toThrow(/maskedSelect: mask must be a bool tensor, got float32/);
    expect(() => T.maskedSelect(T.zeros([2]), T.ones([3], { dtype: 'bool' }))).toThrow(/maskedSelect/);
  });
});

describe('index and scatter ops on wasm and WebGPU match the CPU', () => {
  beforeAll(async () => {
    await T.initWasm({ threads: 1 });
    await T.initWebGPU();
  });
  afterAll(() => (getBackend('wasm') as WasmBackend).rt.pool.stop());

  it.each(['wasm', 'webgpu'] as const)('%s', async (device) => {
    const run = (what: string, shapes: number[][], fn: (...xs: Tensor[]) => Tensor) => parity(what, shapes, fn, TOL.f32Elementwise, undefined, 5, device);
    // Index tensors made inside fn go where its inputs are.
    const on = (x: Tensor, v: number[], shape?: number[]) => T.tensor(v, { dtype: 'int32', shape: shape ?? [v.length], device: x.device });
    await run('indexAdd/indexFill', [[3, 5], [3, 2]], (x, s) => T.indexFill(T.indexAdd(x, 1, on(x, [4, 0]), s), 0, on(x, [1]), 2));
    await run('scatterReduce', [[2, 3], [2, 4]], (x, s) => {
      const index = on(x, [0, 2, 2, 1, 1, 1, 0, 2], [2, 4]);
      return T.add(T.scatterReduce(x, 1, index, s, 'amax'), T.scatterReduce(x, 1, index, s, 'mean', { includeSelf: false }));
    });
    const u = await T.unique(await T.tensor([2, 1, 2, 5]).to(device));
    expect([u.values.device, Array.from(await u.values.data()), Array.from(await u.counts.data())]).toEqual([device, [1, 2, 5], [1, 2, 1]]);
  });
});
