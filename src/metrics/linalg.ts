/**
 * Float64 host linear algebra for the metrics: means and covariances of feature rows (numpy's
 * np.cov with rowvar=False, divided by N - 1) and the symmetric eigendecomposition that FID's
 * matrix square root needs (cyclic Jacobi: slow for big matrices, exact to rounding for the
 * few-hundred-dimensional features used here, and no library needed).
 */
import { ArgumentError } from '../errors.js';

/** Mean [d] and unbiased covariance [d, d] of n rows of x (row-major n x d). */
export function meanCov(x: ArrayLike<number>, n: number, d: number): { mean: Float64Array; cov: Float64Array } {
  if (n < 2) throw new ArgumentError(`meanCov: a covariance needs at least 2 rows, got ${n}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n * d; i++) mean[i % d] += x[i]!;
  mean.forEach((s, j) => (mean[j] = s / n));
  // Centre first, then accumulate (X - μ)ᵀ(X - μ): no cancellation between large sums.
  const centred = Float64Array.from({ length: n * d }, (_, i) => x[i]! - mean[i % d]!);
  const cov = new Float64Array(d * d);
  for (let r = 0; r < n; r++) {
    const row = centred.subarray(r * d, (r + 1) * d);
    row.forEach((ri, i) => {
      if (ri !== 0) for (let j = i; j < d; j++) cov[i * d + j] += ri * row[j]!;
    });
  }
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) cov[i * d + j] = cov[j * d + i] = cov[i * d + j]! / (n - 1);
  }
  return { mean, cov };
}

/** Eigenvalues and eigenvectors (columns of `vectors`, row-major) of the symmetric matrix a [n, n]. */
export function eigh(a: ArrayLike<number>, n: number, maxSweeps = 100): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale += m[i]! ** 2;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q]! ** 2;
    // Converged when the off-diagonal mass is rounding noise relative to the whole matrix.
    if (off <= 1e-32 * scale || off === 0) break;
    for (let p = 0; p < n - 1; p++) for (let q = p + 1; q < n; q++) rotate(m, v, n, p, q);
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = m[i * n + i]!;
  return { values, vectors: v };
}

/** One Jacobi rotation in the (p, q) plane that zeroes m[p][q], accumulated into v. */
function rotate(m: Float64Array, v: Float64Array, n: number, p: number, q: number): void {
  const apq = m[p * n + q]!;
  if (apq === 0) return;
  const theta = (m[q * n + q]! - m[p * n + p]!) / (2 * apq);
  // The smaller root of t² + 2θt - 1 = 0 keeps the rotation under 45°, for stability.
  const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
  const c = 1 / Math.sqrt(t * t + 1);
  const s = t * c;
  for (let k = 0; k < n; k++) {
    const kp = k * n + p, kq = k * n + q;
    const mkp = m[kp]!, mkq = m[kq]!;
    m[kp] = c * mkp - s * mkq;
    m[kq] = s * mkp + c * mkq;
  }
  const rp = p * n, rq = q * n;
  for (let k = 0; k < n; k++) {
    const mpk = m[rp + k]!, mqk = m[rq + k]!;
    m[rp + k] = c * mpk - s * mqk;
    m[rq + k] = s * mpk + c * mqk;
  }
  for (let k = 0; k < n; k++) {
    const kp = k * n + p, kq = k * n + q;
    const vkp = v[kp]!, vkq = v[kq]!;
    v[kp] = c * vkp - s * vkq;
    v[kq] = s * vkp + c * vkq;
  }
}

/** The symmetric square root V diag(√max(λ, 0)) Vᵀ of a symmetric positive semi-definite matrix. */
export function sqrtPsd(a: ArrayLike<number>, n: number): Float64Array {
  const { values, vectors } = eigh(a, n);
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const s = Math.sqrt(Math.max(values[k]!, 0));
    if (s === 0) continue;
    for (let i = 0; i < n; i++) {
      const vik = vectors[i * n + k]! * s;
      if (vik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += vik * vectors[j * n + k]!;
    }
  }
  return out;
}

/** C [n, m] = A [n, p] B [p, m]. */
export function matmul(a: ArrayLike<number>, b: ArrayLike<number>, n: number, p: number, m: number): Float64Array {
  const c = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < p; k++) {
      const aik = a[i * p + k]!;
      if (aik === 0) continue;
      const bk = k * m, ci = i * m;
      for (let j = 0; j < m; j++) c[ci + j] += aik * b[bk + j]!;
    }
  }
  return c;
}
