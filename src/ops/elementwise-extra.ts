/**
 * More elementwise math, each a composition of the backend's primitives (so it runs on every
 * backend) with autograd through the composition or a closed-form rule (define.ts).
 */
import { isFloat } from '../backend/backend.js';
import { ArgumentError, DTypeError, fmtShape } from '../errors.js';
import { broadcastShapes } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, composite, lift, requireTensorLike, resultDType, type TensorLike } from './core.js';
import { customOp, floatArg } from './define.js';
import {
  abs, add, cast, ceil, div, eq, exp, floor, gt, le, log, log1p, logicalAnd, logicalNot, logicalOr, lt, maximum, mod, mul, ne, sigmoid,
  sqrt, square, sub, where,
} from './elementwise.js';

/** Both operands as tensors of one float dtype (int and bool promote to float32). */
function floatPair(op: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  const [ta, tb] = lift(op, a, b);
  broadcastShapes(op, ta.shape, tb.shape);
  const dtype = resultDType(ta, tb) === 'float64' ? 'float64' : 'float32';
  return [cast(ta, dtype), cast(tb, dtype)];
}

/** Base-2 logarithm. @torch torch.log2 */
export const log2 = (x: Tensor): Tensor => composite([x], () => mul(log(floatArg('log2', x)), Math.LOG2E));

/** Base-10 logarithm. @torch torch.log10 */
export const log10 = (x: Tensor): Tensor => composite([x], () => mul(log(floatArg('log10', x)), Math.LOG10E));

/** 2^x. @torch torch.exp2 */
export const exp2 = (x: Tensor): Tensor => composite([x], () => exp(mul(floatArg('exp2', x), Math.LN2)));

/** Rounds toward zero (int and bool tensors are returned as they are); zero gradient. @torch torch.trunc */
export function trunc(x: Tensor): Tensor {
  checkInputs('trunc', x);
  if (!isFloat(x.dtype)) return x;
  return composite([x], () => where(lt(x, 0), ceil(x), floor(x)));
}

/** x - trunc(x), with the sign of x; gradient 1. @torch torch.frac */
export function frac(x: Tensor): Tensor {
  checkInputs('frac', x);
  if (!isFloat(x.dtype)) throw new DTypeError(`frac: input must be floating point, got ${x.dtype} with shape ${fmtShape(x.shape)}`);
  return composite([x], () => sub(x, trunc(x)));
}

/** start + weight (end - start), broadcasting all three; differentiable in each. @torch torch.lerp */
export function lerp(start: Tensor, end: TensorLike, weight: TensorLike): Tensor {
  checkInputs('lerp', start);
  requireTensorLike('lerp', end, 'end');
  requireTensorLike('lerp', weight, 'weight');
  broadcastShapes('lerp', start.shape, ...[end, weight].map((t) => (typeof t === 'object' ? t.shape : [])));
  return composite([start, ...[end, weight].filter((t): t is Tensor => typeof t === 'object')], () => add(start, mul(weight, sub(end, start))));
}

/**
 * C's fmod: the remainder of a / b with the sign of the dividend (torch.remainder / `mod` takes
 * the divisor's). Gradients 1 and -trunc(a / b). @torch torch.fmod
 */
export function fmod(a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = lift('fmod', a, b);
  broadcastShapes('fmod', ta.shape, tb.shape);
  return composite([ta, tb], () => {
    const r = mod(ta, tb);
    // mod and fmod differ exactly where the remainder is non-zero and its sign is not the dividend's.
    const differs = logicalOr(logicalAnd(lt(r, 0), gt(ta, 0)), logicalAnd(gt(r, 0), lt(ta, 0)));
    return where(differs, sub(r, tb), r);
  });
}

