// Shape ops beyond reshape/permute/slice: values by hand or by brute force, float64 gradient
// checks on odd shapes, and typed errors.
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { gradcheck, randomF64 } from './setup/gradcheck.js';

const values = (t: Tensor) => Array.from(t.dataSync(), Number);
const iota = (shape: number[]) => T.reshape(T.arange(shape.reduce((a, b) => a * b, 1), undefined, 1, { dtype: 'float64' }), shape);

describe('reordering', () => {
  it('flip, roll and rot90 by hand', () => {
    const x = iota([2, 3]);
    expect(values(T.flip(x, 1))).toEqual([2, 1, 0, 5, 4, 3]);
    expect(values(T.flip(x, [0, 1]))).toEqual([5, 4, 3, 2, 1, 0]);
    expect(values(T.roll(x, 1, 1))).toEqual([2, 0, 1, 5, 3, 4]);
    expect(values(T.roll(x, [-1, 4], [1, 0]))).toEqual([1, 2, 0, 4, 5, 3]);
    expect(values(T.roll(x, 2))).toEqual([4, 5, 0, 1, 2, 3]);
    expect(T.rot90(x).shape).toEqual([3, 2]);
    expect(values(T.rot90(x))).toEqual([2, 5, 1, 4, 0, 3]); // numpy.rot90([[0,1,2],[3,4,5]])
    expect(values(T.rot90(x, 2))).toEqual([5, 4, 3, 2, 1, 0]);
    expect(values(T.rot90(x, -1))).toEqual([3, 0, 4, 1, 5, 2]);
    expect(values(T.rot90(x, 4))).toEqual(values(x));
    expect(values(T.flip(T.tensor(new Int32Array([1, 2, 3])), 0))).toEqual([3, 2, 1]);
  });
  it('gradchecks', () => {
    gradcheck((t) => T.flip(t, [0, 2]), [randomF64([3, 1, 5])]);
    gradcheck((t) => T.roll(t, [2, -1], [0, 2]), [randomF64([3, 2, 5])]);
    gradcheck((t) => T.roll(t, 7), [randomF64([2, 3])]);
    gradcheck((t) => T.rot90(t, 1, [1, 2]), [randomF64([2, 3, 4])]);
    gradcheck((t) => T.rot90(t, 3), [randomF64([3, 5])]);
    gradcheck((t) => T.movedim(t, [0, 1], [2, 0]), [randomF64([2, 3, 4])]);
  });
});

describe('repetition', () => {
  it('repeat, tile and repeatInterleave by hand', () => {
    const x = iota([2]);
    expect(values(T.repeat(x, [2, 3]))).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
    expect(T.repeat(x, [2, 3]).shape).toEqual([2, 6]);
    expect(values(T.tile(iota([2, 2]), [2]))).toEqual([0, 1, 0, 1, 2, 3, 2, 3]);
    expect(values(T.repeatInterleave(x, 3))).toEqual([0, 0, 0, 1, 1, 1]);
    expect(values(T.repeatInterleave(iota([2, 2]), [1, 2], 0))).toEqual([0, 1, 2, 3, 2, 3]);
    expect(values(T.repeatInterleave(iota([2, 2]), T.tensor(new Int32Array([0, 2])), 1))).toEqual([1, 1, 3, 3]);
    expect(T.repeat(iota([3]), [0]).shape).toEqual([0]);
  });
  it('gradchecks', () => {
    gradcheck((t) => T.repeat(t, [2, 1, 3]), [randomF64([3, 2])]);
    gradcheck((t) => T.tile(t, [3]), [randomF64([2, 1])]);
    gradcheck((t) => T.repeatInterleave(t, 2, 1), [randomF64([2, 3])]);
    gradcheck((t) => T.repeatInterleave(t, [3, 0, 1], 0), [randomF64([3, 2])]);
    gradcheck((t, u) => T.mul(T.expandAs(t, u), u), [randomF64([3, 1]), randomF64([2, 3, 4])]);
    gradcheck((t) => T.unflatten(t, 1, [2, -1]), [randomF64([3, 6])]);
  });
});

