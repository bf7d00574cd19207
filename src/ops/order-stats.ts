/**
 * Order statistics and binning: `kthvalue`, `median`, `quantile`, `mode`, `searchsorted`,
 * `bucketize` and `histc`. Each is a composite of the sort, gather, comparison and scatter ops, so
 * it runs on every backend and its values get their gradient through `sort` (the gradient of a
 * selected value goes back to the element it came from, as in PyTorch). Where PyTorch returns
 * int64 indices these are int32, like every index here.
 */
import { ArgumentError, ShapeError, fmtShape } from '../errors.js';
import { normAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, describeValue, named } from './core.js';
import { full, zeros } from './creation.js';
import { any } from './reduce-extra.js';
import { isnan, lerp } from './elementwise-extra.js';
import { add, cast, clamp, div, eq, floor, ge, gt, le, logicalAnd, lt, mul, sub, where } from './elementwise.js';
import { scatterAdd, takeAlongAxis } from './indexing.js';
import { argmax, max, min, sum } from './reduce.js';
import { sort } from './sort.js';
import { flatten, permute, reshape, slice, squeeze, stack, unsqueeze } from './shapeops.js';

/** A value along an axis and where it was. */
export interface Selection {
  /** The selected values, x's shape without the axis (kept as size 1 with keepdim). */
  values: Tensor;
  /** int32 positions along the axis in the input. */
  indices: Tensor;
}

/** `x` with axis `a` moved last (the other axes keep their order), and the inverse for a reduced result. */
function alongLast(x: Tensor, a: number): { moved: Tensor; back: (r: Tensor, keepdim: boolean) => Tensor } {
  const rank = x.shape.length;
  const order = [...Array(rank).keys()].filter((d) => d !== a).concat(a);
  const moved = a === rank - 1 ? x : permute(x, order);
  // A result with the moved axis reduced to size 1: drop it, or put it back where it was.
  const back = (r: Tensor, keepdim: boolean) => (keepdim ? unsqueeze(squeeze(r, -1), a) : squeeze(r, -1));
  return { moved, back };
}

/** The axis of a reduction, and x as a vector when no axis is given. */
function reductionAxis(op: string, x: Tensor, dim: number | undefined): { x: Tensor; a: number } {
  if (dim === undefined || x.shape.length === 0) return { x: flatten(x), a: 0 };
  return { x, a: normAxis(op, dim, x.shape.length, x.shape) };
}

function selectAt(op: string, x: Tensor, dim: number, keepdim: boolean, position: (sorted: Tensor, n: number) => Tensor): Selection {
  const a = normAxis(op, dim, Math.max(x.shape.length, 1), x.shape);
  const xx = x.shape.length === 0 ? reshape(x, [1]) : x;
  const n = xx.shape[a]!;
  if (n === 0) throw new ShapeError(`${op}: cannot select from an empty axis ${dim} of shape ${fmtShape(x.shape)}`);
  const { moved, back } = alongLast(xx, a);
  const sorted = sort(moved, -1);
  const at = position(moved, n);
  const out = { values: back(takeAlongAxis(sorted.values, at, -1), keepdim), indices: back(takeAlongAxis(sorted.indices, at, -1), keepdim) };
  return x.shape.length === 0 ? { values: reshape(out.values, []), indices: reshape(out.indices, []) } : out;
}

/** A position along the last axis, the same for every row, as an int32 [..., 1] index. */
const everyRow = (moved: Tensor, position: number) => full([...moved.shape.slice(0, -1), 1], position, { dtype: 'int32', device: moved.device });

/**
 * The k-th smallest value along `dim` (k from 1) and its index; equal values count in their
 * order, so of two equal smallest values the second is `kthvalue(x, 2)`. @torch torch.kthvalue
 */
export function kthvalue(x: Tensor, k: number, dim = -1, keepdim = false): Selection {
  checkInputs('kthvalue', x);
  const size = x.shape.length === 0 ? 1 : x.shape[normAxis('kthvalue', dim, x.shape.length, x.shape)]!;
  if (!Number.isInteger(k) || k < 1 || k > size) {
    throw new ArgumentError(`kthvalue: k must be an integer in [1, ${size}], got ${k} (dim ${dim} of shape ${fmtShape(x.shape)})`);
  }
  return named('kthvalue', () => selectAt('kthvalue', x, dim, keepdim, (moved) => everyRow(moved, k - 1)));
}

/**
 * The median: the lower of the two middle values for an even count (PyTorch's rule, not their
 * mean), NaN where the values hold a NaN. Without `dim`, of all elements (a scalar); with `dim`,
 * the values along it and their indices. @torch torch.median
 */
