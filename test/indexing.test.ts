// Indexing, sequence and distance ops on the CPU reference backend: float64 gradient checks
// (including second order through gather / scatter), values against hand-written definitions,
// sampling determinism, and the typed errors (index out of range is checked on the CPU).
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { gradcheck, randomF64 } from './setup/gradcheck.js';

const ints = (values: number[], shape?: number[]) => T.tensor(new Int32Array(values), { shape: shape ?? [values.length] });
const values = (t: Tensor) => Array.from(t.dataSync());

describe('gather / takeAlongAxis / scatterAdd', () => {
  it('takeAlongAxis picks along an axis and broadcasts the other dims', () => {
    const x = T.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(values(T.takeAlongAxis(x, ints([2, 0, 1, 1], [2, 2]), 1))).toEqual([3, 1, 5, 5]);
    expect(values(T.gather(x, 0, ints([1, 0, 1], [1, 3])))).toEqual([4, 2, 6]);
    // index [2, 1] against x [2, 3] along axis 0: the size-1 dim of the index broadcasts to 3.
    expect(T.takeAlongAxis(x, ints([1, 0], [2, 1]), 0).shape).toEqual([2, 3]);
    expect(values(T.takeAlongAxis(x, ints([1, 0], [2, 1]), 0))).toEqual([4, 5, 6, 1, 2, 3]);
  });
  it('gradchecks, repeated indices included, and second order', () => {
    const index = ints([0, 2, 2, 1, 0, 0, 3, 3], [2, 4]);
    gradcheck((x) => T.takeAlongAxis(x, index, 1), [randomF64([2, 4])]);
    gradcheck((x) => T.gather(x, 0, ints([1, 1, 0], [1, 3])), [randomF64([2, 3])]);
    gradcheck((x, s) => T.scatterAdd(x, 1, index, s), [randomF64([2, 4]), randomF64([2, 4])]);
    const inner = (x: Tensor) => T.gradients(T.sum(T.square(T.takeAlongAxis(T.square(x), index, 1))), [x], { createGraph: true })[0]!;
    gradcheck(inner, [randomF64([2, 4])]);
  });
  it('scatterAdd accumulates repeated indices', () => {
    const out = T.scatterAdd(T.zeros([2, 3]), 1, ints([0, 0, 2, 1, 1, 1], [2, 3]), T.tensor([[1, 2, 3], [4, 5, 6]]));
    expect(values(out)).toEqual([3, 0, 3, 0, 15, 0]);
  });
  it('indexSelect and embedding', () => {
    const w = T.tensor([[0, 1], [10, 11], [20, 21]]);
    expect(values(T.indexSelect(w, 0, ints([2, 0, 2])))).toEqual([20, 21, 0, 1, 20, 21]);
    expect(values(T.indexSelect(w, 1, ints([1])))).toEqual([1, 11, 21]);
    const e = T.embedding(ints([1, 2, 1, 0], [2, 2]), w);
    expect(e.shape).toEqual([2, 2, 2]);
    expect(values(e)).toEqual([10, 11, 20, 21, 10, 11, 0, 1]);
    gradcheck((x) => T.embedding(ints([3, 0, 3, 3, 1], [5]), x), [randomF64([4, 3])]);
    gradcheck((x) => T.indexSelect(x, 1, ints([2, 0, 2])), [randomF64([2, 3, 2])]);
  });
  it('embedding gradients accumulate per row', () => {
    const w = T.zeros([3, 2]).requiresGrad_();
    T.sum(T.embedding(ints([2, 2, 0, 2]), w)).backward();
    expect(values(w.grad!)).toEqual([1, 1, 0, 0, 3, 3]);
  });
  it('oneHot', () => {
    const h = T.oneHot(ints([2, 0, 1]), 4);
    expect(h.dtype).toBe('int32');
    expect(values(h)).toEqual([0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0]);
    expect(T.oneHot(ints([1], [1, 1]), 2, { dtype: 'float32' }).shape).toEqual([1, 1, 2]);
  });
  it('typed errors: dtype, shape, and indices out of range (on the CPU)', () => {
    const x = T.zeros([2, 3]);
    expect(() => T.takeAlongAxis(x, T.zeros([2, 1]), 1)).toThrow(T.DTypeError);
    expect(() => T.takeAlongAxis(x, ints([0, 1]), 1)).toThrow(T.ShapeError);
    expect(() => T.takeAlongAxis(x, ints([0, 3], [2, 1]), 1)).toThrow(/takeAlongAxis: index 3 at position 1 .* out of range \[0, 3\)/);
    expect(() => T.takeAlongAxis(x, ints([-1, 0], [2, 1]), 1)).toThrow(T.ArgumentError);
    expect(() => T.embedding(ints([0, 5]), T.zeros([4, 2]))).toThrow(/embedding: index 5 .* out of range \[0, 4\)/);
    expect(() => T.embedding(ints([0]), T.zeros([4]))).toThrow(T.ShapeError);
    expect(() => T.indexSelect(x, 0, ints([0, 1], [1, 2]))).toThrow(T.ShapeError);
    expect(() => T.scatterAdd(x, 1, ints([0, 1], [2, 1]), T.zeros([2, 2]))).toThrow(T.ShapeError);
    expect(() => T.oneHot(ints([0, 4]), 4)).toThrow(/oneHot: class index 4 .* out of range/);
    expect(() => T.oneHot(ints([0]), 0)).toThrow(T.ArgumentError);
  });
});

