// Softmax and scaled dot-product attention on the CPU reference backend: float64 gradient checks
// (first and second order), the fused op against its matmul + softmax + matmul reference,
// stability at large magnitudes, and the typed errors for bad shapes.
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { gradcheck, randomF64 } from './setup/gradcheck.js';

function maxAbsDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

describe('softmax and logSoftmax', () => {
  for (const axis of [0, 1, -1]) {
    it(`gradcheck along axis ${axis}`, () => {
      gradcheck((x) => T.softmax(x, axis), [randomF64([3, 4, 5], -2, 2)]);
      gradcheck((x) => T.logSoftmax(x, axis), [randomF64([3, 4, 5], -2, 2)]);
    });
  }
  it('odd and size-1 shapes, 0-d input', () => {
    gradcheck((x) => T.softmax(x), [randomF64([1])]);
    gradcheck((x) => T.logSoftmax(x, 0), [randomF64([7, 1])]);
    expect(T.softmax(T.tensor(3)).dataSync()[0]).toBe(1);
  });
  it('second derivatives', () => {
    const inner = (x: Tensor) => T.gradients(T.sum(T.square(T.softmax(x))), [x], { createGraph: true })[0]!;
    gradcheck(inner, [randomF64([2, 5])]);
    const innerLog = (x: Tensor) => T.gradients(T.sum(T.mul(T.logSoftmax(x), T.softmax(x))), [x], { createGraph: true })[0]!;
    gradcheck(innerLog, [randomF64([3, 4])]);
  });
  it('matches exp(x) / sum(exp(x))', () => {
    const x = randomF64([4, 6]);
    const e = T.exp(x);
    expect(maxAbsDiff(T.softmax(x), T.div(e, T.sum(e, -1, true)))).toBeLessThan(1e-15);
    expect(maxAbsDiff(T.logSoftmax(x, 0), T.sub(x, T.logsumexp(x, 0, true)))).toBeLessThan(1e-14);
  });
  it('is finite and correct at magnitude 1e4 (float32)', () => {
    const x = T.tensor([[1e4, 0, -1e4], [1e4, 1e4, -1e4], [-1e4, -1e4, -1e4]]);
    expect(Array.from(T.softmax(x).dataSync())).toEqual([1, 0, 0, 0.5, 0.5, 0, 1 / 3, 1 / 3, 1 / 3].map(Math.fround));
    const logs = [0, -1e4, -2e4, -Math.LN2, -Math.LN2, -2e4 - Math.LN2, -Math.log(3), -Math.log(3), -Math.log(3)];
    expect(Array.from(T.logSoftmax(x).dataSync())).toEqual(logs.map(Math.fround));
    expect(Array.from(T.logsumexp(x, 1).dataSync())).toEqual([1e4, Math.fround(1e4 + Math.LN2), Math.fround(-1e4 + Math.log(3))]);
  });
  it('rejects integer input', () => {
    expect(() => T.softmax(T.tensor(new Int32Array([1, 2])))).toThrow(T.DTypeError);
  });
});

type Case = { name: string; q: number[]; k: number[]; v: number[]; opts?: () => T.AttentionOptions };

const cases: Case[] = [
  { name: 'one head [L, D]', q: [5, 4], k: [5, 4], v: [5, 4] },
  { name: 'batched [B, L, D]', q: [2, 3, 4], k: [2, 3, 4], v: [2, 3, 2] },
  { name: 'several heads, cross lengths', q: [2, 3, 4, 5], k: [2, 3, 6, 5], v: [2, 3, 6, 3] },
  { name: 'causal self-attention', q: [1, 2, 5, 3], k: [1, 2, 5, 3], v: [1, 2, 5, 3], opts: () => ({ causal: true }) },
  { name: 'causal, Lq < Lk', q: [2, 3, 3], k: [2, 5, 3], v: [2, 5, 2], opts: () => ({ causal: true }) },
  { name: 'causal, Lq > Lk', q: [6, 3], k: [4, 3], v: [4, 3], opts: () => ({ causal: true, scale: 0.7 }) },
  {
    name: 'bool key-padding mask [B, 1, 1, Lk]', q: [2, 2, 3, 4], k: [2, 2, 5, 4], v: [2, 2, 5, 4],
    opts: () => ({ mask: T.tensor([[[[true, true, false, true, false]]], [[[true, false, true, true, true]]]]) }),
  },
];

