/**
 * Activation functions PyTorch users reach for beyond the fused ones of elementwise.ts, each
 * composed from differentiable ops (so they run on every backend and have backward rules for free).
 */
import { ArgumentError, ShapeError, fmtShape } from '../errors.js';
import { normAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, composite, named, requireFloat } from './core.js';
import { floatArg } from './define.js';
import { abs, add, clamp, div, elu, gt, mul, neg, sigmoid, softplus, tanh, where } from './elementwise.js';
import { reshape, split } from './shapeops.js';
import { softmax } from './softmax.js';

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** scale * elu(x, alpha) with the self-normalising constants. @torch torch.nn.functional.selu */
export const selu = (x: Tensor): Tensor => composite([x], () => mul(elu(floatArg('selu', x), SELU_ALPHA), SELU_SCALE));

/** max(0, x) + min(0, alpha (e^(x / alpha) - 1)) = alpha elu(x / alpha). @torch torch.nn.functional.celu */
export function celu(x: Tensor, alpha = 1): Tensor {
  if (!(alpha !== 0 && Number.isFinite(alpha))) throw new ArgumentError(`celu: alpha must be a non-zero finite number, got ${alpha}`);
  return composite([x], () => mul(elu(div(floatArg('celu', x), alpha)), alpha));
}

/** x tanh(softplus(x)). @torch torch.nn.functional.mish */
export const mish = (x: Tensor): Tensor => composite([x], () => {
  const t = floatArg('mish', x);
  return mul(t, tanh(softplus(t)));
});

/** x clamped to [minVal, maxVal]; the gradient passes inside (boundaries included). @torch torch.nn.functional.hardtanh */
export function hardtanh(x: Tensor, minVal = -1, maxVal = 1): Tensor {
  if (!(minVal <= maxVal)) throw new ArgumentError(`hardtanh: minVal (${minVal}) must not exceed maxVal (${maxVal})`);
  return clamp(floatArg('hardtanh', x), minVal, maxVal);
}

/** min(max(0, x), 6). @torch torch.nn.functional.relu6 */
export const relu6 = (x: Tensor): Tensor => named('relu6', () => hardtanh(x, 0, 6));

/** clamp(x / 6 + 1/2, 0, 1). @torch torch.nn.functional.hardsigmoid */
export const hardsigmoid = (x: Tensor): Tensor => composite([x], () => clamp(add(div(floatArg('hardsigmoid', x), 6), 0.5), 0, 1));

/** x hardsigmoid(x) (MobileNetV3). @torch torch.nn.functional.hardswish */
export const hardswish = (x: Tensor): Tensor => composite([x], () => {
  const t = floatArg('hardswish', x);
  return mul(t, hardsigmoid(t));
});

/** x / (1 + |x|). @torch torch.nn.functional.softsign */
export const softsign = (x: Tensor): Tensor => composite([x], () => {
  const t = floatArg('softsign', x);
  return div(t, add(abs(t), 1));
});

/** log(sigmoid(x)) = -softplus(-x), finite for any x. @torch torch.nn.functional.logsigmoid */
export const logsigmoid = (x: Tensor): Tensor => composite([x], () => neg(softplus(neg(floatArg('logsigmoid', x)))));

/**
 * max(0, x) + weight min(0, x) with a learnable slope: `weight` is [1] (shared) or [C], one per
 * channel of dim 1 of x [N, C, ...]. @torch torch.nn.functional.prelu
 */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  checkInputs('prelu', x, weight);
  requireFloat('prelu', x);
  requireFloat('prelu', weight, 'weight');
  const channels = x.shape.length >= 2 ? x.shape[1]! : 1;
  if (weight.shape.length !== 1 || (weight.shape[0] !== 1 && weight.shape[0] !== channels)) {
    throw new ShapeError(`prelu: weight must be [1] or [${channels}] (the channels of dim 1), got ${fmtShape(weight.shape)} for input ${fmtShape(x.shape)}`);
  }
  return composite([x, weight], () => {
    const slope = weight.shape[0] === 1 || x.shape.length < 2 ? reshape(weight, []) : reshape(weight, [channels, ...x.shape.slice(2).map(() => 1)]);
    return where(gt(x, 0), x, mul(slope, x));
  });
}

/** The gated linear unit: x split in halves a, b along `dim`, a * sigmoid(b). @torch torch.nn.functional.glu */
export function glu(x: Tensor, dim = -1): Tensor {
  checkInputs('glu', x);
  requireFloat('glu', x);
  const a = normAxis('glu', dim, x.shape.length, x.shape);
  if (x.shape[a]! % 2 !== 0) throw new ShapeError(`glu: dim ${dim} of ${fmtShape(x.shape)} must have an even size to split in halves`);
  return composite([x], () => {
    const [first, second] = split(x, x.shape[a]! / 2, a) as [Tensor, Tensor];
    return mul(first, sigmoid(second));
  });
}

/** softmax(-x) along `dim`. @torch torch.nn.functional.softmin */
export const softmin = (x: Tensor, dim = -1): Tensor => named('softmin', () => composite([x], () => softmax(neg(x), dim)));
