/**
 * Linear algebra with backward rules: triangularSolve, solve, inv, det, slogdet, cholesky, qr and
 * eigh, batched over leading dims. The factorizations run on the host in float64 (linalg-host.ts)
 * on backends that read synchronously (the CPU): they are sequential pivoting loops that no kernel
 * of the backend contract expresses. On WebGPU they throw a DeviceError asking to move the tensor to
 * the CPU. Every backward rule is written with differentiable ops (matmul, these solves), so second
 * derivatives work; rules at singular or degenerate points (a singular matrix's det, repeated
 * eigenvalues) are undefined, as in PyTorch.
 */
import { ShapeError, fmtShape } from '../errors.js';
import { broadcastShapes, numel, shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, composite, requireFloat } from './core.js';
import { eye } from './creation.js';
import { customOp } from './define.js';
import { add, div, eq, mul, neg, sub, where } from './elementwise.js';
import { diagEmbed, diagonal } from './diagonal.js';
import { choleskyFactor, householderQr, luFactor, luSolve, symmetricEigen, triangularSolveHost } from './linalg-host.js';
import { checkMatrix, hostValues, mT, perMatrix, upload } from './linalg-common.js';
import { tril, triu } from './masking.js';
import { matmul } from './matmul.js';
import { expand, reshape, slice, squeeze, transpose, unsqueeze } from './shapeops.js';

/** A and B expanded to a common batch shape; B as [..., n, k]. */
function broadcastSystem(op: string, a: Tensor, b: Tensor, rowsOfB: number): [Tensor, Tensor] {
  if (b.shape.length < 2 || b.shape.at(-2) !== rowsOfB) {
    throw new ShapeError(`${op}: B ${fmtShape(b.shape)} must be [..., ${rowsOfB}, k] for A ${fmtShape(a.shape)}`);
  }
  const batch = broadcastShapes(op, a.shape.slice(0, -2), b.shape.slice(0, -2));
  return [expand(a, [...batch, ...a.shape.slice(-2)]), expand(b, [...batch, ...b.shape.slice(-2)])];
}

/** X [..., n, k] from A [..., n, n] and B [..., n, k] of one batch shape, one host solve per matrix. */
function solveEach(op: string, a: Tensor, b: Tensor, solveOne: (m: ArrayLike<number>, rhs: ArrayLike<number>) => Float64Array): Tensor {
  const [n, k] = b.shape.slice(-2) as [number, number];
  const batch = numel(a.shape.slice(0, -2));
  const av = hostValues(op, a);
  const bv = hostValues(op, b);
  const x = new Float64Array(batch * n * k);
  for (let i = 0; i < batch; i++) x.set(solveOne(av.slice(i * n * n, (i + 1) * n * n), bv.slice(i * n * k, (i + 1) * n * k)), i * n * k);
  return upload(x, b.shape, b);
}

/** Options of solveTriangular: which triangle of A to read and which side it multiplies. */
export interface TriangularSolveOptions {
  /** Read A's upper triangle (default: lower). */
  upper?: boolean;
  /** Solve A X = B (default) or X A = B. */
  left?: boolean;
  /** Take A's diagonal as ones. */
  unitriangular?: boolean;
}

/** X with A X = B (or X A = B) for triangular A [..., n, n]. @torch torch.linalg.solve_triangular */
export function triangularSolve(a: Tensor, b: Tensor, opts: TriangularSolveOptions = {}): Tensor {
  const op = 'triangularSolve';
  checkMatrix(op, a, true, 'A');
  checkMatrix(op, b, false, 'B');
  const { upper = false, left = true, unitriangular = false } = opts;
  if (!left) return composite([a, b], () => mT(triangularSolve(mT(a), mT(b), { upper: !upper, unitriangular })));
  const n = a.shape.at(-1)!;
  const [ta, tb] = broadcastSystem(op, a, b, n);
  const k = tb.shape.at(-1)!;
  return customOp(op, [ta, tb], () => solveEach(op, ta, tb, (m, rhs) => triangularSolveHost(m, n, rhs, k, upper, unitriangular)), (g, x) => {
    const gb = triangularSolve(mT(ta), g, { upper: !upper, unitriangular });
    const full = neg(matmul(gb, mT(x)));
    const shift = unitriangular ? 1 : 0;
    return [upper ? triu(full, shift) : tril(full, -shift), gb];
  });
}