describe('scaledDotProductAttention', () => {
  for (const c of cases) {
    it(`${c.name}: gradcheck`, () => {
      gradcheck((q, k, v) => T.scaledDotProductAttention(q, k, v, c.opts?.()), [randomF64(c.q), randomF64(c.k), randomF64(c.v)]);
    });
    it(`${c.name}: matches the reference composition`, () => {
      const [q, k, v] = [randomF64(c.q, -2, 2), randomF64(c.k, -2, 2), randomF64(c.v)];
      const fused = T.scaledDotProductAttention(q, k, v, c.opts?.());
      expect(maxAbsDiff(fused, T.attentionReference(q, k, v, c.opts?.()))).toBeLessThan(1e-13);
    });
  }
  it('a float additive mask gets a gradient too', () => {
    gradcheck((q, k, v, m) => T.scaledDotProductAttention(q, k, v, { mask: m }), [randomF64([2, 4, 3]), randomF64([2, 5, 3]), randomF64([2, 5, 3]), randomF64([4, 5])]);
    gradcheck((q, k, v, m) => T.scaledDotProductAttention(q, k, v, { mask: m, causal: true }), [randomF64([1, 2, 4, 3]), randomF64([1, 2, 4, 3]), randomF64([1, 2, 4, 2]), randomF64([2, 1, 4])]);
  });
  it('second derivatives: a gradient penalty through attention', () => {
    const penalty = (q: Tensor, k: Tensor, v: Tensor) => {
      const out = T.scaledDotProductAttention(q, k, v, { causal: true });
      const [gq] = T.gradients(T.sum(T.square(out)), [q], { createGraph: true });
      return T.sum(T.square(gq!));
    };
    gradcheck(penalty, [randomF64([2, 4, 3]), randomF64([2, 4, 3]), randomF64([2, 4, 3])]);
    const crossPenalty = (q: Tensor, k: Tensor, v: Tensor) => {
      const out = T.scaledDotProductAttention(q, k, v);
      const [gk, gv] = T.gradients(T.sum(T.mul(out, out)), [k, v], { createGraph: true });
      return T.add(T.sum(T.square(gk!)), T.sum(T.mul(gv!, v)));
    };
    gradcheck(crossPenalty, [randomF64([1, 2, 3, 2]), randomF64([1, 2, 5, 2]), randomF64([1, 2, 5, 2])]);
  });
  it('the fused backward (plain backward) equals the differentiable one (createGraph)', () => {
    const inputs = [randomF64([2, 3, 5, 4]), randomF64([2, 3, 7, 4]), randomF64([2, 3, 7, 6])].map((t) => t.requiresGrad_());
    const w = randomF64([2, 3, 5, 6]);
    const mask = T.tensor([[true, false, true, true, true, false, true]]);
    for (const opts of [{}, { causal: true }, { mask }] as T.AttentionOptions[]) {
      const loss = () => T.sum(T.mul(T.scaledDotProductAttention(inputs[0]!, inputs[1]!, inputs[2]!, opts), w));
      const fused = T.gradients(loss(), inputs);
      const composed = T.gradients(loss(), inputs, { createGraph: true });
      fused.forEach((g, i) => expect(maxAbsDiff(g, composed[i]!)).toBeLessThan(1e-13));
    }
  });
  it('a query that may see no key gets zeros and zero gradients', () => {
    const [q, k, v] = [randomF64([3, 2]), randomF64([4, 2]), randomF64([4, 2])].map((t) => t.requiresGrad_());
    const mask = T.tensor([[true, false, false, true], [false, false, false, false], [true, true, true, true]]);
    const out = T.scaledDotProductAttention(q!, k!, v!, { mask });
    expect(Array.from(out.dataSync().slice(2, 4))).toEqual([0, 0]);
    const ref = T.attentionReference(q!, k!, v!, { mask });
    expect(maxAbsDiff(T.slice(out, [0]), T.slice(ref, [0]))).toBeLessThan(1e-14);
    T.sum(out).backward();
    for (const t of [q!, k!, v!]) expect(t.grad!.dataSync().every(Number.isFinite)).toBe(true);
    expect(Array.from(q!.grad!.dataSync().slice(2, 4))).toEqual([0, 0]);
  });
  it('is stable for scores of magnitude 1e4', () => {
    const q = T.mul(T.ones([1, 4, 8]), 100);
    const k = T.mul(randomF64([1, 6, 8]).float(), 100);
    const v = randomF64([1, 6, 8]).float();
    const out = T.scaledDotProductAttention(q, k, v);
    expect(out.dataSync().every(Number.isFinite)).toBe(true);
    expect(maxAbsDiff(out, T.attentionReference(q, k, v))).toBeLessThan(1e-6);
  });

  describe('bad input', () => {
    const q = T.zeros([2, 3, 4]);
    it('mismatched head dims', () => {
      expect(() => T.scaledDotProductAttention(q, T.zeros([2, 5, 3]), T.zeros([2, 5, 4]))).toThrow(/head dims differ \(4 vs 3\).*q \[2, 3, 4\], k \[2, 5, 3\]/);
      expect(() => T.scaledDotProductAttention(q, T.zeros([2, 5, 3]), T.zeros([2, 5, 4]))).toThrow(T.ShapeError);
    });
    it('key and value lengths that differ', () => {
      expect(() => T.scaledDotProductAttention(q, T.zeros([2, 5, 4]), T.zeros([2, 6, 4]))).toThrow(/sequence lengths differ/);
    });
    it('batch dims that differ, wrong ranks', () => {
      expect(() => T.scaledDotProductAttention(q, T.zeros([1, 5, 4]), T.zeros([1, 5, 4]))).toThrow(T.ShapeError);
      expect(() => T.scaledDotProductAttention(T.zeros([4]), T.zeros([4]), T.zeros([4]))).toThrow(T.ShapeError);
      expect(() => T.scaledDotProductAttention(T.zeros([1, 1, 1, 3, 4]), T.zeros([1, 1, 1, 3, 4]), T.zeros([1, 1, 1, 3, 4]))).toThrow(T.ShapeError);
    });
    it('a mask of the wrong shape or dtype', () => {
      const k = T.zeros([2, 5, 4]);
      expect(() => T.scaledDotProductAttention(q, k, k, { mask: T.zeros([3, 4]) })).toThrow(/mask \[3, 4\] does not broadcast to the scores' shape \[2, 3, 5\]/);
      expect(() => T.scaledDotProductAttention(q, k, k, { mask: T.zeros([1, 2, 3, 5]) })).toThrow(T.ShapeError);
      expect(() => T.scaledDotProductAttention(q, k, k, { mask: T.zeros([3, 5], { dtype: 'int32' }) })).toThrow(T.DTypeError);
    });
    it('mixed dtypes', () => {
      expect(() => T.scaledDotProductAttention(q, T.zeros([2, 5, 4], { dtype: 'float64' }), T.zeros([2, 5, 4]))).toThrow(T.DTypeError);
    });
  });
});
