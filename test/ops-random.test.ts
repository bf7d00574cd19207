// bernoulli, normal with tensor parameters, randperm and dropout2d: statistics, determinism under
// a seed, gradients (the seed reset inside the checked function), typed errors.
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { gradcheck, randomF64 } from './setup/gradcheck.js';

const values = (t: Tensor) => Array.from(t.dataSync(), Number);
const meanOf = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

describe('random ops', () => {
  it('bernoulli: frequencies follow p; 0 and 1 are exact; seeded', () => {
    T.manualSeed(1);
    const p = T.tensor([0, 0.3, 1]).expand([20000, 3]);
    const draws = values(T.bernoulli(p));
    const column = (c: number) => draws.filter((_, i) => i % 3 === c);
    expect(column(0).every((v) => v === 0)).toBe(true);
    expect(column(2).every((v) => v === 1)).toBe(true);
    expect(Math.abs(meanOf(column(1)) - 0.3)).toBeLessThan(0.015);
    T.manualSeed(4);
    const a = values(T.bernoulli(T.full([50], 0.5)));
    T.manualSeed(4);
    expect(values(T.bernoulli(T.full([50], 0.5)))).toEqual(a);
  });
  it('normal: moments, broadcasting, and reparameterized gradients', () => {
    T.manualSeed(2);
    const x = T.normal(T.tensor([[-3], [5]]), T.tensor([0.5, 2, 1]).reshape([1, 3]));
    expect(x.shape).toEqual([2, 3]);
    const many = values(T.normal(2, 3, [40000]));
    expect(Math.abs(meanOf(many) - 2)).toBeLessThan(0.06);
    expect(Math.abs(Math.sqrt(meanOf(many.map((v) => (v - 2) ** 2))) - 3)).toBeLessThan(0.06);
    gradcheck((m, s) => {
      T.manualSeed(7);
      return T.normal(m, s);
    }, [randomF64([3, 1]), randomF64([4], 0.5, 2)]);
  });
  it('randperm: a permutation, seeded', () => {
    T.manualSeed(3);
    const p = values(T.randperm(100));
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(p).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(T.randperm(0).shape).toEqual([0]);
    expect(T.randperm(5).dtype).toBe('int32');
  });
  it('dropout2d zeroes whole channels and scales the rest', () => {
    T.manualSeed(5);
    const y = T.dropout2d(T.ones([4, 50, 3, 2]), 0.4);
    const v = values(y);
    let dropped = 0;
    for (let ch = 0; ch < 200; ch++) {
      const block = v.slice(ch * 6, ch * 6 + 6);
      expect(new Set(block).size).toBe(1);
      expect([0, Math.fround(1 / 0.6)]).toContainEqual(block[0]);
      if (block[0] === 0) dropped++;
    }
    expect(Math.abs(dropped / 200 - 0.4)).toBeLessThan(0.12);
    expect(T.dropout2d(T.ones([2, 3, 4]), 0.5, false).shape).toEqual([2, 3, 4]);
    gradcheck((t) => {
      T.manualSeed(9);
      return T.dropout2d(t, 0.5);
    }, [randomF64([2, 3, 2, 2])]);
  });
  it('typed errors', () => {
    expect(() => T.bernoulli(T.tensor(new Int32Array([1])))).toThrow(T.DTypeError);
    expect(() => T.normal(T.zeros([2]), T.ones([3]))).toThrow(/normal: shapes \[2\] and \[3\] cannot be broadcast/);
    expect(() => T.normal(T.zeros([2]), 1, [3])).toThrow(/normal: shape \[3\] disagrees/);
    expect(() => T.randperm(-1)).toThrow(T.ArgumentError);
    expect(() => T.dropout2d(T.ones([3]), 0.5)).toThrow(/dropout2d: input must be \[N, C, \.\.\.\] or \[C, H, W\], got \[3\]/);
    expect(() => T.dropout2d(T.ones([2, 3]), 1.5)).toThrow(T.ArgumentError);
  });
});
