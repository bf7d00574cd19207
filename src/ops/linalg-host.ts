/**
 * Dense linear-algebra kernels on host Float64Arrays (row-major n x n or m x n matrices), for the
 * linalg ops' host path and the classical models. Small matrices: plain loops, clear and exact.
 */
import { ArgumentError } from '../errors.js';

/** Lower-triangular L with A = L Lᵀ for symmetric positive-definite A, or null when a pivot is not positive. */
export function choleskyFactor(a: ArrayLike<number>, n: number): Float64Array | null {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!;
    for (let k = 0; k < j; k++) d -= l[j * n + k]! ** 2;
    if (!(d > 0)) return null;
    const ljj = Math.sqrt(d);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = s / ljj;
    }
  }
  return l;
}

/** LU with partial pivoting in place: P A = L U packed in `lu`; returns the row order and the permutation's sign. */
export function luFactor(lu: Float64Array, n: number): { perm: Int32Array; sign: number } {
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  let sign = 1;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(lu[i * n + k]!) > Math.abs(lu[p * n + k]!)) p = i;
    if (p !== k) {
      for (let j = 0; j < n; j++) [lu[k * n + j], lu[p * n + j]] = [lu[p * n + j]!, lu[k * n + j]!];
      [perm[k], perm[p]] = [perm[p]!, perm[k]!];
      sign = -sign;
    }
    const pivot = lu[k * n + k]!;
    if (pivot === 0) continue;
    for (let i = k + 1; i < n; i++) {
      const f = (lu[i * n + k]! /= pivot);
      if (f !== 0) for (let j = k + 1; j < n; j++) lu[i * n + j] -= f * lu[k * n + j]!;
    }
  }
  return { perm, sign };
}

/** X [n, k] with A X = B from A's packed LU; throws when U has a zero pivot (A singular). */
export function luSolve(lu: Float64Array, perm: Int32Array, n: number, b: ArrayLike<number>, k: number, op: string): Float64Array {
  for (let i = 0; i < n; i++) if (lu[i * n + i] === 0) throw new ArgumentError(`${op}: the matrix is singular (U[${i}, ${i}] = 0 in its LU factorization)`);
  const x = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) x[i * k + c] = b[perm[i]! * k + c]!;
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < n; i++) {
      let s = x[i * k + c]!;
      for (let j = 0; j < i; j++) s -= lu[i * n + j]! * x[j * k + c]!;
      x[i * k + c] = s;
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = x[i * k + c]!;
      for (let j = i + 1; j < n; j++) s -= lu[i * n + j]! * x[j * k + c]!;
      x[i * k + c] = s / lu[i * n + i]!;
    }
  }
  return x;
}

/** X [n, k] with T X = B for triangular T (only its `upper` or lower triangle is read). */
export function triangularSolveHost(t: ArrayLike<number>, n: number, b: ArrayLike<number>, k: number, upper: boolean, unit: boolean): Float64Array {
  const x = Float64Array.from(b);
  for (let c = 0; c < k; c++) {
    for (let s = 0; s < n; s++) {
      const i = upper ? n - 1 - s : s;
      let v = x[i * k + c]!;
      if (upper) for (let j = i + 1; j < n; j++) v -= t[i * n + j]! * x[j * k + c]!;
      else for (let j = 0; j < i; j++) v -= t[i * n + j]! * x[j * k + c]!;
      x[i * k + c] = unit ? v : v / t[i * n + i]!;
    }
  }
  return x;
}

/** Reduced QR of A [m, n] (m >= n) by Householder reflections: Q [m, n] with orthonormal columns, R [n, n] upper, diag(R) >= 0. */
export function householderQr(a: ArrayLike<number>, m: number, n: number): { q: Float64Array; r: Float64Array } {
  const w = Float64Array.from(a);
  const vs: Float64Array[] = [];
  for (let k = 0; k < n; k++) {
    const v = new Float64Array(m);
    let norm = 0;
    for (let i = k; i < m; i++) norm += w[i * n + k]! ** 2;
    norm = Math.sqrt(norm);
    const alpha = w[k * n + k]! > 0 ? -norm : norm;
    for (let i = k; i < m; i++) v[i] = w[i * n + k]!;
    v[k]! -= alpha;
    let vv = 0;
    for (let i = k; i < m; i++) vv += v[i]! ** 2;
    vs.push(v);
    if (vv === 0) continue;
    for (let j = k; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i]! * w[i * n + j]!;
      const f = (2 * dot) / vv;
      for (let i = k; i < m; i++) w[i * n + j] -= f * v[i]!;
    }
  }
  // Q = H_0 ... H_{n-1} applied to the first n columns of the identity.
  const q = new Float64Array(m * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k]!;
    let vv = 0;
    for (let i = k; i < m; i++) vv += v[i]! ** 2;
    if (vv === 0) continue;
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i]! * q[i * n + j]!;
      const f = (2 * dot) / vv;
      for (let i = k; i < m; i++) q[i * n + j] -= f * v[i]!;
    }
  }
  const r = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) r[i * n + j] = w[i * n + j]!;
  // Signs chosen so that diag(R) >= 0 (the unique QR with a positive diagonal when A has full rank).
  for (let i = 0; i < n; i++) {
    if (r[i * n + i]! < 0) {
      for (let j = i; j < n; j++) r[i * n + j] = -r[i * n + j]!;
      for (let row = 0; row < m; row++) q[row * n + i] = -q[row * n + i]!;
    }
  }
  return { q, r };
}

/**
 * All eigenpairs of a small symmetric matrix by cyclic Jacobi rotations: eigenvalues descending,
 * eigenvectors as the columns of `vectors` (row-major n x n).
 */
export function symmetricEigen(a: ArrayLike<number>, n: number, sweeps = 50): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const rotate = (arr: Float64Array, i: number, j: number, c: number, s: number) => {
    const ai = arr[i]!;
    const aj = arr[j]!;
    arr[i] = c * ai - s * aj;
    arr[j] = s * ai + c * aj;
  };
  for (let sweep = 0; sweep < sweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (apq === 0) continue;
        // The rotation angle that zeroes m[p][q] (Golub & Van Loan, the symmetric Schur decomposition).
        const theta = (m[q * n + q]! - m[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) rotate(m, k * n + p, k * n + q, c, s);
        for (let k = 0; k < n; k++) rotate(m, p * n + k, q * n + k, c, s);
        for (let k = 0; k < n; k++) rotate(v, k * n + p, k * n + q, c, s);
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => m[j * n + j]! - m[i * n + i]!);
  const values = Float64Array.from(order, (i) => m[i * n + i]!);
  const vectors = new Float64Array(n * n);
  for (let r = 0; r < n; r++) order.forEach((src, c) => (vectors[r * n + c] = v[r * n + src]!));
  return { values, vectors };
}
