/**
 * Loss functions with PyTorch's semantics and reductions ('mean' | 'sum' | 'none'), each in its
 * numerically stable form: log-probabilities come from the fused log-softmax kernel, BCE with
 * logits never exponentiates a positive number, and BCE clamps its logs at -100 as PyTorch does.
 */
import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors.js';
import { shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, named, requireFloat } from './core.js';
import { abs, add, cast, div, eq, exp, gt, log, maximum, mul, ne, neg, softplus, square, sub, where } from './elementwise.js';
import { checkIndexRange, indexSelect, takeAlongAxis } from './indexing.js';
import { mean, sum } from './reduce.js';
import { permute, reshape } from './shapeops.js';
import { logSoftmax } from './softmax.js';

/**
 * How a loss reduces its per-element values: their mean (the default), their sum, or none (the
 * unreduced tensor), as PyTorch's `reduction`.
 */
export type Reduction = 'mean' | 'sum' | 'none';

export function applyReduction(op: string, loss: Tensor, reduction: Reduction | undefined): Tensor {
  switch (reduction ?? 'mean') {
    case 'mean': return mean(loss);
    case 'sum': return sum(loss);
    case 'none': return loss;
    default: throw new ArgumentError(`${op}: reduction must be 'mean', 'sum' or 'none', got '${String(reduction)}'`);
  }
}

/** Input and target of the same shape, both floating point. */
export function checkPair(op: string, input: Tensor, target: Tensor): void {
  checkInputs(op, input, target);
  requireFloat(op, input);
  requireFloat(op, target, 'target');
  if (!shapesEqual(input.shape, target.shape)) {
    throw new ShapeError(`${op}: input ${fmtShape(input.shape)} and target ${fmtShape(target.shape)} must have the same shape`);
  }
}

/** Mean (or sum) of squared errors. */
export function mseLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  checkPair('mseLoss', input, target);
  return applyReduction('mseLoss', square(sub(input, target)), opts.reduction);
}

/** Mean (or sum) of absolute errors. */
export function l1Loss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  checkPair('l1Loss', input, target);
  return applyReduction('l1Loss', abs(sub(input, target)), opts.reduction);
}

/** Options of `bce` and `bceWithLogits`, as `torch.nn.functional.binary_cross_entropy`'s. */
export interface BceOptions {
  /** Per-element rescaling, broadcast against the loss. */
  weight?: Tensor;
  /** 'mean' (default), 'sum' or 'none'. */
  reduction?: Reduction;
}

/**
 * Binary cross-entropy on logits: -[pw t log s(x) + (1 - t) log(1 - s(x))], computed as PyTorch
 * does, (1 - t) x + (1 + (pw - 1) t) softplus(-x): finite for any finite x (softplus never
 * exponentiates a positive number), and at x = +-inf the same inf or NaN as PyTorch 2.13 (inf for
 * x = +inf, t = 0; NaN where 0 * inf appears, e.g. x = +inf, t = 1), with gradients s(x) - t that
 * stay finite. `posWeight` (broadcast over the last dim, as PyTorch) weighs the positive term.
 */
export function bceWithLogits(logits: Tensor, target: Tensor, opts: BceOptions & { posWeight?: Tensor } = {}): Tensor {
  checkPair('bceWithLogits', logits, target);
  const negativePart = mul(sub(1, target), logits);
  const positiveWeight = opts.posWeight ? add(mul(sub(opts.posWeight, 1), target), 1) : null;
  let loss = add(negativePart, positiveWeight ? mul(positiveWeight, softplus(neg(logits))) : softplus(neg(logits)));
  if (opts.weight) loss = mul(loss, opts.weight);
  return applyReduction('bceWithLogits', loss, opts.reduction);
}

/** log(p) clamped below at -100, with a zero (not NaN) gradient where p = 0, as PyTorch's BCE. */
function clampedLog(p: Tensor): Tensor {
  const positive = gt(p, 0);
  return where(positive, maximum(log(where(positive, p, 1)), -100), -100);
}

/** Binary cross-entropy on probabilities in [0, 1]; logs are clamped at -100 as in PyTorch. Prefer bceWithLogits. */
export function bce(probs: Tensor, target: Tensor, opts: BceOptions = {}): Tensor {
  checkPair('bce', probs, target);
  let loss = neg(add(mul(target, clampedLog(probs)), mul(sub(1, target), clampedLog(sub(1, probs)))));
  if (opts.weight) loss = mul(loss, opts.weight);
  return applyReduction('bce', loss, opts.reduction);
}

