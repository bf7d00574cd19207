/**
 * Norms and distances: `normalize`, `cosineSimilarity`, `cdist`. Each keeps its gradient finite
 * where a norm or distance is zero (PyTorch gives 0 there): the square root is taken of a clamped
 * or masked value, never of an exact 0 that its derivative would divide by.
 */
import { ArgumentError, ShapeError, fmtShape } from '../errors.js';
import { normAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, requireFloat } from './core.js';
import { abs, add, div, gt, maximum, mul, pow, sqrt, square, sub, where } from './elementwise.js';
import { matmul } from './matmul.js';
import { max, sum } from './reduce.js';
import { transpose, unsqueeze } from './shapeops.js';

/** x^(1/p) with value and gradient 0 at x <= 0 (a zero distance has no direction). */
function safeRoot(x: Tensor, p: number): Tensor {
  const positive = gt(x, 0);
  const safe = where(positive, x, 1);
  return where(positive, p === 2 ? sqrt(safe) : pow(safe, 1 / p), 0);
}

function checkP(op: string, p: number): void {
  if (!(p >= 1)) throw new ArgumentError(`${op}: p must be >= 1 (or Infinity), got ${p}`);
}

/**
 * x / max(||x||_p, eps) along `axis` (default last), as torch.nn.functional.normalize. The norm is
 * computed as (max(sum |x|^p, eps^p))^(1/p), the same value, with no infinite derivative at x = 0.
 */
export function normalize(x: Tensor, opts: { p?: number; axis?: number; eps?: number } = {}): Tensor {
  checkInputs('normalize', x);
  requireFloat('normalize', x);
  const p = opts.p ?? 2;
  const eps = opts.eps ?? 1e-12;
  checkP('normalize', p);
  const axis = normAxis('normalize', opts.axis ?? -1, x.shape.length, x.shape);
  if (p === Infinity) return div(x, maximum(max(abs(x), axis, true), eps));
  const powered = p === 2 ? square(x) : pow(abs(x), p);
  const norm = pow(maximum(sum(powered, axis, true), eps ** p), 1 / p);
  return div(x, norm);
}

/** sum(a b) / sqrt(max(||a||^2 ||b||^2, eps^2)) along `axis` (a and b broadcast), as PyTorch documents it. */
export function cosineSimilarity(a: Tensor, b: Tensor, opts: { axis?: number; eps?: number } = {}): Tensor {
  checkInputs('cosineSimilarity', a, b);
  requireFloat('cosineSimilarity', a, 'a');
  requireFloat('cosineSimilarity', b, 'b');
  const eps = opts.eps ?? 1e-8;
  const dot = mul(a, b);
  const axis = normAxis('cosineSimilarity', opts.axis ?? -1, dot.shape.length, dot.shape);
  const norms = mul(sum(square(a), axis - dot.shape.length), sum(square(b), axis - dot.shape.length));
  return div(sum(dot, axis), sqrt(maximum(norms, eps * eps)));
}

/**
 * Pairwise p-norm distances between the rows of x1 [..., P, M] and x2 [..., R, M]: [..., P, R]
 * (batch dims broadcast). p = 2 uses ||a||^2 + ||b||^2 - 2 a.b (one matmul, as PyTorch does for
 * larger inputs); other p (1, Infinity, any p >= 1) expand the [P, R, M] differences.
 */
export function cdist(x1: Tensor, x2: Tensor, p = 2): Tensor {
  checkInputs('cdist', x1, x2);
  requireFloat('cdist', x1, 'x1');
  requireFloat('cdist', x2, 'x2');
  checkP('cdist', p);
  if (x1.shape.length < 2 || x2.shape.length < 2 || x1.shape.at(-1) !== x2.shape.at(-1)) {
    throw new ShapeError(`cdist: expected x1 [..., P, M] and x2 [..., R, M] with the same M, got ${fmtShape(x1.shape)} and ${fmtShape(x2.shape)}`);
  }
  if (p === 2) {
    const n1 = sum(square(x1), -1, true);
    const n2 = transpose(sum(square(x2), -1, true), -1, -2);
    return safeRoot(sub(add(n1, n2), mul(matmul(x1, transpose(x2, -1, -2)), 2)), 2);
  }
  const diff = abs(sub(unsqueeze(x1, -2), unsqueeze(x2, -3)));
  if (p === Infinity) return max(diff, -1);
  if (p === 1) return sum(diff, -1);
  return safeRoot(sum(pow(diff, p), -1), p);
}
