/**
 * Normalisation: batch, layer, group and instance norm.
 *
 * The statistics come from the fused `moments` primitive (mean and biased variance in one pass);
 * the normalisation itself is composed from differentiable ops, folded into one scale and one
 * shift per statistics slot applied in one fused pass (see scaleShift). The moments' backward
 * (d mean / dx = 1/n, d var / dx = 2 (x - mean) / n) is itself written with ops, so second
 * derivatives through every norm work.
 */
import { noGrad, record } from '../autograd.js';
import { ArgumentError, ShapeError, fmtShape } from '../errors.js';
import { tidy } from '../memory.js';
import { normAxes, numel, reducedShape, requireNumberList, shapesEqual } from '../shape.js';
import type { MomentsVariant } from '../backend/backend.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, composite, requireFloat, wrap } from './core.js';
import { add, div, mul, neg, rsqrt, sub } from './elementwise.js';
import type { Axes } from './reduce.js';
import { conv2d } from './conv.js';
import { expand, reshape } from './shapeops.js';

/**
 * Mean and biased variance of `x` over `axes` (all by default), computed in one fused pass.
 * Differentiable to any order. `variant` forces a kernel (tests, benchmarks; WebGPU only).
 */
export function moments(x: Tensor, axes?: Axes, keepdim = false, opts: { variant?: MomentsVariant } = {}): [Tensor, Tensor] {
  const backend = checkInputs('moments', x);
  requireFloat('moments', x);
  const ax = normAxes('moments', axes, x.shape);
  const count = ax.reduce((n, a) => n * x.shape[a]!, 1);
  if (count === 0) throw new ShapeError(`moments: cannot take statistics over a zero-size dimension (axes ${JSON.stringify(ax)} of ${fmtShape(x.shape)})`);
  const shape = reducedShape(x.shape, ax, true);
  const stats = (): [Tensor, Tensor] => {
    const [meanStorage, varStorage] = backend.moments(x, ax, opts);
    const mean = wrap(backend, meanStorage, shape, x.dtype);
    const variance = wrap(backend, varStorage, shape, x.dtype);
    record(mean, 'moments.mean', [x], (g) => [expand(div(g, count), x.shape)]);
    // The dependence of var on x through the mean cancels (sum of x - mean is 0); using the recorded
    // mean keeps this rule exact when it is differentiated again.
    record(variance, 'moments.var', [x], (g) => [mul(sub(x, mean), mul(g, 2 / count))]);
    return [mean, variance];
  };
  if (keepdim) return stats();
  const dropped = reducedShape(x.shape, ax, false);
  return composite([x], () => stats().map((t) => reshape(t, dropped)) as [Tensor, Tensor]);
}

/**
 * x * scale + shift with one scale and shift per statistics slot (x's shape with 1s on the
 * normalised axes). A per-slot affine map is a 1x1 depthwise convolution with bias, the slots as
 * channels: one fused pass forward, and conv2d's rules give the backward in fused passes too (the
 * scale's gradient is the weight gradient, a fused multiply-and-sum), to any order.
 */
function scaleShift(x: Tensor, scale: Tensor, shift: Tensor): Tensor {
  // Empty (a batch of 0): broadcasting gives the empty result, and the gradients of scale and shift are zeros.
  if (x.size === 0) return add(mul(x, scale), shift);
  const first = Math.max(scale.shape.findIndex((d) => d !== 1), 0);
  const lead = scale.shape.reduce((last, d, i) => (d !== 1 ? i + 1 : last), 0);
  const slots = numel(x.shape.slice(first, lead));
  const view = [numel(x.shape.slice(0, first)), slots, 1, numel(x.shape.slice(lead))];
  const y = conv2d(reshape(x, view), reshape(scale, [slots, 1, 1, 1]), reshape(shift, [slots]), { groups: slots });
  return reshape(y, x.shape);
}

/**
 * (x - mean) / sqrt(var + eps) * weight + bias as x * scale + shift: scale and shift are computed
 * on the small statistics tensors, so the full-size tensor sees one pass. `weight` and `bias`
 * arrive already shaped to broadcast against the statistics.
 */
function normalize(x: Tensor, mean: Tensor, variance: Tensor, eps: number, weight: Tensor | null, bias: Tensor | null): Tensor {
  let scale = rsqrt(add(variance, eps));
  if (weight) scale = mul(scale, weight);
  let shift = neg(mul(mean, scale));
  if (bias) shift = add(shift, bias);
  return scaleShift(x, scale, shift);
}

function checkEps(op: string, eps: number): void {
  if (!(eps >= 0)) throw new ArgumentError(`${op}: eps must be a non-negative number, got ${eps}`);
}

function checkParam(op: string, name: string, t: Tensor | null | undefined, shape: readonly number[], x: Tensor): void {
  if (t && !shapesEqual(t.shape, shape)) {
    throw new ShapeError(`${op}: ${name} must have shape ${fmtShape(shape)} for input ${fmtShape(x.shape)}, got ${fmtShape(t.shape)}`);
  }
}

/** The shape [1, C, 1, ...] that broadcasts a per-channel vector against `x` (channels on axis 1). */
function channelShape(x: Tensor): number[] {
  return x.shape.map((d, i) => (i === 1 ? d : 1));
}

/** Options of `batchNorm`, as `torch.nn.functional.batch_norm`'s. */
export interface BatchNormOptions {
  /** Normalise with the batch statistics and update the running ones (default true). */
  training?: boolean;
  /** PyTorch's convention: running = (1 - momentum) * running + momentum * batch statistic. */
  momentum?: number;
  /** Added to the variance before its square root (default 1e-5). */
  eps?: number;
}

