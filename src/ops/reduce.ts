/**
 * Reductions over any set of axes, with `keepdim`. The backend always reduces to the keepdim
 * shape; dropping the size-1 dims afterwards is a free reshape.
 */
import type { ArgReduceOp, ReduceOp } from '../backend/backend.js';
import { isFloat } from '../backend/backend.js';
import { noGrad, record } from '../autograd.js';
import { DTypeError, ShapeError, fmtShape } from '../errors.js';
import { normAxes, normAxis, reducedShape, requireNumberList, shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, composite, named, wrap } from './core.js';
import { abs, add, cast, div, eq, exp, log, mul, sqrt, square, sub, where } from './elementwise.js';
import { expand, pad, permute, reshape, slice } from './shapeops.js';

/** One axis or a list of axes (negative ones count from the end); omitted means every axis. */
export type Axes = number | readonly number[];

function reduceRaw(op: ReduceOp, x: Tensor, axes: readonly number[]): Tensor {
  const backend = checkInputs(op, x);
  const outDType = x.dtype === 'bool' && (op === 'sum' || op === 'prod') ? 'int32' : x.dtype;
  return wrap(backend, backend.reduce(op, x, axes), reducedShape(x.shape, axes, true), outDType);
}

function finish(out: Tensor, x: Tensor, axes: readonly number[], keepdim: boolean): Tensor {
  return keepdim ? out : reshape(out, reducedShape(x.shape, axes, false));
}

function checkNonEmpty(op: string, x: Tensor, axes: readonly number[]): void {
  if (axes.some((a) => x.shape[a] === 0)) {
    throw new ShapeError(`${op}: cannot reduce over a zero-size dimension (axes ${JSON.stringify(axes)} of shape ${fmtShape(x.shape)})`);
  }
}

/**
 * The sum over `axes` (all by default), as `torch.sum(x, dim, keepdim)`; bool sums to int32.
 * `keepdim` keeps the reduced dimensions with size 1. Throws `ShapeError` for an axis out of range or repeated.
 */
export function sum(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  checkInputs('sum', x);
  const ax = normAxes('sum', axes, x.shape);
  if (ax.length === 0) return x;
  const out = reduceRaw('sum', x, ax);
  if (isFloat(x.dtype)) record(out, 'sum', [x], (g) => [expand(g, x.shape)]);
  return finish(out, x, ax, keepdim);
}

/**
 * The mean over `axes` (all by default), as `torch.mean(x, dim, keepdim)`. Float tensors only
 * (`DTypeError` otherwise: cast first).
 */
export function mean(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  checkInputs('mean', x);
  if (!isFloat(x.dtype)) throw new DTypeError(`mean: input must be floating point, got ${x.dtype} with shape ${fmtShape(x.shape)}; cast it first`);
  const ax = normAxes('mean', axes, x.shape);
  const count = ax.reduce((n, a) => n * x.shape[a]!, 1);
  return composite([x], () => div(sum(x, ax, keepdim), count));
}

/** Variance with Bessel's correction by default (`correction: 1`), as torch.var. */
export function variance(x: Tensor, axes?: Axes, opts: { correction?: number; keepdim?: boolean } = {}): Tensor {
  checkInputs('variance', x);
  const ax = normAxes('variance', axes, x.shape);
  const count = ax.reduce((n, a) => n * x.shape[a]!, 1);
  return composite([x], () => {
    const centred = sub(x, mean(x, ax, true));
    return div(sum(square(centred), ax, opts.keepdim ?? false), Math.max(count - (opts.correction ?? 1), 0));
  });
}

/**
 * The standard deviation over `axes` (all by default), with Bessel's correction by default
 * (`correction: 1`), as `torch.std`.
 */
export function std(x: Tensor, axes?: Axes, opts: { correction?: number; keepdim?: boolean } = {}): Tensor {
  checkInputs('std', x);
  return named('std', () => composite([x], () => sqrt(variance(x, axes, opts))));
}

/** Max/min: ties share the gradient evenly (as torch.amax). */
function extremum(op: 'max' | 'min', x: Tensor, axes: Axes | undefined, keepdim: boolean): Tensor {
  checkInputs(op, x);
  const ax = normAxes(op, axes, x.shape);
  checkNonEmpty(op, x, ax);
  if (ax.length === 0) return x;
  const out = reduceRaw(op, x, ax);
  if (isFloat(x.dtype)) {
    record(out, op, [x], (g) => {
      const hit = cast(eq(x, out), g.dtype);
      return [div(mul(hit, g), sum(hit, ax, true))];
    });
  }
  return finish(out, x, ax, keepdim);
}

/**
 * The maximum over `axes` (all by default), as `torch.amax(x, dim, keepdim)`; ties share the
 * gradient evenly. Throws `ShapeError` when reducing over a zero-size dimension.
 */
export const max = (x: Tensor, axes?: Axes, keepdim = false): Tensor => extremum('max', x, axes, keepdim);
/**
 * The minimum over `axes` (all by default), as `torch.amin(x, dim, keepdim)`; ties share the
 * gradient evenly. Throws `ShapeError` when reducing over a zero-size dimension.
 */