/** Options of `crossEntropy` and `nllLoss`, as `torch.nn.functional.cross_entropy`'s. */
export interface ClassLossOptions {
  /** A rescaling weight per class, [C]. */
  weight?: Tensor;
  /** Class-index targets equal to this are skipped (no loss, no gradient, not counted by 'mean'). Default -100. */
  ignoreIndex?: number;
  /** 'mean' (default; over the non-ignored targets, weighted), 'sum' or 'none'. */
  reduction?: Reduction;
}

/**
 * Scores [N, C, d1, ...] (class axis 1) or [C] as rows [M, C] with the class axis last, so every
 * loss below works on 2-D log-probabilities.
 */
function classesLast(op: string, scores: Tensor): { rows: Tensor; batchShape: number[]; classes: number } {
  if (scores.shape.length === 0) throw new ShapeError(`${op}: input must be [C], [N, C] or [N, C, d1, ...], got a scalar`);
  if (scores.shape.length === 1) return { rows: reshape(scores, [1, scores.shape[0]!]), batchShape: [], classes: scores.shape[0]! };
  const classes = scores.shape[1]!;
  const batchShape = [scores.shape[0]!, ...scores.shape.slice(2)];
  const spatial = Array.from({ length: scores.shape.length - 2 }, (_, i) => i + 2);
  const moved = spatial.length === 0 ? scores : permute(scores, [0, ...spatial, 1]);
  return { rows: reshape(moved, [-1, classes]), batchShape, classes };
}

/** The loss per row from log-probabilities [M, C] and class indices [M], with weights and ignoreIndex applied. */
function pickNll(op: string, logProbs: Tensor, target: Tensor, batchShape: number[], classes: number, opts: ClassLossOptions) {
  const ignoreIndex = opts.ignoreIndex ?? -100;
  checkTargets(op, target, batchShape, classes, opts);
  const flat = reshape(target, [-1]);
  const valid = ne(flat, ignoreIndex);
  const safeTarget = where(valid, flat, 0);
  const picked = reshape(takeAlongAxis(logProbs, reshape(safeTarget, [-1, 1]), 1), [-1]);
  let weight = cast(valid, logProbs.dtype);
  if (opts.weight) weight = mul(weight, indexSelect(opts.weight, 0, safeTarget));
  return { nll: mul(neg(picked), weight), weight, valid };
}

function checkTargets(op: string, target: Tensor, batchShape: number[], classes: number, opts: ClassLossOptions): void {
  if (!shapesEqual(target.shape, batchShape)) {
    throw new ShapeError(`${op}: class-index target ${fmtShape(target.shape)} must have the input's shape without the class axis, ${fmtShape(batchShape)}`);
  }
  checkIndexRange(op, target, classes, 'class index', opts.ignoreIndex ?? -100);
}

function checkClassWeight(op: string, weight: Tensor | undefined, classes: number): void {
  if (weight && !shapesEqual(weight.shape, [classes])) {
    throw new ShapeError(`${op}: weight must be [${classes}] (one per class), got ${fmtShape(weight.shape)}`);
  }
}

/** 'mean' divides by the total weight of the non-ignored targets, as PyTorch does. */
function reduceWeighted(op: string, loss: Tensor, weight: Tensor, batchShape: number[], reduction: Reduction | undefined): Tensor {
  if ((reduction ?? 'mean') === 'mean') {
    // Every target ignored: a NaN loss with zero gradients (as PyTorch), so such a batch makes a
    // zero step instead of NaN weights; 0 / 0 would give NaN gradients too.
    const total = sum(weight);
    const none = eq(total, 0);
    return where(none, NaN, div(sum(loss), where(none, 1, total)));
  }
  return applyReduction(op, reshape(loss, batchShape), reduction);
}

function requireClassIndices(op: string, target: Tensor): void {
  if (target.dtype !== 'int32') {
    throw new DTypeError(`${op}: target must hold int32 class indices${op === 'crossEntropy' ? ' or float class probabilities' : ''}, got ${target.dtype} with shape ${fmtShape(target.shape)}`);
  }
}

/**
 * Negative log-likelihood of class-index targets (int32 [N, d1, ...]) under log-probabilities
 * [N, C, d1, ...] (or [C] with a 0-d target).
 */