/** X with A X = B for square A [..., n, n]; B is [..., n, k], or [..., n] for one vector. @torch torch.linalg.solve */
export function solve(a: Tensor, b: Tensor): Tensor {
  const op = 'solve';
  checkMatrix(op, a, true, 'A');
  checkInputs(op, a, b);
  requireFloat(op, b, 'B');
  // B is a batch of vectors when it is 1-D or has A's shape without the last dim (PyTorch's rule).
  const vectors = b.shape.length === 1 || (b.shape.length === a.shape.length - 1 && shapesEqual(b.shape, a.shape.slice(0, -1)));
  if (vectors) return composite([a, b], () => squeeze(solve(a, unsqueeze(b, -1)), -1));
  const n = a.shape.at(-1)!;
  const [ta, tb] = broadcastSystem(op, a, b, n);
  const k = tb.shape.at(-1)!;
  return customOp(op, [ta, tb], () => solveEach(op, ta, tb, (m, rhs) => {
    const lu = Float64Array.from(m);
    const { perm } = luFactor(lu, n);
    return luSolve(lu, perm, n, rhs, k, op);
  }), (g, x) => {
    const gb = solve(mT(ta), g);
    return [neg(matmul(gb, mT(x))), gb];
  });
}

/** The inverse of square A [..., n, n] (solve against the identity, so its gradient is solve's). @torch torch.linalg.inv */
export function inv(a: Tensor): Tensor {
  checkMatrix('inv', a, true, 'A');
  const n = a.shape.at(-1)!;
  return composite([a], () => solve(a, eye(n, n, { dtype: a.dtype, device: a.device })));
}

/** sign and log|det| per matrix from LU: [signs, logs]. */
function luDeterminants(op: string, a: Tensor): [Float64Array, Float64Array] {
  const n = a.shape.at(-1)!;
  const batch = numel(a.shape.slice(0, -2));
  const av = hostValues(op, a);
  const signs = new Float64Array(batch);
  const logs = new Float64Array(batch);
  for (let i = 0; i < batch; i++) {
    const lu = Float64Array.from(av.slice(i * n * n, (i + 1) * n * n));
    let { sign } = luFactor(lu, n);
    let log = 0;
    for (let j = 0; j < n; j++) {
      const u = lu[j * n + j]!;
      sign *= Math.sign(u);
      log += Math.log(Math.abs(u));
    }
    signs[i] = sign === 0 ? 0 : sign; // never -0
    logs[i] = sign === 0 ? -Infinity : log;
  }
  return [signs, logs];
}

/**
 * sign(det A) and log|det A| per matrix of A [..., n, n]; the gradient of logabsdet is A^-T
 * (what Glow's invertible 1x1 convolution needs). A singular matrix gives sign 0 and -inf. @torch torch.linalg.slogdet
 */
export function slogdet(a: Tensor): { sign: Tensor; logabsdet: Tensor } {
  const op = 'slogdet';
  checkMatrix(op, a, true, 'A');
  const batchShape = a.shape.slice(0, -2);
  const [signs] = luDeterminants(op, a);
  const sign = upload(signs, batchShape, a);
  const logabsdet = customOp(op, [a], () => upload(luDeterminants(op, a)[1], batchShape, a), (g) => [mul(unsqueeze(unsqueeze(g, -1), -1), mT(inv(a)))]);
  return { sign, logabsdet };
}

/** det A per matrix of A [..., n, n]; gradient det(A) A^-T (undefined at singular A). @torch torch.linalg.det */
export function det(a: Tensor): Tensor {
  const op = 'det';
  checkMatrix(op, a, true, 'A');
  return customOp(op, [a], () => {
    const [signs, logs] = luDeterminants(op, a);
    return upload(signs.map((s, i) => s * Math.exp(logs[i]!)), a.shape.slice(0, -2), a);
  }, (g, d) => [mul(unsqueeze(unsqueeze(mul(g, d), -1), -1), mT(inv(a)))]);
}

/** tril(X) with its diagonal halved: the map Φ of the Cholesky derivative. */
function phi(x: Tensor): Tensor {
  return sub(tril(x), mul(diagEmbed(diagonal(x, 0, -2, -1)), 0.5));
}

/**
 * The Cholesky factor of symmetric positive-definite A [..., n, n]: lower L with A = L Lᵀ (or
 * upper U = Lᵀ). The backward is the symmetric L^-T Φ(Lᵀ gL) L^-1 (Murray, 2016). @torch torch.linalg.cholesky
 */
export function cholesky(a: Tensor, opts: { upper?: boolean } = {}): Tensor {
  const op = 'cholesky';
  checkMatrix(op, a, true, 'A');
  if (opts.upper) return composite([a], () => mT(cholesky(a)));
  const n = a.shape.at(-1)!;
  const batch = numel(a.shape.slice(0, -2));
  return customOp(op, [a], () => {
    const factors = perMatrix(hostValues(op, a), batch, n * n, n * n, (m, b) => {
      const l = choleskyFactor(m, n);
      if (!l) throw new ShapeError(`${op}: matrix ${b} of the batch (input ${fmtShape(a.shape)}) is not positive definite`);
      return l;
    });
    return upload(factors, a.shape, a);
  }, (g, l) => {
    const s = triangularSolve(l, triangularSolve(mT(l), phi(matmul(mT(l), tril(g))), { upper: true }), { left: false });
    return [mul(add(s, mT(s)), 0.5)];
  });
}

