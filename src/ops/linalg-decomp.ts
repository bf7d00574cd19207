/**
 * LU with partial pivoting (luFactor, lu, luSolve), the SVD (svd, svdvals) and the matrix
 * exponential, batched over leading dims, with backward rules written with differentiable ops.
 * Like linalg.ts, the factorizations run on the host in float64 on backends that read
 * synchronously and throw a DeviceError on WebGPU.
 */
import { ShapeError, fmtShape } from '../errors.js';
import { numel } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, composite } from './core.js';
import { eye, tensor, zeros } from './creation.js';
import { customOp } from './define.js';
import { add, div, mul, square, sub, where, eq } from './elementwise.js';
import { diagEmbed } from './diagonal.js';
import { expmHost, fullU, jacobiSvd, pivotsFromPerm } from './linalg-decomp-host.js';
import { checkMatrix, hostValues, mT, perMatrix, upload } from './linalg-common.js';
import { luFactor as luFactorHost } from './linalg-host.js';
import { triangularSolve } from './linalg.js';
import { tril, triu } from './masking.js';
import { matmul } from './matmul.js';
import { cat, reshape, slice, unsqueeze } from './shapeops.js';

const rows = (t: Tensor, start: number, stop: number): Tensor => slice(t, [...t.shape.slice(0, -2).map(() => null), { start, stop }]);

/** Torch's P (A = P L U) as a tensor from 1-based LAPACK pivots [..., n]. */
function permutationFromPivots(pivots: ArrayLike<number>, batchShape: readonly number[], n: number, like: Tensor): Tensor {
  const batch = numel(batchShape);
  const p = new Float64Array(batch * n * n);
  for (let b = 0; b < batch; b++) {
    const order = Array.from({ length: n }, (_, i) => i);
    for (let k = 0; k < n; k++) {
      const j = pivots[b * n + k]! - 1;
      [order[k], order[j]] = [order[j]!, order[k]!];
    }
    // Row k of P A is row order[k] of A, so P[order[k], k] = 1.
    order.forEach((src, k) => (p[b * n * n + src * n + k] = 1));
  }
  return upload(p, [...batchShape, n, n], like);
}

/**
 * LU with partial pivoting of square A [..., n, n]: LU packs unit-lower L (below the diagonal) and
 * U; pivots [..., n] (int32, 1-based) as LAPACK's. Backward (full-rank A):
 * P L^-T (tril(Lᵀ gL, -1) + triu(gU Uᵀ)) U^-T. @torch torch.linalg.lu_factor
 */
export function luFactor(a: Tensor): { LU: Tensor; pivots: Tensor } {
  const op = 'luFactor';
  checkMatrix(op, a, true, 'A');
  const n = a.shape.at(-1)!;
  const batchShape = a.shape.slice(0, -2);
  const batch = numel(batchShape);
  const pivots = new Int32Array(batch * n);
  const packed = perMatrix(hostValues(op, a), batch, n * n, n * n, (m, b) => {
    const lu = Float64Array.from(m);
    pivots.set(pivotsFromPerm(luFactorHost(lu, n).perm), b * n);
    return lu;
  });
  const LU = customOp(op, [a], () => upload(packed, a.shape, a), (g, out) => {
    const l = add(tril(out, -1), eye(n, n, { dtype: a.dtype, device: a.device }));
    const u = triu(out);
    const m = add(tril(matmul(mT(l), tril(g, -1)), -1), triu(matmul(triu(g), mT(u))));
    const x = triangularSolve(mT(l), m, { upper: true, unitriangular: true });
    return [matmul(permutationFromPivots(pivots, batchShape, n, a), triangularSolve(mT(u), x, { left: false }))];
  });
  return { LU, pivots: tensor(pivots, { shape: [...batchShape, n], device: a.device }) };
}

/** A = P L U for square A [..., n, n]: permutation P, unit-lower L, upper U; differentiable in L and U. @torch torch.linalg.lu */
export function lu(a: Tensor): { P: Tensor; L: Tensor; U: Tensor } {
  const op = 'lu';
  checkMatrix(op, a, true, 'A');
  hostValues(op, a);
  const n = a.shape.at(-1)!;
  const { LU, pivots } = luFactor(a);
  const P = permutationFromPivots(hostValues(op, pivots), a.shape.slice(0, -2), n, a);
  return composite([a], () => ({ P, L: add(tril(LU, -1), eye(n, n, { dtype: a.dtype, device: a.device })), U: triu(LU) }));
}

/** X with A X = B from luFactor's LU and pivots; B [..., n, k]. Differentiable in LU and B. @torch torch.linalg.lu_solve */
export function luSolve(LU: Tensor, pivots: Tensor, b: Tensor): Tensor {
  const op = 'luSolve';
  checkMatrix(op, LU, true, 'LU');
  checkMatrix(op, b, false, 'B');
  checkInputs(op, LU, pivots, b);
  const n = LU.shape.at(-1)!;
  if (pivots.shape.length !== LU.shape.length - 1 || pivots.shape.at(-1) !== n || b.shape.at(-2) !== n) {
    throw new ShapeError(`${op}: LU ${fmtShape(LU.shape)}, pivots ${fmtShape(pivots.shape)} and B ${fmtShape(b.shape)} do not fit (need [..., n, n], [..., n], [..., n, k])`);
  }
  const p = permutationFromPivots(hostValues(op, pivots), pivots.shape.slice(0, -1), n, LU);
  return composite([LU, b], () => {
    const y = triangularSolve(LU, matmul(mT(p), b), { unitriangular: true });
    return triangularSolve(LU, y, { upper: true });
  });
}

