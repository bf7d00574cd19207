/**
 * Host float64 kernels for linalg-decomp.ts on row-major matrices: LAPACK-style pivots from a row
 * order, a one-sided Jacobi SVD, an orthonormal completion, and the matrix exponential by scaling
 * and squaring with a degree-13 Padé approximant. Small matrices: plain loops, clear and exact.
 */
import { luFactor, luSolve } from './linalg-host.js';

/** LAPACK's 1-based pivots (row i was swapped with row pivots[i] - 1, in order) that produce `perm`. */
export function pivotsFromPerm(perm: Int32Array): Int32Array {
  const n = perm.length;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const pivots = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const j = order.indexOf(perm[k]!, k);
    [order[k], order[j]] = [order[j]!, order[k]!];
    pivots[k] = j + 1;
  }
  return pivots;
}

/**
 * Thin SVD of A [m, n] with m >= n by one-sided Jacobi rotations (Hestenes): column pairs of
 * W = A V are rotated until orthogonal; then S = column norms (descending), U = W / S. Accurate
 * to working precision for the small matrices this serves; signs fixed so that each column of U
 * has its largest-magnitude entry positive.
 */
export function jacobiSvd(a: ArrayLike<number>, m: number, n: number): { u: Float64Array; s: Float64Array; v: Float64Array } {
  const w = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < m; i++) {
          const [wp, wq] = [w[i * n + p]!, w[i * n + q]!];
          alpha += wp * wp;
          beta += wq * wq;
          gamma += wp * wq;
        }
        if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta) || gamma === 0) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (const [mat, rows] of [[w, m], [v, n]] as const) {
          for (let i = 0; i < rows; i++) {
            const [xp, xq] = [mat[i * n + p]!, mat[i * n + q]!];
            mat[i * n + p] = c * xp - s * xq;
            mat[i * n + q] = s * xp + c * xq;
          }
        }
      }
    }
    if (!rotated) break;
  }
  const norms = Array.from({ length: n }, (_, j) => Math.hypot(...Array.from({ length: m }, (_, i) => w[i * n + j]!)));
  const order = norms.map((_, j) => j).sort((x, y) => norms[y]! - norms[x]!);
  const u = new Float64Array(m * n);
  const vs = new Float64Array(n * n);
  const s = Float64Array.from(order, (j) => norms[j]!);
  order.forEach((src, col) => {
    let big = 0;
    for (let i = 0; i < m; i++) if (Math.abs(w[i * n + src]!) > Math.abs(big)) big = w[i * n + src]!;
    const sign = big < 0 ? -1 : 1;
    for (let i = 0; i < m; i++) u[i * n + col] = s[col]! > 0 ? (sign * w[i * n + src]!) / s[col]! : 0;
    for (let i = 0; i < n; i++) vs[i * n + col] = sign * v[i * n + src]!;
  });
  completeColumns(u, m, n, s);
  return { u, s, v: vs };
}

/** Replace U's columns for zero singular values by unit vectors orthogonal to the others (rank-deficient A). */
function completeColumns(u: Float64Array, m: number, n: number, s: Float64Array): void {
  for (let col = 0; col < n; col++) {
    if (s[col]! > 0) continue;
    const basis = orthonormalCompletion(u, m, n, col);
    for (let i = 0; i < m; i++) u[i * n + col] = basis[i]!;
  }
}

/** A unit vector orthogonal to the first `count` columns of Q [m, cols]: Gram-Schmidt on the unit vectors e_i, twice. */
function orthonormalCompletion(q: Float64Array, m: number, cols: number, count: number): Float64Array {
  let best = new Float64Array(m);
  let bestNorm = -1;
  for (let e = 0; e < m; e++) {
    const x = new Float64Array(m);
    x[e] = 1;
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < count; j++) {
        let dot = 0;
        for (let i = 0; i < m; i++) dot += q[i * cols + j]! * x[i]!;
        for (let i = 0; i < m; i++) x[i] -= dot * q[i * cols + j]!;
      }
    }
    const norm = Math.hypot(...x);
    if (norm > bestNorm) [best, bestNorm] = [x, norm];
    if (norm > 0.5) break;
  }
  return best.map((x) => x / bestNorm);
}

/** The m x m orthonormal matrix whose first n columns are U [m, n] (columns n..m-1 completed). */
export function fullU(u: Float64Array, m: number, n: number): Float64Array {
  const q = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) q[i * m + j] = u[i * n + j]!;
  for (let col = n; col < m; col++) {
    const x = orthonormalCompletion(q, m, m, col);
    for (let i = 0; i < m; i++) q[i * m + col] = x[i]!;
  }
  return q;
}

function matmulHost(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) {
    const aik = a[i * n + k]!;
    if (aik !== 0) for (let j = 0; j < n; j++) out[i * n + j] += aik * b[k * n + j]!;
  }
  return out;
}

/** Padé-13 coefficients (Higham, 2005). */
const PADE13 = [64764752532480000, 32382376266240000, 7771770303897600, 1187353796428800, 129060195264000, 10559470521600, 670442572800, 33522128640, 1323241920, 40840800, 960960, 16380, 182, 1];
/** The largest 1-norm for which the degree-13 approximant meets double precision (Higham's θ13). */
const THETA13 = 5.371920351148152;

/** exp(A) for A [n, n]: scale by 2^-s so that |A|_1 <= θ13, Padé-13, then square s times. */
export function expmHost(a: ArrayLike<number>, n: number): Float64Array {
  let norm = 0;
  for (let j = 0; j < n; j++) {
    let col = 0;
    for (let i = 0; i < n; i++) col += Math.abs(a[i * n + j]!);
    norm = Math.max(norm, col);
  }
  const s = norm > THETA13 ? Math.ceil(Math.log2(norm / THETA13)) : 0;
  const x = Float64Array.from(a, (v) => v / 2 ** s);
  const x2 = matmulHost(x, x, n);
  const x4 = matmulHost(x2, x2, n);
  const x6 = matmulHost(x4, x2, n);
  const b = PADE13;
  const comb = (c6: number, c4: number, c2: number, c0: number) => Float64Array.from({ length: n * n }, (_, i) => c6 * x6[i]! + c4 * x4[i]! + c2 * x2[i]! + (i % (n + 1) === 0 ? c0 : 0));
  const [uLow, vLow] = [comb(b[7]!, b[5]!, b[3]!, b[1]!), comb(b[6]!, b[4]!, b[2]!, b[0]!)];
  const u = matmulHost(x, matmulHost(x6, comb(b[13]!, b[11]!, b[9]!, 0), n).map((val, i) => val + uLow[i]!), n);
  const v = matmulHost(x6, comb(b[12]!, b[10]!, b[8]!, 0), n).map((val, i) => val + vLow[i]!);
  // R = (V - U)^-1 (V + U).
  const lhs = v.map((val, i) => val - u[i]!);
  const rhs = v.map((val, i) => val + u[i]!);
  const { perm } = luFactor(lhs, n);
  let r = luSolve(lhs, perm, n, rhs, n, 'matrixExp');
  for (let i = 0; i < s; i++) r = matmulHost(r, r, n);
  return r;
}