describe('products, grids and diagonals', () => {
  it('outer and kron by hand', () => {
    expect(values(T.outer(T.tensor([1, 2]), T.tensor([3, 4, 5])))).toEqual([3, 4, 5, 6, 8, 10]);
    expect(values(T.kron(T.tensor([[1, 2], [3, 4]]), T.tensor([[0, 1], [1, 0]])))).toEqual([0, 1, 0, 2, 1, 0, 2, 0, 0, 3, 0, 4, 3, 0, 4, 0]);
    expect(T.kron(T.ones([2]), T.ones([3, 2])).shape).toEqual([3, 4]);
    gradcheck(T.outer, [randomF64([3]), randomF64([4])]);
    gradcheck(T.kron, [randomF64([2, 3]), randomF64([3, 1, 2])]);
  });
  it('meshgrid, cartesianProd, trilIndices and triuIndices', () => {
    const [gi, gj] = T.meshgrid([T.tensor([1, 2]), T.tensor([3, 4, 5])]);
    expect(gi!.shape).toEqual([2, 3]);
    expect(values(gi!)).toEqual([1, 1, 1, 2, 2, 2]);
    expect(values(gj!)).toEqual([3, 4, 5, 3, 4, 5]);
    const [xx] = T.meshgrid([T.tensor([1, 2]), T.tensor([3, 4, 5])], { indexing: 'xy' });
    expect(xx!.shape).toEqual([3, 2]);
    expect(values(xx!)).toEqual([1, 2, 1, 2, 1, 2]);
    expect(values(T.cartesianProd([T.tensor([1, 2]), T.tensor([3, 4])]))).toEqual([1, 3, 1, 4, 2, 3, 2, 4]);
    expect(values(T.trilIndices(3, 3))).toEqual([0, 1, 1, 2, 2, 2, 0, 0, 1, 0, 1, 2]);
    expect(values(T.triuIndices(2, 3, 1))).toEqual([0, 0, 1, 1, 2, 2]);
    expect(T.trilIndices(3, 2, -1).dtype).toBe('int32');
    gradcheck((a, b) => T.cartesianProd([a, b]), [randomF64([2]), randomF64([3])]);
  });
  it('diagonal, diagEmbed and diag by hand', () => {
    const x = iota([3, 4]);
    expect(values(T.diagonal(x))).toEqual([0, 5, 10]);
    expect(values(T.diagonal(x, 1))).toEqual([1, 6, 11]);
    expect(values(T.diagonal(x, -1))).toEqual([4, 9]);
    expect(values(T.diagonal(x, 5))).toEqual([]);
    expect(T.diagonal(iota([2, 3, 4]), 0, 0, 2).shape).toEqual([3, 2]);
    expect(values(T.diagonal(iota([2, 3, 4]), 0, 0, 2))).toEqual([0, 13, 4, 17, 8, 21]);
    expect(values(T.diag(T.tensor([1, 2])))).toEqual([1, 0, 0, 2]);
    expect(values(T.diag(T.tensor([1, 2]), -1))).toEqual([0, 0, 0, 1, 0, 0, 0, 2, 0]);
    expect(values(T.diag(x, 2))).toEqual([2, 7]);
    const e = T.diagEmbed(iota([2, 2]), 0, 0, 2);
    expect(e.shape).toEqual([2, 2, 2]);
    expect(values(e)).toEqual([0, 0, 2, 0, 0, 1, 0, 3]); // e[i, b, i] = x[b, i]
    gradcheck((t) => T.diagonal(t, -1, 2, 0), [randomF64([4, 2, 3])]);
    gradcheck((t) => T.diagEmbed(t, 1), [randomF64([2, 3])]);
    gradcheck((t) => T.diag(t, -2), [randomF64([3])]);
  });
});

/** einsum by brute force over every assignment of the labels (explicit '->' only, no '...'). */
function einsumReference(eq: string, ...xs: Tensor[]): { shape: number[]; data: number[] } {
  const [lhs, rhs] = eq.split('->') as [string, string];
  const subs = lhs.split(',');
  const size = new Map<string, number>();
  subs.forEach((s, i) => [...s].forEach((l, d) => size.set(l, xs[i]!.shape[d]!)));
  const labels = [...size.keys()];
  const data = xs.map((x) => values(x));
  const shape = [...rhs].map((l) => size.get(l)!);
  const out = new Array<number>(shape.reduce((a, b) => a * b, 1)).fill(0);
  const at = new Map<string, number>();
  const flat = (s: string, dims: number[]) => [...s].reduce((o, l, d) => o * dims[d]! + at.get(l)!, 0);
  const visit = (k: number): void => {
    if (k === labels.length) {
      out[flat(rhs, shape)] += subs.reduce((p, s, i) => p * data[i]![flat(s, xs[i]!.shape as number[])]!, 1);
      return;
    }
    for (let v = 0; v < size.get(labels[k]!)!; v++) {
      at.set(labels[k]!, v);
      visit(k + 1);
    }
  };
  visit(0);
  return { shape, data: out };
}