/**
 * Reduced QR of A [..., m, n] with m >= n: Q [..., m, n] with orthonormal columns and upper R
 * [..., n, n] with a non-negative diagonal. Backward as Liao et al. (2019) for full-rank A. @torch torch.linalg.qr
 */
export function qr(a: Tensor): { Q: Tensor; R: Tensor } {
  const op = 'qr';
  checkMatrix(op, a, false, 'A');
  const [m, n] = a.shape.slice(-2) as [number, number];
  if (m < n) throw new ShapeError(`${op}: only m >= n (reduced mode) is supported, got A ${fmtShape(a.shape)}`);
  const batch = numel(a.shape.slice(0, -2));
  // Q and R travel as one [..., m + n, n] tensor, so one node receives both gradients.
  const packed = customOp(op, [a], () => {
    const values = perMatrix(hostValues(op, a), batch, m * n, (m + n) * n, (mat) => {
      const { q, r } = householderQr(mat, m, n);
      const out = new Float64Array((m + n) * n);
      out.set(q);
      out.set(r, m * n);
      return out;
    });
    return upload(values, [...a.shape.slice(0, -2), m + n, n], a);
  }, (g, out) => {
    const rows = (t: Tensor, start: number, stop: number) => slice(t, [...t.shape.slice(0, -2).map(() => null), { start, stop }]);
    const [q, r] = [rows(out, 0, m), rows(out, m, m + n)];
    const [gq, gr] = [rows(g, 0, m), rows(g, m, m + n)];
    const mm = sub(matmul(r, mT(gr)), matmul(mT(gq), q));
    const copyltu = add(tril(mm), mT(tril(mm, -1)));
    return [triangularSolve(mT(r), add(gq, matmul(q, copyltu)), { left: false })];
  });
  const at = (start: number, stop: number) => slice(packed, [...packed.shape.slice(0, -2).map(() => null), { start, stop }]);
  return { Q: at(0, m), R: at(m, m + n) };
}

/**
 * Eigenvalues (ascending) and eigenvectors (columns) of symmetric A [..., n, n] (its symmetric part
 * (A + Aᵀ) / 2 is used) by Jacobi rotations. Backward V (diag(gw) + F ∘ Vᵀ gV) Vᵀ, symmetrized,
 * F_ij = 1 / (w_j - w_i): undefined for repeated eigenvalues. @torch torch.linalg.eigh
 */
export function eigh(a: Tensor): { eigenvalues: Tensor; eigenvectors: Tensor } {
  const op = 'eigh';
  checkMatrix(op, a, true, 'A');
  const n = a.shape.at(-1)!;
  const batch = numel(a.shape.slice(0, -2));
  // Eigenvalues (row 0) and eigenvectors (rows 1..n) packed into [..., n + 1, n].
  const packed = customOp(op, [a], () => {
    const values = perMatrix(hostValues(op, a), batch, n * n, (n + 1) * n, (mat) => {
      const sym = Float64Array.from({ length: n * n }, (_, i) => (mat[i]! + mat[(i % n) * n + Math.floor(i / n)]!) / 2);
      const { values: w, vectors } = symmetricEigen(sym, n);
      const out = new Float64Array((n + 1) * n);
      for (let c = 0; c < n; c++) {
        out[c] = w[n - 1 - c]!;
        for (let r = 0; r < n; r++) out[(r + 1) * n + c] = vectors[r * n + (n - 1 - c)]!;
      }
      return out;
    });
    return upload(values, [...a.shape.slice(0, -2), n + 1, n], a);
  }, (g, out) => {
    const rows = (t: Tensor, start: number, stop: number) => slice(t, [...t.shape.slice(0, -2).map(() => null), { start, stop }]);
    const [w, v] = [rows(out, 0, 1), rows(out, 1, n + 1)];
    const [gw, gv] = [rows(g, 0, 1), rows(g, 1, n + 1)];
    const gap = sub(w, mT(w)); // [i, j] = w_j - w_i
    const diagonalMask = eq(eye(n, n, { device: a.device }), 1);
    const f = where(diagonalMask, 0, div(1, where(diagonalMask, 1, gap)));
    const inner = add(diagEmbed(reshape(gw, [...gw.shape.slice(0, -2), n])), mul(f, matmul(mT(v), gv)));
    const ga = matmul(matmul(v, inner), mT(v));
    return [mul(add(ga, mT(ga)), 0.5)];
  });
  const eigenvalues = reshape(slice(packed, [...packed.shape.slice(0, -2).map(() => null), { start: 0, stop: 1 }]), [...a.shape.slice(0, -2), n]);
  const eigenvectors = slice(packed, [...packed.shape.slice(0, -2).map(() => null), { start: 1, stop: n + 1 }]);
  return { eigenvalues, eigenvectors };
}