export const min = (x: Tensor, axes?: Axes, keepdim = false): Tensor => extremum('min', x, axes, keepdim);

/**
 * Product. The gradient of each entry is g times the product of the other entries of its slice,
 * computed without dividing by x (as torch's prod_safe_zeros_backward), so it is right where the
 * slice holds zeros: one zero gets the product of the rest and the others get 0; with two or more
 * zeros every entry gets 0. The rule is built from differentiable ops, so second derivatives are
 * right too.
 */
export function prod(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  checkInputs('prod', x);
  const ax = normAxes('prod', axes, x.shape);
  if (ax.length === 0) return x;
  const out = reduceRaw('prod', x, ax);
  if (isFloat(x.dtype)) record(out, 'prod', [x], (g) => [mul(g, productOfOthers(x, ax))]);
  return finish(out, x, ax, keepdim);
}

/**
 * For every entry of `x`, the product of the other entries of its slice over `axes`: the reduced
 * axes are moved last and flattened to one axis of length n, where it is the exclusive cumulative
 * product from the left times the one from the right.
 */
function productOfOthers(x: Tensor, axes: readonly number[]): Tensor {
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const order = [...kept, ...axes];
  const moved = permute(x, order);
  const rows = kept.reduce((n, a) => n * x.shape[a]!, 1);
  const n = axes.reduce((m, a) => m * x.shape[a]!, 1);
  const flat = reshape(moved, [rows, n]);
  const others = reshape(mul(exclusiveCumprod(flat, 'left'), exclusiveCumprod(flat, 'right')), moved.shape);
  const inverse = new Array<number>(order.length);
  order.forEach((a, i) => (inverse[a] = i));
  return permute(others, inverse);
}

/**
 * Exclusive cumulative product along the last axis of a [rows, n] tensor, from the left
 * (out[i] = prod of x[j], j < i) or from the right (j > i); the empty product is 1. A log-depth
 * Hillis-Steele scan of shifted multiplies: no division, so zeros are exact, and differentiable.
 */
function exclusiveCumprod(x: Tensor, from: 'left' | 'right'): Tensor {
  const n = x.shape[1]!;
  // Shift by s towards the end of the scan, filling the vacated entries with 1.
  const shift = (y: Tensor, s: number): Tensor => (from === 'left'
    ? pad(slice(y, [null, { stop: n - s }]), [s, 0], 1)
    : pad(slice(y, [null, { start: s }]), [0, s], 1));
  if (n === 0) return x;
  let y = shift(x, 1);
  for (let s = 1; s < n - 1; s *= 2) y = mul(y, shift(y, s));
  return y;
}

/** log(sum(exp(x))) computed stably by factoring out the max (which is constant for the gradient). */
export function logsumexp(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  checkInputs('logsumexp', x);
  if (!isFloat(x.dtype)) throw new DTypeError(`logsumexp: input must be floating point, got ${x.dtype} with shape ${fmtShape(x.shape)}`);
  const ax = normAxes('logsumexp', axes, x.shape);
  checkNonEmpty('logsumexp', x, ax);
  // A row whose max is infinite is shifted by 0: all -inf keeps exp(x - m) = 0 instead of NaN,
  // and +inf gives +inf (as torch.logsumexp) instead of inf - inf = NaN.
  return composite([x], () => {
    const shift = noGrad(() => {
      const m = max(x, ax, true);
      return where(eq(abs(m), Infinity), 0, m);
    });
    return finish(add(log(sum(exp(sub(x, shift)), ax, true)), shift), x, ax, keepdim);
  });
}

function argReduce(op: ArgReduceOp, x: Tensor, axis: number | undefined, keepdim: boolean): Tensor {
  const backend = checkInputs(op, x);
  if (axis === undefined) return argReduce(op, reshape(x, [-1]), 0, false);
  const a = normAxis(op, axis, x.shape.length, x.shape);
  checkNonEmpty(op, x, [a]);
  const out = wrap(backend, backend.argReduce(op, x, a), reducedShape(x.shape, [a], true), 'int32');
  return finish(out, x, [a], keepdim);
}

/** Index of the largest value along `axis` (of the flattened tensor when omitted); first index on ties. */
export const argmax = (x: Tensor, axis?: number, keepdim = false): Tensor => argReduce('argmax', x, axis, keepdim);
/**
 * Index (int32) of the smallest value along `axis` (of the flattened tensor when omitted); first
 * index on ties. As `torch.argmin`.
 */
export const argmin = (x: Tensor, axis?: number, keepdim = false): Tensor => argReduce('argmin', x, axis, keepdim);

/** Sum a broadcast gradient back down to `shape` (the adjoint of broadcasting). */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  checkInputs('sumToShape', g);
  requireNumberList('sumToShape', 'shape', shape);
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.shape.length - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.shape.length; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const summed = axes.length ? sum(g, axes, true) : g;
  return reshape(summed, shape);
}
