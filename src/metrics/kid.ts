/**
 * Kernel Inception distance (Bińkowski et al., 2018): the unbiased estimate of the squared
 * maximum mean discrepancy between two feature sets under the cubic polynomial kernel
 *
 *   k(x, y) = (γ xᵀy + c)³,  γ = 1/d, c = 1,
 *   MMD²_u = Σ_{i≠j} k(x_i, x_j) / (m(m−1)) + Σ_{i≠j} k(y_i, y_j) / (m(m−1)) − 2 Σ_{i,j} k(x_i, y_j) / m²,
 *
 * averaged over `subsets` (100) random subsets of m = min(subsetSize (1000), N1, N2) rows drawn
 * without replacement from each set, as in the reference code; reported with the standard
 * deviation over subsets. Unbiased: its expectation is 0 for two samples of one distribution,
 * so it can be negative.
 */
import { ArgumentError } from '../errors.js';
import { philox4x32, seedToKey } from '../random.js';

/** Options of kid: the subsets and the polynomial kernel (γ xᵀy + coef0)^degree. */
export interface KidOptions {
  /** Random subsets averaged over (default 100). */
  subsets?: number;
  /** Rows per subset, capped at both sets' sizes (default 1000). */
  subsetSize?: number;
  /** Seed of the subset draws (default 0). */
  seed?: number;
  /** The kernel's power (default 3). */
  degree?: number;
  /** Default 1 / d. */
  gamma?: number;
  /** The kernel's constant term (default 1). */
  coef0?: number;
}

/** What kid returns. */
export interface Kid {
  /** The unbiased MMD² averaged over the subsets (near 0 for one distribution; may be negative). */
  mean: number;
  /** Standard deviation over the subsets. */
  std: number;
  /** Subsets drawn. */
  subsets: number;
  /** Rows per subset actually used. */
  subsetSize: number;
  /** Rows of the first set. */
  n1: number;
  /** Rows of the second set. */
  n2: number;
}

/** The first m indices of a Philox-driven Fisher-Yates shuffle of 0..n-1. */
function choose(n: number, m: number, key: [number, number], stream: number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const words = new Uint32Array(4);
  for (let i = 0; i < m; i++) {
    philox4x32(i, stream >>> 0, 0x41d, 0, key[0], key[1], words);
    const j = i + Math.floor((words[0]! / 4294967296) * (n - i));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order.subarray(0, m);
}

/** Kernel values between rows of a and rows of b, cached as a full matrix when it is small enough. */
type PairKernel = (i: number, j: number) => number;

/** Up to 2^24 cached values (128 MB): a 1,000-image held-out set against 10,000 samples fits. */
const CACHE_LIMIT = 1 << 24;

function pairKernel(a: ArrayLike<number>, na: number, b: ArrayLike<number>, nb: number, d: number, k: (dot: number) => number): PairKernel {
  const at = (i: number, j: number) => {
    let dot = 0;
    const ra = i * d, rb = j * d;
    for (let t = 0; t < d; t++) dot += a[ra + t]! * b[rb + t]!;
    return k(dot);
  };
  if (na * nb > CACHE_LIMIT) return at;
  // The subsets revisit the same pairs 100 times over: compute each once.
  const cache = new Float64Array(na * nb).fill(NaN);
  return (i, j) => {
    const c = cache[i * nb + j]!;
    if (c === c) return c;
    const v = at(i, j);
    cache[i * nb + j] = v;
    return v;
  };
}

/** Σ of k over pairs (ia[i], ib[j]); over i < j only, doubled, when `offDiagonal` (a set with itself). */
function kernelSum(kernel: PairKernel, ia: Int32Array, ib: Int32Array, offDiagonal: boolean): number {
  let total = 0;
  for (let i = 0; i < ia.length; i++) {
    const ri = ia[i]!;
    for (let j = offDiagonal ? i + 1 : 0; j < ib.length; j++) total += offDiagonal && ib[j]! < ri ? kernel(ib[j]!, ri) : kernel(ri, ib[j]!);
  }
  return offDiagonal ? 2 * total : total;
}

/** Unbiased MMD² between the rows ix of one set and iy of another (both m rows), from their kernels. */
function mmd2(kxx: PairKernel, kyy: PairKernel, kxy: PairKernel, ix: Int32Array, iy: Int32Array): number {
  const m = ix.length;
  return (kernelSum(kxx, ix, ix, true) + kernelSum(kyy, iy, iy, true)) / (m * (m - 1)) - (2 * kernelSum(kxy, ix, iy, false)) / (m * m);
}

/** Unbiased MMD² between the rows ix of x and iy of y (both m rows). */
export function mmd2Unbiased(x: ArrayLike<number>, ix: Int32Array, y: ArrayLike<number>, iy: Int32Array, d: number, k: (dot: number) => number): number {
  const m = ix.length;
  if (iy.length !== m || m < 2) throw new ArgumentError(`mmd2Unbiased: needs two subsets of one size >= 2, got ${m} and ${iy.length}`);
  const [nx, ny] = [x.length / d, y.length / d];
  return mmd2(pairKernel(x, nx, x, nx, d, k), pairKernel(y, ny, y, ny, d, k), pairKernel(x, nx, y, ny, d, k), ix, iy);
}

/**
 * KID between two feature sets, each row-major rows of `dim` features. Throws ArgumentError when a
 * length is not whole rows or a set has fewer than 2 rows.
 */
export function kid(features1: ArrayLike<number>, features2: ArrayLike<number>, dim: number, opts: KidOptions = {}): Kid {
  const n1 = features1.length / dim;
  const n2 = features2.length / dim;
  if (!Number.isInteger(n1) || !Number.isInteger(n2)) throw new ArgumentError(`kid: ${features1.length} and ${features2.length} values are not rows of ${dim} features`);
  const subsets = opts.subsets ?? 100;
  const m = Math.min(opts.subsetSize ?? 1000, n1, n2);
  if (m < 2) throw new ArgumentError(`kid: needs at least 2 rows in each set, got ${n1} and ${n2}`);
  const gamma = opts.gamma ?? 1 / dim;
  const coef0 = opts.coef0 ?? 1;
  const degree = opts.degree ?? 3;
  const k = degree === 3 ? (dot: number) => { const u = gamma * dot + coef0; return u * u * u; } : (dot: number) => (gamma * dot + coef0) ** degree;
  const key = seedToKey(opts.seed ?? 0);
  const [kxx, kyy, kxy] = [pairKernel(features1, n1, features1, n1, dim, k), pairKernel(features2, n2, features2, n2, dim, k), pairKernel(features1, n1, features2, n2, dim, k)];
  const values: number[] = [];
  for (let s = 0; s < subsets; s++) values.push(mmd2(kxx, kyy, kxy, choose(n1, m, key, 2 * s), choose(n2, m, key, 2 * s + 1)));
  const mean = values.reduce((a, b) => a + b, 0) / subsets;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / subsets);
  return { mean, std, subsets, subsetSize: m, n1, n2 };
}
