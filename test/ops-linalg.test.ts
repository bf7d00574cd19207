// Linear algebra on the CPU in float64: identities every factorization must satisfy, float64
// gradient checks of every backward rule (batched, with broadcasting), typed errors.
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { gradcheck, randomF64 } from './setup/gradcheck.js';

const values = (t: Tensor) => Array.from(t.dataSync(), Number);
const mT = (t: Tensor) => T.transpose(t, -2, -1);
/** A random matrix made well conditioned by a multiple of the identity. */
const wellConditioned = (shape: number[]) => T.add(randomF64(shape), T.mul(T.eye(shape.at(-1)!, undefined, { dtype: 'float64' }), 3));
const spd = (b: Tensor) => T.add(T.matmul(b, mT(b)), T.mul(T.eye(b.shape.at(-1)!, undefined, { dtype: 'float64' }), 0.5));

function expectAllClose(a: Tensor, b: Tensor, digits = 11): void {
  expect(a.shape).toEqual(b.shape);
  const bv = values(b);
  values(a).forEach((v, i) => expect(v, `element ${i}`).toBeCloseTo(bv[i]!, digits));
}

describe('solves', () => {
  it('triangularSolve: lower, upper, unit, right-hand, broadcast batch', () => {
    const a = T.tril(wellConditioned([2, 3, 3]));
    const b = randomF64([3, 2]);
    expectAllClose(T.matmul(a, T.triangularSolve(a, b)), T.expand(b, [2, 3, 2]));
    const u = T.triu(wellConditioned([3, 3]));
    expectAllClose(T.matmul(u, T.triangularSolve(u, b, { upper: true })), b);
    const xr = T.triangularSolve(u, randomF64([2, 3]), { upper: true, left: false });
    expect(xr.shape).toEqual([2, 3]);
    gradcheck((p, q) => T.triangularSolve(p, q), [wellConditioned([2, 3, 3]), randomF64([3, 2])]);
    gradcheck((p, q) => T.triangularSolve(p, q, { upper: true, unitriangular: true }), [wellConditioned([4, 4]), randomF64([4, 1])]);
    gradcheck((p, q) => T.triangularSolve(p, q, { left: false }), [wellConditioned([3, 3]), randomF64([2, 3])]);
  });
  it('solve and inv', () => {
    const a = wellConditioned([2, 4, 4]);
    const b = randomF64([2, 4, 3]);
    expectAllClose(T.matmul(a, T.solve(a, b)), b);
    const v = randomF64([4]);
    expect(T.solve(T.slice(a, [0]), v).shape).toEqual([4]);
    const rows = randomF64([2, 4]);
    expectAllClose(T.squeeze(T.matmul(a, T.unsqueeze(T.solve(a, rows), -1)), -1), rows);
    expectAllClose(T.matmul(a, T.inv(a)), T.expand(T.eye(4, undefined, { dtype: 'float64' }), [2, 4, 4]));
    gradcheck(T.solve, [wellConditioned([2, 3, 3]), randomF64([1, 3, 2])]);
    gradcheck(T.solve, [wellConditioned([3, 3]), randomF64([3])]);
    gradcheck(T.inv, [wellConditioned([2, 3, 3])]);
  });
});

describe('determinants', () => {
  it('det and slogdet by hand', () => {
    const a = T.tensor([[[2, 1], [1, 3]], [[0, 1], [1, 0]], [[1, 2], [2, 4]]], { dtype: 'float64' });
    values(T.det(a)).forEach((d, i) => expect(d).toBeCloseTo([5, -1, 0][i]!, 12));
    const { sign, logabsdet } = T.slogdet(a);
    expect(values(sign)).toEqual([1, -1, 0]);
    expect(values(logabsdet)[0]).toBeCloseTo(Math.log(5), 14);
    expect(values(logabsdet)[2]).toBe(-Infinity);
  });
  it('gradients (logabsdet: A^-T, as Glow needs)', () => {
    gradcheck((t) => T.slogdet(t).logabsdet, [wellConditioned([2, 3, 3])]);
    gradcheck(T.det, [wellConditioned([2, 3, 3])]);
    gradcheck((t) => T.slogdet(t).logabsdet, [T.neg(wellConditioned([4, 4]))]);
    const x = wellConditioned([3, 3]).requiresGrad_(true);
    const [g] = T.gradients(T.slogdet(x).logabsdet, [x]);
    expectAllClose(g!, mT(T.inv(x.detach())));
  });
});