/**
 * Thin SVD of A [..., m, n] with m >= n as one packed [..., m + 1 + n, n] tensor (U, S, Vh), so one
 * node receives all three gradients. Backward as PyTorch's svd_backward: with E_ij = s_j² - s_i²,
 * U ((skew(Uᵀ gU) S + S skew(Vᵀ gV)) / E + diag(gS)) Vh + (I - U Uᵀ) gU S^-1 Vh. Undefined
 * for repeated or zero singular values when gU or gVh is used, as in PyTorch.
 */
function thinSvd(op: string, a: Tensor): Tensor {
  const [m, n] = a.shape.slice(-2) as [number, number];
  const batch = numel(a.shape.slice(0, -2));
  const values = perMatrix(hostValues(op, a), batch, m * n, (m + 1 + n) * n, (mat) => {
    const { u, s, v } = jacobiSvd(mat, m, n);
    const out = new Float64Array((m + 1 + n) * n);
    out.set(u);
    out.set(s, m * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[(m + 1 + i) * n + j] = v[j * n + i]!;
    return out;
  });
  return customOp(op, [a], () => upload(values, [...a.shape.slice(0, -2), m + 1 + n, n], a), (g, out) => {
    const [u, s, vh] = [rows(out, 0, m), rows(out, m, m + 1), rows(out, m + 1, m + 1 + n)];
    const [gu, gs, gvh] = [rows(g, 0, m), rows(g, m, m + 1), rows(g, m + 1, m + 1 + n)];
    const s2 = square(s);
    const offDiagonal = eq(eye(n, n, { device: a.device }), 0);
    const e = where(offDiagonal, sub(s2, mT(s2)), 1); // [i, j] = s_j² - s_i²
    const skew = (x: Tensor) => sub(x, mT(x));
    const inner = div(add(mul(skew(matmul(mT(u), gu)), s), mul(mT(s), skew(matmul(vh, mT(gvh))))), e);
    const core = add(where(offDiagonal, inner, 0), diagEmbed(reshape(gs, [...gs.shape.slice(0, -2), n])));
    const guSinv = div(gu, s);
    const ga = add(matmul(u, core), sub(guSinv, matmul(u, matmul(mT(u), guSinv))));
    return [matmul(ga, vh)];
  });
}

/**
 * Singular value decomposition A = U diag(S) Vh of A [..., m, n] with k = min(m, n): S descending,
 * U [..., m, k] and Vh [..., k, n] (fullMatrices: U [..., m, m], Vh [..., n, n], the added columns
 * an orthonormal completion without gradient, as PyTorch narrows them away). Signs of singular
 * vectors are arbitrary (here: each column of U has its largest entry positive). @torch torch.linalg.svd
 */
export function svd(a: Tensor, opts: { fullMatrices?: boolean } = {}): { U: Tensor; S: Tensor; Vh: Tensor } {
  const op = 'svd';
  checkMatrix(op, a, false, 'A');
  hostValues(op, a);
  const [m, n] = a.shape.slice(-2) as [number, number];
  if (m < n) {
    const t = svd(mT(a), opts);
    return { U: mT(t.Vh), S: t.S, Vh: mT(t.U) };
  }
  const packed = thinSvd(op, a);
  const U = rows(packed, 0, m);
  const S = reshape(rows(packed, m, m + 1), [...a.shape.slice(0, -2), n]);
  const Vh = rows(packed, m + 1, m + 1 + n);
  if (!opts.fullMatrices || m === n) return { U, S, Vh };
  // The completion of U's columns: constant, so gradients reach only the first n columns.
  const batch = numel(a.shape.slice(0, -2));
  const extra = perMatrix(hostValues(op, U), batch, m * n, m * (m - n), (u) => {
    const q = fullU(Float64Array.from(u), m, n);
    return Float64Array.from({ length: m * (m - n) }, (_, i) => q[Math.floor(i / (m - n)) * m + n + (i % (m - n))]!);
  });
  return { U: cat([U, upload(extra, [...a.shape.slice(0, -2), m, m - n], a)], -1), S, Vh };
}

/**
 * The singular values of A [..., m, n], descending; gradient U diag(gS) Vh, defined even for
 * repeated singular values. @torch torch.linalg.svdvals
 */
export function svdvals(a: Tensor): Tensor {
  const op = 'svdvals';
  checkMatrix(op, a, false, 'A');
  hostValues(op, a);
  return customOp(op, [a], () => svd(a).S, (g) => {
    // The singular vectors from a differentiable svd, so second derivatives flow through it.
    const { U, Vh } = svd(a);
    return [matmul(mul(U, unsqueeze(g, -2)), Vh)];
  });
}

/**
 * exp(A) = Σ A^k / k! for square A [..., n, n], by scaling and squaring with a degree-13 Padé
 * approximant (Higham, 2005). Backward: the Fréchet derivative at Aᵀ in the direction G, the
 * top-right block of exp([[Aᵀ, G], [0, Aᵀ]]), itself a matrixExp, so it is differentiable again.
 * @torch torch.linalg.matrix_exp
 */
export function matrixExp(a: Tensor): Tensor {
  const op = 'matrixExp';
  checkMatrix(op, a, true, 'A');
  const n = a.shape.at(-1)!;
  const batch = numel(a.shape.slice(0, -2));
  return customOp(op, [a], () => upload(perMatrix(hostValues(op, a), batch, n * n, n * n, (m) => expmHost(m, n)), a.shape, a), (g) => {
    const at = mT(a);
    const block = cat([cat([at, g], -1), cat([zeros(at.shape, { dtype: a.dtype, device: a.device }), at], -1)], -2);
    const e = matrixExp(block);
    return [slice(rows(e, 0, n), [...e.shape.slice(0, -2).map(() => null), null, { start: n, stop: 2 * n }])];
  });
}
