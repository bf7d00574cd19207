/**
 * Scans beyond cumsum: cumprod, logcumsumexp, cummax and cummin. Each is a Hillis-Steele scan
 * (log2(n) passes, pass s combining every element with the one s places before it) of
 * differentiable ops, so it runs on every backend and its gradient is exact. cumprod never divides,
 * so zeros are handled exactly; logcumsumexp combines with logaddexp, so no term under- or overflows.
 */
import type { DType } from '../backend/backend.js';
import { noGrad } from '../autograd.js';
import { normAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, composite, requireFloat } from './core.js';
import { arange, full } from './creation.js';
import { cast, gt, logicalAnd, logicalNot, logicalOr, lt, mul, where } from './elementwise.js';
import { isnan, logaddexp } from './elementwise-extra.js';
import { takeAlongAxis } from './indexing.js';
import { expand, pad, reshape, slice } from './shapeops.js';

/** y moved `s` places towards the end of `axis`, the first `s` entries set to `fill`. */
function shift(y: Tensor, axis: number, s: number, fill: number): Tensor {
  const n = y.shape[axis]!;
  const kept = slice(y, y.shape.map((_, d) => (d === axis ? { stop: n - s } : null)));
  const pads = new Array<number>(2 * (y.shape.length - axis)).fill(0);
  pads[2 * (y.shape.length - 1 - axis)] = s;
  return pad(kept, pads, fill);
}

function scan(x: Tensor, axis: number, fill: number, combine: (earlier: Tensor, current: Tensor) => Tensor): Tensor {
  let y = x;
  for (let s = 1; s < x.shape[axis]!; s *= 2) y = combine(shift(y, axis, s, fill), y);
  return y;
}

/** A 0-d input is scanned as a 1-element vector. */
function scanAxis(op: string, x: Tensor, dim: number): number {
  return normAxis(op, dim, Math.max(x.shape.length, 1), x.shape);
}

/** The cumulative product along `dim` (bool counts as int32). @torch torch.cumprod */
export function cumprod(x: Tensor, dim: number): Tensor {
  checkInputs('cumprod', x);
  const a = scanAxis('cumprod', x, dim);
  if (x.shape.length === 0) return x;
  const input = x.dtype === 'bool' ? cast(x, 'int32') : x;
  return composite([x], () => scan(input, a, 1, (earlier, y) => mul(earlier, y)));
}

/** log(cumsum(exp(x))) along `dim`, without overflow or underflow. @torch torch.logcumsumexp */
export function logcumsumexp(x: Tensor, dim: number): Tensor {
  checkInputs('logcumsumexp', x);
  requireFloat('logcumsumexp', x);
  const a = scanAxis('logcumsumexp', x, dim);
  if (x.shape.length === 0) return x;
  return composite([x], () => scan(x, a, -Infinity, logaddexp));
}

const LOWEST: Record<DType, number> = { float32: -Infinity, float64: -Infinity, int32: -2147483648, bool: 0 };
const HIGHEST: Record<DType, number> = { float32: Infinity, float64: Infinity, int32: 2147483647, bool: 1 };

/**
 * The running extremum and the index where it was reached (the latest on ties; NaN, once seen,
 * stays, as PyTorch's). The values are gathered at the indices, so the gradient goes to them.
 */
function cumulativeExtremum(op: 'cummax' | 'cummin', x: Tensor, dim: number): { values: Tensor; indices: Tensor } {
  checkInputs(op, x);
  const a = scanAxis(op, x, dim);
  if (x.shape.length === 0) return { values: x, indices: full([], 0, { dtype: 'int32', device: x.device }) };
  const input = x.dtype === 'bool' ? cast(x, 'int32') : x;
  const better = op === 'cummax' ? gt : lt;
  const fill = op === 'cummax' ? LOWEST[input.dtype] : HIGHEST[input.dtype];
  const indices = noGrad(() => composite([], () => {
    const positions = reshape(arange(x.shape[a]!, undefined, 1, { device: x.device }), x.shape.map((d, i) => (i === a ? d : 1)));
    let v = input;
    let idx = expand(positions, x.shape);
    for (let s = 1; s < x.shape[a]!; s *= 2) {
      const vPrev = shift(v, a, s, fill);
      const iPrev = shift(idx, a, s, 0);
      // The earlier entry wins only if strictly better, or if it is NaN and the current one is not.
      const earlierWins = logicalOr(better(vPrev, v), logicalAnd(isnan(vPrev), logicalNot(isnan(v))));
      v = where(earlierWins, vPrev, v);
      idx = where(earlierWins, iPrev, idx);
    }
    return idx;
  }));
  return { values: takeAlongAxis(input, indices, a), indices };
}

/** The running maximum along `dim` and its indices (int32). @torch torch.cummax */
export const cummax = (x: Tensor, dim: number): { values: Tensor; indices: Tensor } => cumulativeExtremum('cummax', x, dim);

/** The running minimum along `dim` and its indices (int32). @torch torch.cummin */
export const cummin = (x: Tensor, dim: number): { values: Tensor; indices: Tensor } => cumulativeExtremum('cummin', x, dim);
