/**
 * Fréchet distance between Gaussians fitted to two feature sets (Heusel et al., 2017):
 *
 *   FID = ‖μ1 − μ2‖² + Tr(Σ1) + Tr(Σ2) − 2 Tr((Σ1 Σ2)^½)
 *
 * Σ1 Σ2 is not symmetric, but it is similar to S = √Σ1 Σ2 √Σ1, which is symmetric positive
 * semi-definite and has the same eigenvalues; so Tr((Σ1 Σ2)^½) = Σ √λ_i(S), from a float64
 * symmetric eigensolver, with eigenvalues that rounding pushed slightly below zero clamped to 0.
 * This is the value scipy.linalg.sqrtm gives in the reference code (pytorch-fid), without its
 * complex intermediate results.
 */
import { ArgumentError } from '../errors.js';
import { eigh, matmul, meanCov, sqrtPsd } from './linalg.js';

/** A Gaussian fitted to feature rows (gaussianStats), FID's summary of one image set. */
export interface GaussianStats {
  /** [dim] feature means. */
  mean: Float64Array;
  /** [dim × dim] covariance, row-major (divisor n − 1). */
  cov: Float64Array;
  /** Features per row. */
  dim: number;
  /** Rows it was fitted to. */
  n: number;
}

/** Mean and covariance of n rows of d features. */
export function gaussianStats(features: ArrayLike<number>, dim: number): GaussianStats {
  const n = features.length / dim;
  if (!Number.isInteger(n)) throw new ArgumentError(`gaussianStats: ${features.length} values are not rows of ${dim} features`);
  const { mean, cov } = meanCov(features, n, dim);
  return { mean, cov, dim, n };
}

/** Tr((Σ1 Σ2)^½) through the symmetric form √Σ1 Σ2 √Σ1. */
export function traceSqrtProduct(cov1: ArrayLike<number>, cov2: ArrayLike<number>, d: number): number {
  const root = sqrtPsd(cov1, d);
  const s = matmul(matmul(root, cov2, d, d, d), root, d, d, d);
  // Exactly symmetric, so the eigensolver sees no rounding asymmetry.
  for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) s[i * d + j] = s[j * d + i] = (s[i * d + j]! + s[j * d + i]!) / 2;
  const { values } = eigh(s, d);
  let tr = 0;
  for (const l of values) tr += Math.sqrt(Math.max(l, 0));
  return tr;
}

/** FID between two fitted Gaussians (≥ 0; 0 for identical statistics). Throws ArgumentError when their dims differ. */
export function frechetDistance(a: GaussianStats, b: GaussianStats): number {
  if (a.dim !== b.dim) throw new ArgumentError(`frechetDistance: feature dimensions differ (${a.dim} vs ${b.dim})`);
  const d = a.dim;
  let meanTerm = 0;
  let traces = 0;
  for (let i = 0; i < d; i++) {
    meanTerm += (a.mean[i]! - b.mean[i]!) ** 2;
    traces += a.cov[i * d + i]! + b.cov[i * d + i]!;
  }
  return meanTerm + traces - 2 * traceSqrtProduct(a.cov, b.cov, d);
}

/** FID between two feature sets (rows of `dim`), with the sizes it was measured on. */
export function fid(features1: ArrayLike<number>, features2: ArrayLike<number>, dim: number): { value: number; n1: number; n2: number } {
  const a = gaussianStats(features1, dim);
  const b = gaussianStats(features2, dim);
  return { value: frechetDistance(a, b), n1: a.n, n2: b.n };
}
