/**
 * Sorting along an axis: `sort`, `argsort` and `topk`. The backend sorts rows of the last axis
 * (stable, NaN largest); another axis is permuted to the end and back. Values are differentiable:
 * their gradient is scattered back to the positions they came from.
 */
import { isFloat } from '../backend/backend.js';
import { record } from '../autograd.js';
import { ArgumentError, fmtShape } from '../errors.js';
import { normAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkFits, checkInputs, named, wrap } from './core.js';
import { zerosLike } from './creation.js';
import { scatterAdd } from './indexing.js';
import { permute, reshape, slice } from './shapeops.js';

/** What `sort` and `topk` return, as PyTorch's (values, indices) pair. */
export interface SortResult {
  /** The sorted (or top-k) values. */
  values: Tensor;
  /** int32 positions along the axis in the input. */
  indices: Tensor;
}

/** Sort rows of the last axis; values get their gradient through the indices. */
function sortLastAxis(x: Tensor, descending: boolean): SortResult {
  const backend = checkInputs('sort', x);
  checkFits('sort', backend, x.shape, x.dtype);
  const [values, indices] = backend.sort(x, descending);
  const v = wrap(backend, values, x.shape, x.dtype);
  const i = wrap(backend, indices, x.shape, 'int32');
  if (isFloat(x.dtype)) {
    // values = takeAlongAxis(x, indices): the gradient goes back to where each value came from.
    record(v, 'sort', [x], (g) => [scatterAdd(zerosLike(x), -1, i, g)]);
  }
  return { values: v, indices: i };
}

/**
 * Sorted values and their source indices along `axis` (default last). Stable: equal values keep
 * their order. NaN sorts as the largest value, as in PyTorch.
 */
export function sort(x: Tensor, axis = -1, opts: { descending?: boolean } = {}): SortResult {
  checkInputs('sort', x);
  if (x.shape.length === 0) return sort(reshape(x, [1]), 0, opts);
  const a = normAxis('sort', axis, x.shape.length, x.shape);
  const last = x.shape.length - 1;
  if (a === last) return sortLastAxis(x, opts.descending ?? false);
  const swap = [...x.shape.keys()];
  swap[a] = last;
  swap[last] = a;
  const sorted = sortLastAxis(permute(x, swap), opts.descending ?? false);
  return { values: permute(sorted.values, swap), indices: permute(sorted.indices, swap) };
}

/** The int32 indices that sort x along `axis`. */
export const argsort = (x: Tensor, axis = -1, opts: { descending?: boolean } = {}): Tensor => named('argsort', () => {
  const { values, indices } = sort(x, axis, opts);
  values.dispose();
  return indices;
});

/** The k largest (or smallest, `largest: false`) values along `axis` and their indices, sorted. */
export function topk(x: Tensor, k: number, axis = -1, opts: { largest?: boolean } = {}): SortResult {
  checkInputs('topk', x);
  const a = normAxis('topk', axis, Math.max(x.shape.length, 1), x.shape);
  const size = x.shape.length === 0 ? 1 : x.shape[a]!;
  if (!Number.isInteger(k) || k < 0 || k > size) {
    throw new ArgumentError(`topk: k must be an integer in [0, ${size}], got ${k} (axis ${axis} of shape ${fmtShape(x.shape)})`);
  }
  const sorted = sort(x, a, { descending: opts.largest ?? true });
  const window = x.shape.map((_, d) => (d === a ? { stop: k } : null));
  return { values: slice(sorted.values, window), indices: slice(sorted.indices, window) };
}
