/**
 * More of torch.nn.functional's losses, composed from differentiable ops, with the same
 * reductions ('mean' default, 'sum', 'none') as losses.ts.
 */
import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors.js';
import { broadcastShapes, shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, requireFloat } from './core.js';
import { abs, add, clamp, div, eq, exp, le, log, lt, minimum, mul, neg, relu, square, sub, where } from './elementwise.js';
import { xlogy } from './elementwise-extra.js';
import { cosineSimilarity } from './distance.js';
import { applyReduction, checkPair, type Reduction } from './losses.js';
import { sum } from './reduce.js';
import { vectorNorm } from './reduce-extra.js';
import { detach } from './shapeops.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

function positive(op: string, name: string, v: number, allowZero = false): void {
  if (!(allowZero ? v >= 0 : v > 0) || !Number.isFinite(v)) throw new ArgumentError(`${op}: ${name} must be ${allowZero ? 'non-negative' : 'positive'} and finite, got ${v}`);
}

/**
 * 0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = input - target); beta 0 is the
 * L1 loss. @torch torch.nn.functional.smooth_l1_loss
 */
export function smoothL1Loss(input: Tensor, target: Tensor, opts: { reduction?: Reduction; beta?: number } = {}): Tensor {
  checkPair('smoothL1Loss', input, target);
  const beta = opts.beta ?? 1;
  positive('smoothL1Loss', 'beta', beta, true);
  const d = abs(sub(input, target));
  const loss = beta === 0 ? d : where(lt(d, beta), div(mul(square(d), 0.5), beta), sub(d, 0.5 * beta));
  return applyReduction('smoothL1Loss', loss, opts.reduction);
}

/** 0.5 d^2 where |d| <= delta, delta (|d| - 0.5 delta) elsewhere. @torch torch.nn.functional.huber_loss */
export function huberLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction; delta?: number } = {}): Tensor {
  checkPair('huberLoss', input, target);
  const delta = opts.delta ?? 1;
  positive('huberLoss', 'delta', delta);
  const d = abs(sub(input, target));
  const loss = where(lt(d, delta), mul(square(d), 0.5), mul(sub(d, 0.5 * delta), delta));
  return applyReduction('huberLoss', loss, opts.reduction);
}

/**
 * KL(target || input) pointwise for log-probabilities `input`: target (log target - input), or with
 * `logTarget` exp(target) (target - input). 'batchmean' divides the sum by the batch size (the
 * mathematically right KL); 'mean', the default as in PyTorch, divides by every element. @torch torch.nn.functional.kl_div
 */
export function klDiv(input: Tensor, target: Tensor, opts: { reduction?: Reduction | 'batchmean'; logTarget?: boolean } = {}): Tensor {
  checkPair('klDiv', input, target);
  const loss = opts.logTarget ? mul(exp(target), sub(target, input)) : sub(xlogy(target, target), mul(target, input));
  if (opts.reduction === 'batchmean') return input.shape.length === 0 ? sum(loss) : div(sum(loss), input.shape[0]!);
  return applyReduction('klDiv', loss, opts.reduction);
}

/**
 * Negative log-likelihood of a Poisson target: exp(input) - target input with `logInput` (the
 * default), input - target log(input + eps) otherwise; `full` adds Stirling's approximation of
 * log(target!) where target > 1. @torch torch.nn.functional.poisson_nll_loss
 */
export function poissonNllLoss(input: Tensor, target: Tensor, opts: { logInput?: boolean; full?: boolean; eps?: number; reduction?: Reduction } = {}): Tensor {
  checkPair('poissonNllLoss', input, target);
  const eps = opts.eps ?? 1e-8;
  let loss = (opts.logInput ?? true) ? sub(exp(input), mul(target, input)) : sub(input, mul(target, log(add(input, eps))));
  if (opts.full) {
    const small = le(target, 1);
    const safe = where(small, 2, target);
    const stirling = add(sub(mul(safe, log(safe)), safe), mul(log(mul(safe, 2 * Math.PI)), 0.5));
    loss = add(loss, where(small, 0, stirling));
  }
  return applyReduction('poissonNllLoss', loss, opts.reduction);
}

/**
 * Gaussian negative log-likelihood 0.5 (log var + (input - target)^2 / var) (+ 0.5 log 2 pi with
 * `full`). `variance` has input's shape, or it with the last dim 1 or dropped (one variance per
 * row); values below eps are raised to eps without cutting their gradient, as PyTorch.
 * @torch torch.nn.functional.gaussian_nll_loss
 */
export function gaussianNllLoss(input: Tensor, target: Tensor, variance: Tensor, opts: { full?: boolean; eps?: number; reduction?: Reduction } = {}): Tensor {
  const op = 'gaussianNllLoss';
  checkInputs(op, input, target, variance);
  requireFloat(op, input);
  requireFloat(op, target, 'target');
  requireFloat(op, variance, 'var');
  broadcastShapes(op, input.shape, target.shape);
  let v = variance;
  if (v.shape.length === input.shape.length - 1 && shapesEqual(v.shape, input.shape.slice(0, -1))) v = v.reshape([...v.shape, 1]);
  if (!shapesEqual(broadcastShapes(op, input.shape, v.shape), input.shape)) {
    throw new ShapeError(`${op}: var ${fmtShape(variance.shape)} must match the input ${fmtShape(input.shape)}, or it with the last dim 1 or dropped`);
  }
  const eps = opts.eps ?? 1e-6;
  positive(op, 'eps', eps);
  // The clamp acts on the value only: the gradient reaches var unchanged, as torch's in-place no-grad clamp.
  const clamped = add(v, detach(sub(clamp(v, eps), v)));
  let loss = mul(add(log(clamped), div(square(sub(input, target)), clamped)), 0.5);
  if (opts.full) loss = add(loss, HALF_LOG_2PI);
  return applyReduction(op, loss, opts.reduction);
}