describe('einsum and tensordot', () => {
  const cases: [string, number[][]][] = [
    ['ij,jk->ik', [[3, 4], [4, 2]]],
    ['bij,bjk->bik', [[2, 3, 4], [2, 4, 5]]],
    ['ii->i', [[3, 3]]],
    ['ii->', [[4, 4]]],
    ['ij->ji', [[2, 5]]],
    ['i,i->', [[5], [5]]],
    ['i,j->ij', [[2], [3]]],
    ['ij,jk,kl->il', [[2, 3], [3, 4], [4, 2]]],
    ['abc,cd,db->a', [[2, 3, 4], [4, 5], [5, 3]]],
    ['iij,jk->ik', [[3, 3, 2], [2, 4]]],
    ['bhqd,bhkd->bhqk', [[1, 2, 3, 4], [1, 2, 5, 4]]],
    ['ij,ij,ij->j', [[3, 2], [3, 2], [3, 2]]],
  ];
  for (const [eq, shapes] of cases) {
    it(`${eq} against brute force, and its gradient`, () => {
      const xs = shapes.map((s) => randomF64(s));
      const got = T.einsum(eq, ...xs);
      const want = einsumReference(eq, ...xs);
      expect(got.shape).toEqual(want.shape);
      values(got).forEach((v, i) => expect(v).toBeCloseTo(want.data[i]!, 12));
      gradcheck((...ts) => T.einsum(eq, ...ts), shapes.map((s) => randomF64(s)));
    });
  }
  it('implicit output, ellipsis and size-1 broadcasting', () => {
    const a = randomF64([3, 4]);
    const b = randomF64([4, 2]);
    expect(values(T.einsum('ij,jk', a, b))).toEqual(values(T.einsum('ij,jk->ik', a, b)));
    expect(T.einsum('ba', randomF64([2, 3])).shape).toEqual([3, 2]);
    const x = randomF64([2, 3, 4, 5]);
    const w = randomF64([5, 6]);
    const viaEllipsis = T.einsum('...ij,jk->...ik', x, w);
    expect(viaEllipsis.shape).toEqual([2, 3, 4, 6]);
    values(viaEllipsis).forEach((v, i) => expect(v).toBeCloseTo(values(T.matmul(x, w))[i]!, 12));
    expect(T.einsum('...i,...i->...', randomF64([3, 1, 4]), randomF64([2, 4])).shape).toEqual([3, 2]);
    gradcheck((p, q) => T.einsum('...ij,...jk->...ik', p, q), [randomF64([2, 1, 3, 2]), randomF64([3, 2, 4])]);
  });
  it('tensordot', () => {
    const a = randomF64([3, 4, 5]);
    const b = randomF64([4, 5, 2]);
    const got = T.tensordot(a, b);
    expect(got.shape).toEqual([3, 2]);
    values(got).forEach((v, i) => expect(v).toBeCloseTo(values(T.einsum('ijk,jkl->il', a, b))[i]!, 12));
    expect(T.tensordot(randomF64([2, 3]), randomF64([3, 2]), [[0], [1]]).shape).toEqual([3, 3]);
    expect(T.tensordot(randomF64([2]), randomF64([3]), 0).shape).toEqual([2, 3]);
    gradcheck((p, q) => T.tensordot(p, q, [[1, 0], [0, 2]]), [randomF64([3, 2, 4]), randomF64([2, 5, 3])]);
  });
});

describe('typed errors', () => {
  it('name the op, the argument and the shapes', () => {
    expect(() => T.einsum('ij,jk->ik', T.zeros([2, 3]), T.zeros([4, 5]))).toThrow(/einsum: label 'j' has sizes 3 and 4.*\[2, 3\], \[4, 5\]/);
    expect(() => T.einsum('ij->i', T.zeros([2]))).toThrow(T.ShapeError);
    expect(() => T.einsum('ij,jk', T.zeros([2, 3]))).toThrow(/2 operand subscripts but 1/);
    expect(() => T.einsum('ij->k', T.zeros([2, 3]))).toThrow(/output label 'k'/);
    expect(() => T.tensordot(T.zeros([2, 3]), T.zeros([4, 5]), 1)).toThrow(/tensordot: contracted dims differ.*\[2, 3\].*\[4, 5\]/);
    expect(() => T.flip(T.zeros([2, 3]), [1, -1])).toThrow(/flip: dims \[1,-1\] repeat an axis of shape \[2, 3\]/);
    expect(() => T.repeat(T.zeros([2, 3]), [2])).toThrow(/repeat: 1 repeats for a tensor of shape \[2, 3\]/);
    expect(() => T.repeatInterleave(T.zeros([3]), [1, 2], 0)).toThrow(T.ShapeError);
    expect(() => T.rot90(T.zeros([3]))).toThrow(T.ShapeError);
    expect(() => T.unflatten(T.zeros([2, 6]), 1, [4, -1])).toThrow(/unflatten.*\[2, 6\]/);
    expect(() => T.diag(T.zeros([2, 2, 2]))).toThrow(/diag: input must be 1-D or 2-D, got shape \[2, 2, 2\]/);
    expect(() => T.diagonal(T.zeros([2, 2]), 0, 1, -1)).toThrow(T.ShapeError);
    expect(() => T.outer(T.zeros([2, 1]), T.zeros([2]))).toThrow(/outer: both inputs must be 1-D/);
    expect(() => T.meshgrid([T.zeros([2, 2])])).toThrow(T.ShapeError);
    expect(() => T.trilIndices(-1, 2)).toThrow(T.ArgumentError);
  });
});