describe('cumsum', () => {
  it('values along each axis; bool counts as int32', () => {
    const x = T.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(values(T.cumsum(x, 1))).toEqual([1, 3, 6, 4, 9, 15]);
    expect(values(T.cumsum(x, 0))).toEqual([1, 2, 3, 5, 7, 9]);
    const b = T.cumsum(T.tensor([true, false, true]), 0);
    expect(b.dtype).toBe('int32');
    expect(values(b)).toEqual([1, 1, 2]);
  });
  it('gradcheck on every axis, and second order', () => {
    for (const axis of [0, 1, -1]) gradcheck((x) => T.cumsum(x, axis), [randomF64([3, 4, 2])]);
    gradcheck((x) => T.gradients(T.sum(T.square(T.cumsum(x, 0))), [x], { createGraph: true })[0]!, [randomF64([5])]);
  });
});

describe('sort and topk', () => {
  it('sorts stably with NaN largest, both directions', () => {
    const x = T.tensor([3, 1, NaN, 2, 1]);
    const up = T.sort(x);
    expect(values(up.values)).toEqual([1, 1, 2, 3, NaN]);
    expect(values(up.indices)).toEqual([1, 4, 3, 0, 2]);
    const down = T.sort(x, 0, { descending: true });
    expect(values(down.values)).toEqual([NaN, 3, 2, 1, 1]);
    expect(values(down.indices)).toEqual([2, 0, 3, 1, 4]);
    expect(values(T.argsort(T.tensor([[2, 1], [0, 5]]), 0))).toEqual([1, 0, 0, 1]);
  });
  it('int32 sorts too', () => {
    expect(values(T.sort(ints([5, -2, 7, 0])).values)).toEqual([-2, 0, 5, 7]);
  });
  it('topk values and indices, largest and smallest', () => {
    const x = T.tensor([[1, 9, 3, 7], [4, 4, 8, 0]]);
    const top = T.topk(x, 2);
    expect(values(top.values)).toEqual([9, 7, 8, 4]);
    expect(values(top.indices)).toEqual([1, 3, 2, 0]);
    expect(values(T.topk(x, 1, 0, { largest: false }).values)).toEqual([1, 4, 3, 0]);
    expect(() => T.topk(x, 5)).toThrow(T.ArgumentError);
  });
  it('gradients flow to the selected values', () => {
    gradcheck((x) => T.sort(x, 1).values, [randomF64([3, 5])]);
    gradcheck((x) => T.sort(x, 0, { descending: true }).values, [randomF64([4, 2])]);
    gradcheck((x) => T.topk(x, 2, -1).values, [randomF64([2, 6])]);
  });
});

describe('masks and triangles', () => {
  it('maskedFill keeps the dtype and broadcasts the mask', () => {
    const out = T.maskedFill(T.tensor([[1, 2], [3, 4]]), T.tensor([true, false]), -1);
    expect(values(out)).toEqual([-1, 2, -1, 4]);
    gradcheck((x) => T.maskedFill(x, T.tensor([[false, true, false]]), 5), [randomF64([2, 3])]);
    expect(() => T.maskedFill(T.zeros([2]), T.tensor([[true, false]]), 0)).toThrow(T.ShapeError);
    expect(() => T.maskedFill(T.zeros([2]), T.zeros([2]), 0)).toThrow(T.DTypeError);
  });
  it('triu and tril with diagonals, batched', () => {
    const x = T.add(T.reshape(T.arange(12), [3, 4]), 1);
    expect(values(T.triu(x))).toEqual([1, 2, 3, 4, 0, 6, 7, 8, 0, 0, 11, 12]);
    expect(values(T.tril(x, -1))).toEqual([0, 0, 0, 0, 5, 0, 0, 0, 9, 10, 0, 0]);
    expect(values(T.triu(x, 2))).toEqual([0, 0, 3, 4, 0, 0, 0, 8, 0, 0, 0, 0]);
    gradcheck((t) => T.tril(t, 1), [randomF64([2, 3, 3])]);
    expect(() => T.triu(T.zeros([3]))).toThrow(T.ShapeError);
  });
});