export function nllLoss(logProbs: Tensor, target: Tensor, opts: ClassLossOptions = {}): Tensor {
  checkInputs('nllLoss', logProbs, target);
  requireFloat('nllLoss', logProbs);
  requireClassIndices('nllLoss', target);
  const { rows, batchShape, classes } = classesLast('nllLoss', logProbs);
  checkClassWeight('nllLoss', opts.weight, classes);
  const { nll, weight } = pickNll('nllLoss', rows, target, batchShape, classes, opts);
  return reduceWeighted('nllLoss', nll, weight, batchShape, opts.reduction);
}

/**
 * Cross-entropy between logits [N, C, d1, ...] (or [C]) and either int32 class indices
 * [N, d1, ...] or float class probabilities shaped like the logits, as torch.nn.functional.cross_entropy:
 * - `labelSmoothing` e mixes the target with the uniform distribution: (1 - e) nll + e mean_c(-log p_c);
 * - `ignoreIndex` (class indices only) skips targets, and 'mean' divides by the weight of the rest;
 * - with probability targets 'mean' averages over the N x d1 x ... positions.
 * Stable for logits of any magnitude (fused log-softmax).
 */
export function crossEntropy(logits: Tensor, target: Tensor, opts: ClassLossOptions & { labelSmoothing?: number } = {}): Tensor {
  return named('crossEntropy', () => crossEntropyChecked(logits, target, opts));
}

function crossEntropyChecked(logits: Tensor, target: Tensor, opts: ClassLossOptions & { labelSmoothing?: number }): Tensor {
  checkInputs('crossEntropy', logits, target);
  requireFloat('crossEntropy', logits);
  const smoothing = opts.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing <= 1)) throw new ArgumentError(`crossEntropy: labelSmoothing must be in [0, 1], got ${smoothing}`);
  const { rows, batchShape, classes } = classesLast('crossEntropy', logits);
  checkClassWeight('crossEntropy', opts.weight, classes);
  if (target.dtype !== 'float32' && target.dtype !== 'float64') {
    // Every check of the targets before any kernel is enqueued.
    requireClassIndices('crossEntropy', target);
    checkTargets('crossEntropy', target, batchShape, classes, opts);
  }
  const logProbs = logSoftmax(rows, -1);
  const classWeight = opts.weight && reshape(opts.weight, [1, classes]);
  const weighted = (t: Tensor) => (classWeight ? mul(t, classWeight) : t);

  if (target.dtype === 'float32' || target.dtype === 'float64') {
    if (!shapesEqual(target.shape, logits.shape)) {
      throw new ShapeError(`crossEntropy: probability target ${fmtShape(target.shape)} must have the logits' shape ${fmtShape(logits.shape)}`);
    }
    let probs = classesLast('crossEntropy', target).rows;
    if (smoothing > 0) probs = add(mul(probs, 1 - smoothing), smoothing / classes);
    const loss = neg(sum(weighted(mul(logProbs, probs)), -1));
    return applyReduction('crossEntropy', reshape(loss, batchShape), opts.reduction);
  }

  requireClassIndices('crossEntropy', target);
  const { nll, weight, valid } = pickNll('crossEntropy', logProbs, target, batchShape, classes, opts);
  let loss = nll;
  if (smoothing > 0) {
    const uniform = where(valid, neg(sum(weighted(logProbs), -1)), 0);
    loss = add(mul(nll, 1 - smoothing), mul(uniform, smoothing / classes));
  }
  return reduceWeighted('crossEntropy', loss, weight, batchShape, opts.reduction);
}

/**
 * KL(N(mu, exp(logvar)) || N(0, I)) for a VAE's diagonal Gaussian posterior:
 * -0.5 sum(1 + logvar - mu^2 - exp(logvar)) summed over every axis but the first (the features)
 * and averaged over the first (the batch). A 1-D input is one sample (plain sum).
 */
export function klDivGaussian(mu: Tensor, logvar: Tensor): Tensor {
  checkPair('klDivGaussian', mu, logvar);
  const perElement = mul(sub(add(logvar, 1), add(square(mu), exp(logvar))), -0.5);
  if (mu.shape.length <= 1) return sum(perElement);
  const features = [...mu.shape.keys()].slice(1);
  return mean(sum(perElement, features));
}