/** sqrt(a^2 + b^2) without overflow or underflow in the squares; gradient (a, b) / hypot (0 at the origin). @torch torch.hypot */
export function hypot(a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = floatPair('hypot', a, b);
  return customOp('hypot', [ta, tb], () => {
    const m = maximum(abs(ta), abs(tb));
    const safe = where(eq(m, 0), 1, m);
    const h = mul(m, sqrt(add(square(div(ta, safe)), square(div(tb, safe)))));
    // Either operand infinite makes the result infinite, even with a NaN in the other (C99).
    return where(logicalOr(eq(abs(ta), Infinity), eq(abs(tb), Infinity)), Infinity, h);
  }, (g, h) => {
    const scale = div(g, where(eq(h, 0), 1, h));
    return [mul(scale, ta), mul(scale, tb)];
  });
}

/** log(e^a + e^b) without overflow: max(a, b) + log1p(e^-|a - b|). @torch torch.logaddexp */
export function logaddexp(a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = floatPair('logaddexp', a, b);
  return customOp('logaddexp', [ta, tb], () => {
    // Equal operands (both -inf or both +inf included) give a + log 2, never inf - inf.
    const gap = where(eq(ta, tb), 0, abs(sub(ta, tb)));
    return add(maximum(ta, tb), log1p(exp(mul(gap, -1))));
  }, (g) => {
    const d = sub(ta, tb);
    const safe = where(eq(ta, tb), 0, d);
    return [mul(g, sigmoid(safe)), mul(g, sigmoid(mul(safe, -1)))];
  });
}

/** x log(y), defined as 0 where x = 0 (unless y is NaN), as used by entropies. @torch torch.xlogy */
export function xlogy(x: TensorLike, y: TensorLike): Tensor {
  const [tx, ty] = floatPair('xlogy', x, y);
  return composite([tx, ty], () => {
    const zero = eq(tx, 0);
    const value = where(zero, 0, mul(tx, log(where(zero, 1, ty))));
    return where(isnan(ty), NaN, value);
  });
}

/**
 * True where x is NaN (always false for int and bool). Written as "not x <= inf" because NaN
 * fails every ordered comparison on every backend, while `x != x` is false for NaN on WebGPU
 * (Vulkan's ordered not-equal). @torch torch.isnan
 */
export function isnan(x: Tensor): Tensor {
  checkInputs('isnan', x);
  if (!isFloat(x.dtype)) return ne(x, x);
  return composite([], () => logicalNot(le(x, Infinity)));
}

/** True where x is +inf or -inf. @torch torch.isinf */
export function isinf(x: Tensor): Tensor {
  checkInputs('isinf', x);
  if (!isFloat(x.dtype)) return ne(x, x);
  return eq(abs(x), Infinity);
}

/** True where x is neither NaN nor infinite. @torch torch.isfinite */
export function isfinite(x: Tensor): Tensor {
  checkInputs('isfinite', x);
  if (!isFloat(x.dtype)) return eq(x, x);
  return composite([], () => logicalAnd(gt(x, -Infinity), lt(x, Infinity)));
}

/** The replacements nanToNum makes. */
export interface NanToNumOptions {
  /** Replaces NaN (default 0). */
  nan?: number;
  /** Replaces +inf (default: the dtype's largest finite value). */
  posinf?: number;
  /** Replaces -inf (default: the dtype's most negative finite value). */
  neginf?: number;
}

const FLOAT32_MAX = 3.4028234663852886e38;

/** NaN and infinities replaced by finite numbers; the gradient passes where x was finite. @torch torch.nan_to_num */
export function nanToNum(x: Tensor, opts: NanToNumOptions = {}): Tensor {
  checkInputs('nanToNum', x);
  if (!isFloat(x.dtype)) return x;
  const big = x.dtype === 'float64' ? Number.MAX_VALUE : FLOAT32_MAX;
  const { nan = 0, posinf = big, neginf = -big } = opts;
  for (const [name, v] of [['nan', nan], ['posinf', posinf], ['neginf', neginf]] as const) {
    if (typeof v !== 'number') throw new ArgumentError(`nanToNum: ${name} must be a number, got ${JSON.stringify(v)}`);
  }
  return composite([x], () => {
    const withInf = where(eq(x, Infinity), posinf, x);
    return where(isnan(x), nan, where(eq(x, -Infinity), neginf, withInf));
  });
}