describe('normalize, cosineSimilarity, cdist', () => {
  it('normalize: unit rows, finite gradient at zero', () => {
    const n = T.normalize(T.tensor([[3, 4], [0, 0]]));
    expect(values(n)).toEqual([0.6, 0.8, 0, 0].map(Math.fround));
    gradcheck((x) => T.normalize(x), [randomF64([3, 4])]);
    gradcheck((x) => T.normalize(x, { axis: 0, p: 1 }), [randomF64([3, 4])]);
    const z = T.zeros([2, 3]).requiresGrad_();
    T.sum(T.normalize(z)).backward();
    expect(values(z.grad!).every(Number.isFinite)).toBe(true);
  });
  it('cosineSimilarity', () => {
    const c = T.cosineSimilarity(T.tensor([[1, 0], [1, 1]]), T.tensor([[0, 2], [2, 2]]));
    expect(values(c)).toEqual([0, 1]);
    gradcheck((a, b) => T.cosineSimilarity(a, b), [randomF64([3, 4]), randomF64([3, 4])]);
    gradcheck((a, b) => T.cosineSimilarity(a, b, { axis: 0 }), [randomF64([5, 2]), randomF64([5, 1])]);
  });
  it('cdist for p = 1, 2, 3, inf against the definition', () => {
    const a = randomF64([2, 3, 4]);
    const b = randomF64([2, 5, 4]);
    const diff = T.abs(T.sub(T.unsqueeze(a, 2), T.unsqueeze(b, 1)));
    const expected: Record<number, Tensor> = {
      1: T.sum(diff, -1), 2: T.sqrt(T.sum(T.square(diff), -1)), 3: T.pow(T.sum(T.pow(diff, 3), -1), 1 / 3), [Infinity]: T.max(diff, -1),
    };
    for (const p of [1, 2, 3, Infinity]) {
      const d = T.cdist(a, b, p);
      expect(d.shape).toEqual([2, 3, 5]);
      const err = T.max(T.abs(T.sub(d, expected[p]!))).dataSync()[0]!;
      expect(err).toBeLessThan(1e-12);
      gradcheck((x, y) => T.cdist(x, y, p), [randomF64([3, 2]), randomF64([4, 2])]);
    }
  });
  it('cdist has a zero (not NaN) gradient at zero distance', () => {
    const x = T.tensor([[1, 2], [3, 4]]).requiresGrad_();
    T.sum(T.cdist(x, x)).backward();
    expect(values(x.grad!).every(Number.isFinite)).toBe(true);
    expect(() => T.cdist(T.zeros([2, 3]), T.zeros([2, 4]))).toThrow(T.ShapeError);
    expect(() => T.cdist(T.zeros([2, 3]), T.zeros([2, 3]), 0.5)).toThrow(T.ArgumentError);
  });
});

describe('sampling', () => {
  it('multinomial with replacement follows the weights and never picks a zero', () => {
    T.manualSeed(3);
    const draws = values(T.multinomial(T.tensor([0.2, 0, 0.8]), 4000, { replacement: true }));
    const counts = [0, 1, 2].map((c) => draws.filter((d) => d === c).length);
    expect(counts[1]).toBe(0);
    expect(Math.abs(counts[2]! / 4000 - 0.8)).toBeLessThan(0.03);
  });
  it('multinomial without replacement draws distinct categories', () => {
    T.manualSeed(4);
    const d = T.multinomial(T.tensor([[0.1, 0.2, 0.3, 0.4], [1, 1, 0, 1]]), 3);
    const rows = [values(d).slice(0, 3), values(d).slice(3)];
    for (const r of rows) expect(new Set(r).size).toBe(3);
    expect(rows[1]!.includes(2)).toBe(false);
    expect(() => T.multinomial(T.tensor([0.5, 0.5]), 3)).toThrow(T.ArgumentError);
  });
  it('same seed, same samples', () => {
    const draw = () => {
      T.manualSeed(11);
      return values(T.categorical(T.tensor([[0, 1, 2], [3, 0, 0]]), { temperature: 0.7, numSamples: 8 }));
    };
    expect(draw()).toEqual(draw());
    expect(T.categorical(T.zeros([2, 3, 5])).shape).toEqual([2, 3]);
    expect(() => T.categorical(T.zeros([3]), { temperature: 0 })).toThrow(T.ArgumentError);
  });
  it('gumbelSoftmax: soft rows sum to 1, hard rows are one-hot with straight-through gradients', () => {
    T.manualSeed(5);
    const logits = randomF64([4, 6]).requiresGrad_();
    const soft = T.gumbelSoftmax(logits, { tau: 0.5 });
    for (const s of values(T.sum(soft, -1))) expect(s).toBeCloseTo(1, 12);
    const hard = T.gumbelSoftmax(logits, { hard: true });
    for (const v of values(hard)) expect([0, 1]).toContain(Math.round(v * 1e9) / 1e9);
    expect(values(T.sum(hard, -1)).map((v) => Math.round(v))).toEqual([1, 1, 1, 1]);
    T.sum(T.mul(hard, T.arange(6).float().cast('float64'))).backward();
    expect(values(T.abs(logits.grad!)).some((g) => g > 0)).toBe(true);
  });
});