export function median(x: Tensor): Tensor;
export function median(x: Tensor, dim: number, keepdim?: boolean): Selection;
export function median(x: Tensor, dim?: number, keepdim = false): Tensor | Selection {
  checkInputs('median', x);
  return named('median', () => {
    const lowerMiddle = (moved: Tensor, n: number) => {
      // NaN sorts last: where a row holds one, its first NaN is the median.
      const nans = sum(cast(isnan(moved), 'int32'), -1, true);
      return where(gt(nans, 0), sub(full(nans.shape, n, { dtype: 'int32', device: moved.device }), nans), everyRow(moved, (n - 1) >> 1));
    };
    if (dim === undefined) {
      const flat = flatten(x);
      return selectAt('median', flat, 0, false, lowerMiddle).values;
    }
    return selectAt('median', x, dim, keepdim, lowerMiddle);
  });
}

/** How `quantile` reads between the two values around a fractional position. */
export type QuantileInterpolation = 'linear' | 'lower' | 'higher' | 'nearest' | 'midpoint';

/** Options of quantile and nanquantile. */
export interface QuantileOptions {
  /** Keep the reduced axis as size 1 (default false). */
  keepdim?: boolean;
  /** How a position between two values is read (default 'linear'). */
  interpolation?: QuantileInterpolation;
}

/** Round half to even, as PyTorch's 'nearest' does. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The q-quantiles of x along `dim` (of all elements without it): position q·(n−1) in the sorted
 * values, read by `interpolation` (linear by default). With several q the result has a leading
 * axis of their count. NaN where the values hold a NaN. @torch torch.quantile
 */
export function quantile(x: Tensor, q: number | readonly number[], dim?: number, opts: QuantileOptions = {}): Tensor {
  checkInputs('quantile', x);
  if (typeof q !== 'number' && !(Array.isArray(q) && q.every((v) => typeof v === 'number'))) {
    throw new ArgumentError(`quantile: q must be a number or an array of numbers, got ${describeValue(q)} (input of shape ${fmtShape(x.shape)})`);
  }
  const qs = typeof q === 'number' ? [q] : [...q];
  for (const v of qs) {
    if (!(v >= 0 && v <= 1)) throw new ArgumentError(`quantile: q must be in [0, 1], got ${v} (input of shape ${fmtShape(x.shape)})`);
  }
  const how = opts.interpolation ?? 'linear';
  if (!['linear', 'lower', 'higher', 'nearest', 'midpoint'].includes(how)) {
    throw new ArgumentError(`quantile: interpolation must be linear, lower, higher, nearest or midpoint, got '${how}'`);
  }
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new ArgumentError(`quantile: needs a float tensor, got ${x.dtype} of shape ${fmtShape(x.shape)}`);
  return named('quantile', () => {
    const { x: input, a } = reductionAxis('quantile', x, dim);
    const n = input.shape[a]!;
    if (n === 0) throw new ShapeError(`quantile: cannot take a quantile of an empty axis (shape ${fmtShape(x.shape)})`);
    const keepdim = (opts.keepdim ?? false) && dim !== undefined;
    const { moved, back } = alongLast(input, a);
    const sorted = sort(moved, -1).values;
    const hasNan = any(isnan(moved), -1, true);
    const at = (i: number) => slice(sorted, sorted.shape.map((_, d) => (d === sorted.shape.length - 1 ? { start: i, stop: i + 1 } : null)));
    const one = (v: number) => {
      const pos = v * (n - 1);
      const lo = Math.floor(pos);
      const hi = Math.min(lo + 1, n - 1);
      const weight = { linear: pos - lo, lower: 0, higher: pos > lo ? 1 : 0, nearest: roundHalfEven(pos) > lo ? 1 : 0, midpoint: pos > lo ? 0.5 : 0 }[how];
      const value = weight === 0 ? at(lo) : weight === 1 ? at(hi) : lerp(at(lo), at(hi), weight);
      return back(where(hasNan, NaN, value), keepdim);
    };
    const out = qs.map(one);
    return typeof q === 'number' ? out[0]! : stack(out, 0);
  });
}

/**
 * The most frequent value along `dim` (the smallest of equally frequent ones) and the index of
 * its last occurrence, as PyTorch gives. Counts by comparing every pair in a row: n² work per row.
 * @torch torch.mode
 */
