/**
 * Host-side dense linear algebra in float64 for the classical models (notes 002 §1): Cholesky
 * factors for sampling and Gaussian densities, symmetric eigendecompositions for PCA, and the
 * log-sum-exp that keeps EM in log space. Matrices are row-major Float64Arrays of n*n values;
 * these are small (at most 784 x 784), so plain loops are clear and fast enough.
 */
import { ArgumentError } from '../../src/index.js';
import { choleskyFactor, symmetricEigen } from '../../src/ops/linalg-host.js';

/** Lower-triangular L with A = L Lᵀ, for symmetric positive-definite A. */
export function cholesky(a: Float64Array, n: number): Float64Array {
  const l = choleskyFactor(a, n);
  if (!l) throw new ArgumentError(`cholesky: the ${n}x${n} matrix is not positive definite; add a larger ridge`);
  return l;
}

/** log det A from its Cholesky factor: 2 Σ log L_ii. */
export function choleskyLogDet(l: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(l[i * n + i]!);
  return 2 * s;
}

/** y = L⁻¹ b by forward substitution (so |y|² = bᵀ A⁻¹ b, the Mahalanobis term). */
export function solveLower(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * y[k]!;
    y[i] = s / l[i * n + i]!;
  }
  return y;
}

/** y = L x, the map from a standard normal ε to a sample with covariance L Lᵀ. */
export function mulLower(l: Float64Array, n: number, x: ArrayLike<number>): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k <= i; k++) s += l[i * n + k]! * x[k]!;
    y[i] = s;
  }
  return y;
}

/** log Σ exp(v_i), shifted by the maximum so no term overflows. */
export function logSumExp(v: ArrayLike<number>, start = 0, end = v.length): number {
  let m = -Infinity;
  for (let i = start; i < end; i++) m = Math.max(m, v[i]!);
  if (m === -Infinity) return m;
  let s = 0;
  for (let i = start; i < end; i++) s += Math.exp(v[i]! - m);
  return m + Math.log(s);
}

/** Mean [d] and maximum-likelihood covariance [d, d] (divided by n) of n rows of x. */
export function meanAndCovariance(x: ArrayLike<number>, n: number, d: number): { mean: Float64Array; covariance: Float64Array } {
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mean[j] += x[r * d + j]!;
  for (let j = 0; j < d; j++) mean[j] /= n;
  const covariance = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) row[j] = x[r * d + j]! - mean[j]!;
    for (let i = 0; i < d; i++) {
      const ri = row[i]!;
      if (ri === 0) continue;
      for (let j = 0; j <= i; j++) covariance[i * d + j] += ri * row[j]!;
    }
  }
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      const c = covariance[i * d + j]! / n;
      covariance[i * d + j] = c;
      covariance[j * d + i] = c;
    }
  }
  return { mean, covariance };
}

export { symmetricEigen };

/**
 * The k leading eigenpairs of a large symmetric positive semi-definite matrix (a covariance) by
 * subspace iteration with Rayleigh-Ritz: Q <- orth(A Q), then Jacobi on the small Qᵀ A Q. Cheaper
 * than a full decomposition when k << n (PCA-50 of 784 pixels). `start` is n*(k+extra) numbers
 * (e.g. Gaussian draws) that seed the subspace.
 */
export function topEigen(a: Float64Array, n: number, k: number, start: ArrayLike<number>, iterations = 40): { values: Float64Array; vectors: Float64Array } {
  const m = start.length / n;
  if (!Number.isInteger(m) || m < k) throw new ArgumentError(`topEigen: start must hold n*m numbers with m >= k=${k}, got ${start.length}`);
  let q: Float64Array = Float64Array.from(start);
  orthonormalizeColumns(q, n, m);
  for (let it = 0; it < iterations; it++) {
    q = matmul(a, q, n, n, m);
    orthonormalizeColumns(q, n, m);
  }
  const aq = matmul(a, q, n, n, m);
  const small = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) {
    let s = 0;
    for (let r = 0; r < n; r++) s += q[r * m + i]! * aq[r * m + j]!;
    small[i * m + j] = s;
  }
  const ritz = symmetricEigen(small, m);
  const vectors = new Float64Array(n * k);
  for (let r = 0; r < n; r++) for (let c = 0; c < k; c++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += q[r * m + i]! * ritz.vectors[i * m + c]!;
    vectors[r * k + c] = s;
  }
  return { values: ritz.values.slice(0, k), vectors };
}

/** C [n, m] = A [n, p] B [p, m]. */
export function matmul(a: ArrayLike<number>, b: ArrayLike<number>, n: number, p: number, m: number): Float64Array {
  const c = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let k = 0; k < p; k++) {
    const aik = a[i * p + k]!;
    if (aik === 0) continue;
    for (let j = 0; j < m; j++) c[i * m + j] += aik * b[k * m + j]!;
  }
  return c;
}

/** Modified Gram-Schmidt on the m columns of q [n, m], in place. */
function orthonormalizeColumns(q: Float64Array, n: number, m: number): void {
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < j; i++) {
      let dot = 0;
      for (let r = 0; r < n; r++) dot += q[r * m + i]! * q[r * m + j]!;
      for (let r = 0; r < n; r++) q[r * m + j] -= dot * q[r * m + i]!;
    }
    let norm = 0;
    for (let r = 0; r < n; r++) norm += q[r * m + j]! ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let r = 0; r < n; r++) q[r * m + j] /= norm;
  }
}
