import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';

describe('creation', () => {
  it('infers shape and dtype from nested arrays and typed arrays', async () => {
    const a = T.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(a.shape).toEqual([2, 3]);
    expect(a.dtype).toBe('float32');
    expect(await a.array()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(T.tensor([true, false]).dtype).toBe('bool');
    expect(T.tensor(new Int32Array([1, 2])).dtype).toBe('int32');
    expect(T.tensor(new Float64Array(6), { shape: [2, 3] }).dtype).toBe('float64');
    expect(T.tensor(3.5).shape).toEqual([]);
    expect(await T.tensor(3.5).item()).toBe(3.5);
  });
  it('fills, ranges and identity', async () => {
    expect(await T.zeros([2, 2]).toArray()).toEqual([0, 0, 0, 0]);
    expect(await T.full([3], 7, { dtype: 'int32' }).toArray()).toEqual([7, 7, 7]);
    const r = T.arange(5);
    expect(r.dtype).toBe('int32');
    expect(await r.toArray()).toEqual([0, 1, 2, 3, 4]);
    expect(await T.arange(1, 2, 0.25).toArray()).toEqual([1, 1.25, 1.5, 1.75]);
    expect(await T.arange(5, 0, -2).toArray()).toEqual([5, 3, 1]);
    expect(await T.linspace(0, 1, 5).toArray()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(await T.eye(2, 3).array()).toEqual([[1, 0, 0], [0, 1, 0]]);
    const like = T.onesLike(T.zeros([2], { dtype: 'float64' }));
    expect(like.dtype).toBe('float64');
  });
  it('random ints are in range and typed int32', async () => {
    T.manualSeed(3);
    const r = T.randint(-2, 3, [1000]);
    expect(r.dtype).toBe('int32');
    const v = await r.toArray();
    expect(Math.min(...v)).toBe(-2);
    expect(Math.max(...v)).toBe(2);
  });
  it('prints like PyTorch', () => {
    const s = T.tensor([[1, 2.5], [3, 4]]).toString();
    expect(s).toContain('[[1.0000, 2.5000],');
    expect(s).toContain('shape=[2, 2], dtype=float32, device=cpu');
    expect(T.arange(20).toString()).toContain('...');
  });
});

describe('elementwise and reductions (forward values)', () => {
  it('arithmetic with broadcasting and scalars', async () => {
    const a = T.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(await T.add(a, T.tensor([10, 20, 30])).toArray()).toEqual([11, 22, 33, 14, 25, 36]);
    expect(await T.sub(1, a).toArray()).toEqual([0, -1, -2, -3, -4, -5]);
    expect(await T.mod(T.tensor([-3, 3]), 2).toArray()).toEqual([1, 1]);
    expect(await T.gt(a, 3).toArray()).toEqual([0, 0, 0, 1, 1, 1]);
    expect((T.gt(a, 3)).dtype).toBe('bool');
    expect(await T.where(T.gt(a, 3), a, 0).toArray()).toEqual([0, 0, 0, 4, 5, 6]);
    expect(await T.clamp(a, 2, 4).toArray()).toEqual([2, 2, 3, 4, 4, 4]);
  });
  it('int32 stays int32 and promotes with floats', () => {
    const i = T.tensor(new Int32Array([1, 2, 3]));
    expect(T.add(i, 1).dtype).toBe('int32');
    expect(T.add(i, 0.5).dtype).toBe('float32');
    expect(T.exp(i).dtype).toBe('float32');
    expect(T.sum(T.tensor([true, true, false])).dtype).toBe('int32');
  });
  it('reductions over any axes with keepdim', async () => {
    const x = T.reshape(T.arange(24, undefined, 1, { dtype: 'float32' }), [2, 3, 4]);
    expect(T.sum(x, [0, 2]).shape).toEqual([3]);
    expect(T.sum(x, [0, 2], true).shape).toEqual([1, 3, 1]);
    expect(await T.sum(x, [0, 2]).toArray()).toEqual([60, 92, 124]);
    expect(await T.max(x, 1).toArray()).toEqual([8, 9, 10, 11, 20, 21, 22, 23]);
    expect(await T.argmax(x, 2).toArray()).toEqual([3, 3, 3, 3, 3, 3]);
    expect(await T.argmin(T.tensor([3, 1, 1, 2])).item()).toBe(1);
    expect(await T.mean(x).item()).toBe(11.5);
    expect(await T.variance(T.tensor([1, 2, 3, 4])).item()).toBeCloseTo(1.6666667, 6);
    expect(await T.std(T.tensor([1, 2, 3, 4]), 0, { correction: 0 }).item()).toBeCloseTo(Math.sqrt(1.25), 6);
    expect(await T.prod(T.tensor([1, 2, 3, 4])).item()).toBe(24);
  });
  it('logsumexp, softplus and sigmoid are stable at 1e4', async () => {
    expect(await T.logsumexp(T.tensor([1e4, 1e4])).item()).toBeCloseTo(1e4 + Math.log(2), 2);
    expect(await T.logsumexp(T.tensor([-Infinity, -Infinity])).item()).toBe(-Infinity);
    expect(await T.softplus(T.tensor([1e4, -1e4])).toArray()).toEqual([1e4, 0]);
    expect(await T.sigmoid(T.tensor([1e4, -1e4])).toArray()).toEqual([1, 0]);
  });
});

describe('shape ops (forward values)', () => {
  const x = () => T.reshape(T.arange(12, undefined, 1, { dtype: 'float32' }), [3, 4]);
  it('reshape and view share storage; permute and transpose copy', async () => {
    expect(T.reshape(x(), [2, -1]).shape).toEqual([2, 6]);
    expect(await T.transpose(x()).array()).toEqual([[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]);
    expect(T.permute(T.zeros([2, 3, 4]), [2, 0, 1]).shape).toEqual([4, 2, 3]);
    expect(T.flatten(T.zeros([2, 3, 4]), 1).shape).toEqual([2, 12]);
    expect(T.squeeze(T.zeros([1, 3, 1])).shape).toEqual([3]);
    expect(T.unsqueeze(T.zeros([3]), -1).shape).toEqual([3, 1]);
  });
  it('slicing with steps and negative indices', async () => {
    expect(await T.slice(x(), [{ start: -2 }, { step: 2 }]).array()).toEqual([[4, 6], [8, 10]]);
    expect(await T.slice(x(), [1]).toArray()).toEqual([4, 5, 6, 7]);
    expect(await T.slice(x(), [null, { start: 1, stop: -1 }]).array()).toEqual([[1, 2], [5, 6], [9, 10]]);
    expect(T.slice(x(), [{ start: 5 }]).shape).toEqual([0, 4]);
  });
  it('cat, stack, split, chunk, pad, expand', async () => {
    expect(await T.cat([T.tensor([[1, 2]]), T.tensor([[3, 4], [5, 6]])]).toArray()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(T.stack([T.zeros([2, 3]), T.zeros([2, 3])], 1).shape).toEqual([2, 2, 3]);
    expect(T.split(x(), [1, 3], 1).map((t) => t.shape)).toEqual([[3, 1], [3, 3]]);
    expect(T.chunk(T.zeros([5]), 2).map((t) => t.shape)).toEqual([[3], [2]]);
    expect(await T.pad(T.tensor([[1]]), [1, 0, 0, 1], 9).array()).toEqual([[9, 1], [9, 9]]);
    expect(await T.expand(T.tensor([[1], [2]]), [2, 3]).toArray()).toEqual([1, 1, 1, 2, 2, 2]);
  });
  it('matmul follows NumPy for 1-D and batched operands', async () => {
    const a = T.tensor([[1, 2], [3, 4]]);
    expect(await T.matmul(a, T.tensor([1, 1])).toArray()).toEqual([3, 7]);
    expect(await T.matmul(T.tensor([1, 1]), a).toArray()).toEqual([4, 6]);
    expect(await T.matmul(T.tensor([1, 2]), T.tensor([3, 4])).item()).toBe(11);
    expect(T.matmul(T.zeros([5, 1, 2, 3]), T.zeros([4, 3, 6])).shape).toEqual([5, 4, 2, 6]);
  });
});