function checkLabels(op: string, target: Tensor, shape: readonly number[], what: string): void {
  if (!shapesEqual(broadcastShapes(op, target.shape, shape), [...shape])) {
    throw new ShapeError(`${op}: target ${fmtShape(target.shape)} must broadcast to the ${what} ${fmtShape(shape)}`);
  }
}

/** max(0, -y (x1 - x2) + margin) for labels y in {1, -1}. @torch torch.nn.functional.margin_ranking_loss */
export function marginRankingLoss(x1: Tensor, x2: Tensor, target: Tensor, opts: { margin?: number; reduction?: Reduction } = {}): Tensor {
  const op = 'marginRankingLoss';
  checkInputs(op, x1, x2, target);
  const shape = broadcastShapes(op, x1.shape, x2.shape);
  checkLabels(op, target, shape, 'inputs');
  const loss = relu(add(neg(mul(target, sub(x1, x2))), opts.margin ?? 0));
  return applyReduction(op, loss, opts.reduction);
}

/** x where y = 1, max(0, margin - x) where y = -1 (x: distances). @torch torch.nn.functional.hinge_embedding_loss */
export function hingeEmbeddingLoss(input: Tensor, target: Tensor, opts: { margin?: number; reduction?: Reduction } = {}): Tensor {
  const op = 'hingeEmbeddingLoss';
  checkInputs(op, input, target);
  requireFloat(op, input);
  checkLabels(op, target, input.shape, 'input');
  const margin = opts.margin ?? 1;
  const loss = add(where(eq(target, 1), input, 0), where(eq(target, -1), relu(sub(margin, input)), 0));
  return applyReduction(op, loss, opts.reduction);
}

/**
 * 1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1, the cosine taken along
 * dim 1 of [N, D] inputs (or the only dim of [D]). @torch torch.nn.functional.cosine_embedding_loss
 */
export function cosineEmbeddingLoss(x1: Tensor, x2: Tensor, target: Tensor, opts: { margin?: number; reduction?: Reduction } = {}): Tensor {
  const op = 'cosineEmbeddingLoss';
  checkInputs(op, x1, x2, target);
  if (!shapesEqual(x1.shape, x2.shape) || x1.shape.length < 1 || x1.shape.length > 2) {
    throw new ShapeError(`${op}: inputs must share one shape [N, D] or [D], got ${fmtShape(x1.shape)} and ${fmtShape(x2.shape)}`);
  }
  const rows = x1.shape.length === 2 ? [x1.shape[0]!] : [];
  if (!shapesEqual(target.shape, rows)) throw new ShapeError(`${op}: target must be ${fmtShape(rows)} (one label per row), got ${fmtShape(target.shape)}`);
  if (target.dtype === 'bool') throw new DTypeError(`${op}: target must hold 1 and -1, got a bool tensor`);
  const cos = cosineSimilarity(x1, x2, { axis: -1 });
  const loss = add(where(eq(target, 1), sub(1, cos), 0), where(eq(target, -1), relu(sub(cos, opts.margin ?? 0)), 0));
  return applyReduction(op, loss, opts.reduction);
}

/**
 * max(d(a, p) - d(a, n) + margin, 0) with d the p-norm distance ||x - y + eps||_p along the last
 * dim; `swap` uses min(d(a, n), d(p, n)) (the distance swap). @torch torch.nn.functional.triplet_margin_loss
 */
export function tripletMarginLoss(
  anchor: Tensor, positiveEx: Tensor, negative: Tensor,
  opts: { margin?: number; p?: number; eps?: number; swap?: boolean; reduction?: Reduction } = {},
): Tensor {
  const op = 'tripletMarginLoss';
  checkInputs(op, anchor, positiveEx, negative);
  for (const t of [anchor, positiveEx, negative]) requireFloat(op, t);
  if (!shapesEqual(anchor.shape, positiveEx.shape) || !shapesEqual(anchor.shape, negative.shape) || anchor.shape.length === 0) {
    throw new ShapeError(`${op}: anchor, positive and negative must share one shape, got ${fmtShape(anchor.shape)}, ${fmtShape(positiveEx.shape)}, ${fmtShape(negative.shape)}`);
  }
  const p = opts.p ?? 2;
  positive(op, 'p', p);
  const eps = opts.eps ?? 1e-6;
  const distance = (x: Tensor, y: Tensor) => vectorNorm(add(sub(x, y), eps), p, -1);
  let dNeg = distance(anchor, negative);
  if (opts.swap) dNeg = minimum(dNeg, distance(positiveEx, negative));
  const loss = relu(add(sub(distance(anchor, positiveEx), dNeg), opts.margin ?? 1));
  return applyReduction(op, loss, opts.reduction);
}
