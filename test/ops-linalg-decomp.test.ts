// luFactor / lu / luSolve, svd / svdvals and matrixExp on the CPU in float64: values and gradients
// against PyTorch 2.13 (test/fixtures/torch-ops-reference.json), identities, float64 gradient
// checks, typed errors.
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { gradcheck, randomF64 } from './setup/gradcheck.js';
import { fill, fillq, gradsOf, torchRef } from './setup/torch-fill.js';

const values = (t: Tensor) => Array.from(t.dataSync(), Number);
const mT = (t: Tensor) => T.transpose(t, -2, -1);
function expectValues(t: Tensor, expected: number[], digits = 10): void {
  const v = values(t);
  expect(v.length).toBe(expected.length);
  v.forEach((x, i) => expect(x, `element ${i}`).toBeCloseTo(expected[i]!, digits));
}
const wellConditioned = (shape: number[]) => T.add(randomF64(shape), T.mul(T.eye(shape.at(-1)!, undefined, { dtype: 'float64' }), 3));

describe('LU', () => {
  it('luFactor and lu match PyTorch: packed LU, 1-based pivots, P, L, U and the gradient', () => {
    const ref = torchRef.lu;
    const a = fillq([2, 4, 4], 9, 2).requiresGrad_();
    const { LU, pivots } = T.luFactor(a);
    expectValues(LU, ref.LU, 12);
    expect(values(pivots)).toEqual(ref.pivots);
    expect(pivots.dtype).toBe('int32');
    const { P, L, U } = T.lu(a);
    expectValues(P, ref.P, 14);
    expectValues(L, ref.L, 12);
    expectValues(U, ref.U, 12);
    const [g] = T.gradients(T.add(T.sum(T.mul(L, fill([2, 4, 4], 10))), T.sum(T.mul(U, fill([2, 4, 4], 11)))), [a]);
    expectValues(g!, ref.grad, 9);
  });
  it('luSolve solves A X = B; float64 gradient checks', () => {
    const a = wellConditioned([2, 3, 3]);
    const b = randomF64([2, 3, 2]);
    const { LU, pivots } = T.luFactor(a);
    expectValues(T.matmul(a, T.luSolve(LU, pivots, b)), values(b), 12);
    gradcheck((t) => T.luFactor(t).LU, [wellConditioned([2, 4, 4])]);
    gradcheck((t) => { const r = T.lu(t); return T.cat([T.reshape(r.L, [-1]), T.reshape(r.U, [-1])]); }, [randomF64([3, 3])]);
    gradcheck((t, rhs) => { const f = T.luFactor(t); return T.luSolve(f.LU, f.pivots, rhs); }, [wellConditioned([3, 3]), randomF64([3, 2])]);
  });
});