describe('standard exponential noise (gumbelSoftmax, multinomial)', () => {
  it('is finite and positive even for u = 0 exactly, which rand gives once in 2^24 draws', async () => {
    const { standardExponential } = await import('../src/ops/sampling.js');
    for (const dtype of ['float32', 'float64'] as const) {
      const e = values(standardExponential(T.tensor([0, 0.5, 1 - 2 ** -24], { dtype })));
      expect(e.every((v) => Number.isFinite(v) && v > 0)).toBe(true);
      expect(e[1]).toBeCloseTo(Math.LN2, 6);
      // The Gumbel noise -log(E) at u = 0 is large but finite (it was +inf: NaN softmax rows).
      expect(Number.isFinite(-Math.log(e[0]!))).toBe(true);
    }
  });
});

describe('lstmCell', () => {
  const reference = (x: Tensor, h: Tensor, c: Tensor, wIh: Tensor, wHh: Tensor, b: Tensor): [Tensor, Tensor] => {
    const z = T.add(T.add(T.matmul(x, T.transpose(wIh)), T.matmul(h, T.transpose(wHh))), b);
    const [i, f, g, o] = T.split(z, h.shape[1]!, 1) as [Tensor, Tensor, Tensor, Tensor];
    const cNext = T.add(T.mul(T.sigmoid(f), c), T.mul(T.sigmoid(i), T.tanh(g)));
    return [T.mul(T.sigmoid(o), T.tanh(cNext)), cNext];
  };
  const inputs = () => [randomF64([2, 3]), randomF64([2, 4]), randomF64([2, 4]), randomF64([16, 3]), randomF64([16, 4]), randomF64([16])];
  it('matches the unfused composition', () => {
    const xs = inputs() as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
    const [h, c] = T.lstmCell(...xs);
    const [hr, cr] = reference(...xs);
    expect(T.max(T.abs(T.sub(h, hr))).dataSync()[0]).toBeLessThan(1e-14);
    expect(T.max(T.abs(T.sub(c, cr))).dataSync()[0]).toBeLessThan(1e-14);
  });
  it('gradchecks through h and c, with and without bias, and two steps', () => {
    gradcheck((x, h, c, wi, wh, b) => T.add(T.mul(T.lstmCell(x, h, c, wi, wh, b)[0], 2), T.lstmCell(x, h, c, wi, wh, b)[1]), inputs());
    gradcheck((x, h, c, wi, wh) => T.lstmCell(x, h, c, wi, wh)[1], inputs().slice(0, 5));
    gradcheck((x, h, c, wi, wh, b) => {
      const [h1, c1] = T.lstmCell(x, h, c, wi, wh, b);
      return T.lstmCell(x, h1, c1, wi, wh, b)[0];
    }, inputs());
  });
  it('second order', () => {
    const inner = (x: Tensor, h: Tensor, c: Tensor, wi: Tensor, wh: Tensor, b: Tensor) =>
      T.gradients(T.sum(T.square(T.lstmCell(x, h, c, wi, wh, b)[0])), [x], { createGraph: true })[0]!;
    gradcheck(inner, inputs());
  });
  it('shape errors name every shape', () => {
    const [x, h, c, wi, wh] = inputs() as Tensor[];
    expect(() => T.lstmCell(x!, h!, c!, wh!, wh!)).toThrow(/lstmCell: expected .* wIh \[16, 4\]/);
    expect(() => T.lstmCell(x!, h!, c!, wi!, wh!, T.zeros([4], { dtype: 'float64' }))).toThrow(T.ShapeError);
    expect(() => T.lstmCell(x!, h!, c!.float(), wi!, wh!)).toThrow(T.DTypeError);
  });
});