export function mode(x: Tensor, dim = -1, keepdim = false): Selection {
  checkInputs('mode', x);
  return named('mode', () => {
    const a = normAxis('mode', dim, Math.max(x.shape.length, 1), x.shape);
    const xx = x.shape.length === 0 ? reshape(x, [1]) : x;
    if (xx.shape[a] === 0) throw new ShapeError(`mode: cannot take the mode of an empty axis ${dim} of shape ${fmtShape(x.shape)}`);
    const { moved, back } = alongLast(xx, a);
    const sorted = sort(moved, -1);
    const counts = sum(cast(eq(unsqueeze(sorted.values, -1), unsqueeze(sorted.values, -2)), 'int32'), -1);
    // argmax takes the first maximum: in ascending order, the start of the smallest modal run.
    const first = argmax(counts, -1, true);
    const last = sub(add(first, takeAlongAxis(counts, first, -1)), 1);
    const out = { values: back(takeAlongAxis(sorted.values, first, -1), keepdim), indices: back(takeAlongAxis(sorted.indices, last, -1), keepdim) };
    return x.shape.length === 0 ? { values: reshape(out.values, []), indices: reshape(out.indices, []) } : out;
  });
}

/** Options of searchsorted and bucketize. */
export interface SearchOptions {
  /** Return the last position a value could go (after equal boundaries) instead of the first. */
  right?: boolean;
}

/**
 * Where each of `values` would go in `sortedSequence` to keep it sorted (int32): the count of
 * boundaries below it (`right`: at or below it). A 1-D sequence serves every value; an N-D one
 * holds one sorted row per row of `values` (same leading axes). @torch torch.searchsorted
 */
export function searchsorted(sortedSequence: Tensor, values: Tensor, opts: SearchOptions = {}): Tensor {
  checkInputs('searchsorted', sortedSequence, values);
  const s = sortedSequence.shape;
  if (s.length === 0) throw new ShapeError(`searchsorted: sortedSequence must have at least one axis, got shape ${fmtShape(s)}`);
  if (s.length > 1 && (values.shape.length !== s.length || s.slice(0, -1).some((d, i) => d !== values.shape[i]))) {
    throw new ShapeError(`searchsorted: an N-D sortedSequence needs values with the same leading axes: ${fmtShape(s)} vs ${fmtShape(values.shape)}`);
  }
  return named('searchsorted', () => {
    const boundaries = s.length === 1 ? sortedSequence : unsqueeze(sortedSequence, -2);
    const below = (opts.right ? le : lt)(boundaries, unsqueeze(values, -1));
    return sum(cast(below, 'int32'), -1);
  });
}

/**
 * The bucket of each element of `input` among 1-D `boundaries` (int32): i with
 * boundaries[i−1] < x ≤ boundaries[i] (`right`: boundaries[i−1] ≤ x < boundaries[i]). @torch torch.bucketize
 */
export function bucketize(input: Tensor, boundaries: Tensor, opts: SearchOptions = {}): Tensor {
  checkInputs('bucketize', input, boundaries);
  if (boundaries.shape.length !== 1) throw new ShapeError(`bucketize: boundaries must be 1-D, got shape ${fmtShape(boundaries.shape)}`);
  return named('bucketize', () => searchsorted(boundaries, input, opts));
}

/**
 * A histogram of all elements in `bins` equal bins over [min, max] (over the data's own range
 * when min = max, widened by 1 each way if that is one value); elements outside, and NaN, are not
 * counted. Not differentiable. @torch torch.histc
 */
export function histc(x: Tensor, bins = 100, min_ = 0, max_ = 0): Tensor {
  checkInputs('histc', x);
  if (!Number.isInteger(bins) || bins < 1) throw new ArgumentError(`histc: bins must be a positive integer, got ${bins}`);
  if (!(min_ <= max_)) throw new ArgumentError(`histc: min must not exceed max, got min ${min_} and max ${max_}`);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new ArgumentError(`histc: needs a float tensor, got ${x.dtype} of shape ${fmtShape(x.shape)}`);
  return named('histc', () => {
    const flat = flatten(x.detach());
    let lo: Tensor | number = min_;
    let hi: Tensor | number = max_;
    if (min_ === max_ && flat.shape[0]! > 0) {
      const dataLo = min(flat);
      const dataHi = max(flat);
      const same = eq(dataLo, dataHi);
      lo = where(same, sub(dataLo, 1), dataLo);
      hi = where(same, add(dataHi, 1), dataHi);
    } else if (min_ === max_) {
      [lo, hi] = [min_ - 1, max_ + 1];
    }
    const inside = logicalAnd(ge(flat, lo), le(flat, hi));
    const width = typeof lo === 'number' && typeof hi === 'number' ? hi - lo : sub(hi, lo);
    const bin = clamp(floor(mul(div(sub(flat, lo), width), bins)), 0, bins - 1);
    const index = cast(where(inside, bin, 0), 'int32');
    return scatterAdd(zeros([bins], { dtype: x.dtype, device: x.device }), 0, index, cast(inside, x.dtype));
  });
}