describe('SVD', () => {
  it('singular values and gradients match PyTorch for tall (batched) and wide matrices', () => {
    for (const c of torchRef.svd) {
      const a = fillq(c.shape, 12, 2).requiresGrad_();
      const s = T.svdvals(a);
      expectValues(s, c.S, 12);
      expectValues(gradsOf(s, [a], 13)[0]!, c.grad_S, 10);
      const { U, S, Vh } = T.svd(a);
      expectValues(S, c.S, 12);
      // A sign-free function of the singular vectors, as PyTorch's gradient is only defined for those.
      const f = T.add(T.add(T.sum(T.mul(T.square(U), fill([...U.shape], 14))), T.sum(T.mul(T.square(Vh), fill([...Vh.shape], 15)))), T.sum(T.mul(S, fill([...S.shape], 16))));
      expectValues(T.gradients(f, [a])[0]!, c.grad_uv, 8);
    }
  });
  it('U diag(S) Vh = A with orthonormal factors; full matrices; rank-deficient input', () => {
    for (const shape of [[2, 5, 3], [3, 4], [4, 4]]) {
      const a = randomF64(shape);
      const { U, S, Vh } = T.svd(a);
      expectValues(T.matmul(T.mul(U, T.unsqueeze(S, -2)), Vh), values(a), 12);
      const k = Math.min(shape.at(-1)!, shape.at(-2)!);
      expectValues(T.matmul(mT(U), U), values(T.expand(T.eye(k, undefined, { dtype: 'float64' }), [...shape.slice(0, -2), k, k])), 12);
      const full = T.svd(a, { fullMatrices: true });
      const [m, n] = shape.slice(-2) as [number, number];
      expect(full.U.shape.slice(-2)).toEqual([m, m]);
      expect(full.Vh.shape.slice(-2)).toEqual([n, n]);
      expectValues(T.matmul(mT(full.U), full.U), values(T.expand(T.eye(m, undefined, { dtype: 'float64' }), [...shape.slice(0, -2), m, m])), 12);
      expectValues(T.matmul(full.Vh, mT(full.Vh)), values(T.expand(T.eye(n, undefined, { dtype: 'float64' }), [...shape.slice(0, -2), n, n])), 12);
    }
    const rank1 = T.tensor([[1, 2], [2, 4], [3, 6]], { dtype: 'float64' });
    const { U, S } = T.svd(rank1);
    expect(values(S)[1]).toBeCloseTo(0, 12);
    expectValues(T.matmul(mT(U), U), [1, 0, 0, 1], 12);
  });
  it('float64 gradient checks (thin and wide)', () => {
    gradcheck(T.svdvals, [randomF64([2, 4, 3])]);
    gradcheck(T.svdvals, [randomF64([2, 4])]);
    gradcheck((t) => { const { U, Vh } = T.svd(t); return T.cat([T.reshape(T.square(U), [-1]), T.reshape(T.square(Vh), [-1])]); }, [randomF64([4, 3])]);
  });
});

describe('matrixExp', () => {
  it('matches PyTorch with and without squarings, values and gradients', () => {
    for (const c of torchRef.matrix_exp) {
      const a = fillq(c.shape, c.k, c.scale).requiresGrad_();
      const e = T.matrixExp(a);
      const scale = Math.max(...c.out.map(Math.abs));
      values(e).forEach((v, i) => expect(Math.abs(v - c.out[i]) / scale).toBeLessThan(1e-12));
      const g = values(gradsOf(e, [a], 19)[0]!);
      const gs = Math.max(...c.grad.map(Math.abs));
      g.forEach((v, i) => expect(Math.abs(v - c.grad[i]) / gs).toBeLessThan(1e-11));
    }
  });
  it('exp of a diagonal and of a nilpotent matrix; float64 gradient check', () => {
    expectValues(T.matrixExp(T.tensor([[1, 0], [0, -2]], { dtype: 'float64' })), [Math.E, 0, 0, Math.exp(-2)], 14);
    expectValues(T.matrixExp(T.tensor([[0, 3], [0, 0]], { dtype: 'float64' })), [1, 3, 0, 1], 14);
    gradcheck(T.matrixExp, [randomF64([2, 3, 3])]);
    gradcheck(T.matrixExp, [randomF64([3, 3], -4, 4)]);
  });
});

describe('typed errors', () => {
  it('name the op, the argument and the shapes', () => {
    expect(() => T.luFactor(T.zeros([2, 3], { dtype: 'float64' }))).toThrow(/luFactor: A must be a square matrix.*\[2, 3\]/);
    expect(() => T.luSolve(T.eye(3, undefined, { dtype: 'float64' }), T.ones([2], { dtype: 'int32' }), T.zeros([3, 1], { dtype: 'float64' }))).toThrow(/luSolve: LU \[3, 3\], pivots \[2\] and B \[3, 1\] do not fit/);
    expect(() => T.svd(T.zeros([3]))).toThrow(/svd: A must be a matrix.*\[3\]/);
    expect(() => T.matrixExp(T.zeros([2, 3]))).toThrow(/matrixExp: A must be a square matrix.*\[2, 3\]/);
    expect(() => T.svdvals(T.zeros([2, 2], { dtype: 'int32' }))).toThrow(T.DTypeError);
  });
});