describe('factorizations', () => {
  it('cholesky: L Lᵀ = A, lower; upper is its transpose; gradient through A = B Bᵀ + I/2', () => {
    const a = spd(randomF64([2, 4, 4]));
    const l = T.cholesky(a);
    expectAllClose(T.matmul(l, mT(l)), a);
    expectAllClose(T.triu(l, 1), T.zerosLike(l));
    expectAllClose(T.cholesky(a, { upper: true }), mT(l));
    gradcheck((b) => T.cholesky(spd(b)), [randomF64([2, 3, 3])]);
    gradcheck((b) => T.cholesky(spd(b), { upper: true }), [randomF64([4, 4])]);
  });
  it('qr: Q R = A, Qᵀ Q = I, R upper with a positive diagonal; gradient of both', () => {
    const a = randomF64([2, 5, 3]);
    const { Q, R } = T.qr(a);
    expectAllClose(T.matmul(Q, R), a);
    expectAllClose(T.matmul(mT(Q), Q), T.expand(T.eye(3, undefined, { dtype: 'float64' }), [2, 3, 3]));
    expectAllClose(T.tril(R, -1), T.zerosLike(R));
    expect(values(T.diagonal(R, 0, -2, -1)).every((d) => d > 0)).toBe(true);
    gradcheck((t) => { const { Q: q, R: r } = T.qr(t); return T.cat([T.reshape(q, [-1]), T.reshape(r, [-1])]); }, [randomF64([4, 3])]);
    gradcheck((t) => T.qr(t).R, [randomF64([2, 3, 3])]);
  });
  it('eigh: V diag(w) Vᵀ = A, ascending eigenvalues; gradients of both', () => {
    const b = randomF64([2, 4, 4]);
    const a = T.add(b, mT(b));
    const { eigenvalues: w, eigenvectors: v } = T.eigh(a);
    expectAllClose(T.matmul(T.mul(v, T.unsqueeze(w, -2)), mT(v)), a);
    const wv = values(w);
    expect(wv.slice(0, 4)).toEqual([...wv.slice(0, 4)].sort((x, y) => x - y));
    gradcheck((t) => T.eigh(T.add(t, mT(t))).eigenvalues, [randomF64([2, 3, 3])]);
    // Eigenvectors are defined up to sign: check a sign-free function of them.
    gradcheck((t) => T.square(T.eigh(T.add(t, mT(t))).eigenvectors), [randomF64([3, 3])]);
  });
});

describe('typed errors', () => {
  it('name the op, the argument and the shapes', () => {
    expect(() => T.solve(T.zeros([2, 3], { dtype: 'float64' }), T.zeros([2, 1], { dtype: 'float64' }))).toThrow(/solve: A must be a square matrix.*\[2, 3\]/);
    expect(() => T.solve(T.eye(3, undefined, { dtype: 'float64' }), T.zeros([2, 1], { dtype: 'float64' }))).toThrow(/solve: B \[2, 1\] must be \[\.\.\., 3, k\]/);
    expect(() => T.solve(T.zeros([2, 2], { dtype: 'float64' }), T.ones([2, 1], { dtype: 'float64' }))).toThrow(/solve: the matrix is singular/);
    expect(() => T.cholesky(T.tensor([[1, 2], [2, 1]], { dtype: 'float64' }))).toThrow(/cholesky: matrix 0 of the batch .* is not positive definite/);
    expect(() => T.qr(T.zeros([2, 3]))).toThrow(/qr: only m >= n/);
    expect(() => T.det(T.tensor(new Int32Array([1, 0, 0, 1]), { shape: [2, 2] }))).toThrow(T.DTypeError);
    expect(() => T.inv(T.zeros([3]))).toThrow(T.ShapeError);
  });
});