/**
 * Batch normalisation over every axis but the channel axis 1 of x [N, C] or [N, C, ...].
 * In training the batch statistics normalise, and the running mean and (unbiased) variance, when
 * given, are updated in place (not recorded by autograd). In eval the running statistics normalise.
 */
export function batchNorm(
  x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null,
  weight: Tensor | null = null, bias: Tensor | null = null, opts: BatchNormOptions = {},
): Tensor {
  const op = 'batchNorm';
  checkInputs(op, x, ...[runningMean, runningVar, weight, bias].filter((t): t is Tensor => t !== null));
  if (x.shape.length < 2) throw new ShapeError(`${op}: input must be [N, C] or [N, C, ...], got ${fmtShape(x.shape)}`);
  const training = opts.training ?? true;
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  checkEps(op, eps);
  const channels = x.shape[1]!;
  for (const [name, t] of [['runningMean', runningMean], ['runningVar', runningVar], ['weight', weight], ['bias', bias]] as const) {
    checkParam(op, name, t, [channels], x);
  }
  const perChannel = channelShape(x);
  const asChannel = (t: Tensor | null) => t && reshape(t, perChannel);
  const inputs = [x, weight, bias].filter((t): t is Tensor => t !== null);
  if (!training) {
    if (!runningMean || !runningVar) throw new ArgumentError(`${op}: evaluation mode needs runningMean and runningVar (input ${fmtShape(x.shape)})`);
    return composite(inputs, () => normalize(x, asChannel(runningMean)!, asChannel(runningVar)!, eps, asChannel(weight), asChannel(bias)));
  }
  const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const count = x.size / channels;
  if (count <= 1) throw new ShapeError(`${op}: training needs more than one value per channel, got input ${fmtShape(x.shape)}`);
  return composite(inputs, () => {
    const [mean, variance] = moments(x, axes, true);
    // In place and unrecorded, as PyTorch; tidy frees the temporaries of the update.
    tidy(() => noGrad(() => {
      const update = (running: Tensor, batch: Tensor) =>
        running.assign_(add(mul(running, 1 - momentum), mul(reshape(batch, [channels]), momentum)));
      if (runningMean) update(runningMean, mean);
      if (runningVar) update(runningVar, mul(variance, count / (count - 1)));
    }));
    return normalize(x, mean, variance, eps, asChannel(weight), asChannel(bias));
  });
}

/** Layer normalisation over the trailing dims `normalizedShape`, with elementwise weight and bias of that shape. */
export function layerNorm(x: Tensor, normalizedShape: readonly number[], weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  const op = 'layerNorm';
  checkInputs(op, x, ...[weight, bias].filter((t): t is Tensor => t !== null));
  requireNumberList(op, 'normalizedShape', normalizedShape);
  checkEps(op, eps);
  const k = normalizedShape.length;
  if (k === 0 || k > x.shape.length || !shapesEqual(x.shape.slice(-k), normalizedShape)) {
    throw new ShapeError(`${op}: normalizedShape ${fmtShape(normalizedShape)} must be a non-empty suffix of the input shape ${fmtShape(x.shape)}`);
  }
  checkParam(op, 'weight', weight, normalizedShape, x);
  checkParam(op, 'bias', bias, normalizedShape, x);
  const axes = normalizedShape.map((_, i) => x.shape.length - k + i);
  return composite([x, ...[weight, bias].filter((t): t is Tensor => t !== null)], () => {
    const [mean, variance] = moments(x, axes, true);
    // The affine parameters vary along the normalised axes, so they cannot fold into the per-row scale.
    const normalized = normalize(x, mean, variance, eps, null, null);
    const scaled = weight ? mul(normalized, weight) : normalized;
    return bias ? add(scaled, bias) : scaled;
  });
}

/**
 * Group normalisation of x [N, C, ...]: statistics per sample over each group of C / groups
 * channels and all spatial positions; per-channel weight and bias [C].
 */
export function groupNorm(x: Tensor, groups: number, weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  return groupNormNamed('groupNorm', x, groups, weight, bias, eps);
}

/** Instance normalisation of x [N, C, ...]: statistics per sample and channel (group norm with C groups). */
export function instanceNorm(x: Tensor, weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  checkInputs('instanceNorm', x);
  return groupNormNamed('instanceNorm', x, x.shape[1] ?? 0, weight, bias, eps);
}

function groupNormNamed(op: string, x: Tensor, groups: number, weight: Tensor | null, bias: Tensor | null, eps: number): Tensor {
  checkInputs(op, x, ...[weight, bias].filter((t): t is Tensor => t !== null));
  checkEps(op, eps);
  if (x.shape.length < 2) throw new ShapeError(`${op}: input must be [N, C, ...], got ${fmtShape(x.shape)}`);
  const [n, channels] = x.shape as [number, number];
  if (!Number.isInteger(groups) || groups <= 0 || channels % groups !== 0) {
    throw new ShapeError(`${op}: groups (${groups}) must be a positive integer dividing the channels (${channels}) of input ${fmtShape(x.shape)}`);
  }
  checkParam(op, 'weight', weight, [channels], x);
  checkParam(op, 'bias', bias, [channels], x);
  // Per (sample, channel) scale and shift: the group statistics broadcast over the group's channels.
  const perSampleChannel = [n, channels, ...x.shape.slice(2).map(() => 1)];
  const toChannels = (t: Tensor) => reshape(expand(t, [n, groups, channels / groups]), perSampleChannel);
  const asChannel = (t: Tensor | null) => t && reshape(t, channelShape(x));
  return composite([x, ...[weight, bias].filter((t): t is Tensor => t !== null)], () => {
    const [mean, variance] = moments(reshape(x, [n, groups, numel(x.shape.slice(1)) / groups]), 2, true);
    return normalize(x, toChannels(mean), toChannels(variance), eps, asChannel(weight), asChannel(bias));
  });
}
