/**
 * Indexing beyond gather and scatter-add: `indexAdd`, `indexCopy`, `indexFill`, `scatter`,
 * `scatterReduce` (composites of the gather/scatter kernels and masks, on every backend,
 * differentiable where PyTorch's are), and the ops whose result's shape depends on the values:
 * `nonzero`, `argwhere`, `maskedSelect` and `unique`. Those read the values back, so they are async
 * (`await T.nonzero(x)`), where PyTorch's are synchronous: a GPU tensor's values are only ever read
 * asynchronously here.
 */
import { ArgumentError, ShapeError, fmtShape } from '../errors.js';
import { broadcastShapes, normAxis, shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, named } from './core.js';
import { arange, ones, tensor, zeros } from './creation.js';
import { add, div, eq, gt, maximum, minimum, mul, where } from './elementwise.js';
import { indexSelect, requireIndex, scatterAdd } from './indexing.js';
import { max, min, prod } from './reduce.js';
import { expand, flatten, reshape, unsqueeze } from './shapeops.js';

/** A 1-D int32 index along axis `a` of `x`, expanded to `source`'s shape for the scatter kernels. */
function indexAlong(op: string, x: Tensor, a: number, index: Tensor, source: Tensor): Tensor {
  requireIndex(op, index);
  if (index.shape.length !== 1) throw new ShapeError(`${op}: index must be 1-D, got shape ${fmtShape(index.shape)}`);
  const expected = x.shape.map((d, i) => (i === a ? index.shape[0]! : d));
  if (!shapesEqual(source.shape, expected)) {
    throw new ShapeError(`${op}: source must have shape ${fmtShape(expected)} (the input ${fmtShape(x.shape)} with axis ${a} of the index's length ${index.shape[0]}), got ${fmtShape(source.shape)}`);
  }
  return expand(reshape(index, x.shape.map((_, i) => (i === a ? index.shape[0]! : 1))), source.shape);
}

/** How many values a scatter along `a` at `index` lands on each place of x (x's dtype). */
const landings = (x: Tensor, a: number, index: Tensor) =>
  scatterAdd(zeros(x.shape, { dtype: x.dtype, device: x.device }), a, index, ones(index.shape, { dtype: x.dtype, device: x.device }));

/** x with alpha·source added at positions `index` along `dim`; repeated indices accumulate. @torch torch.index_add */
export function indexAdd(x: Tensor, dim: number, index: Tensor, source: Tensor, opts: { alpha?: number } = {}): Tensor {
  checkInputs('indexAdd', x, index, source);
  return named('indexAdd', () => {
    const a = normAxis('indexAdd', dim, x.shape.length, x.shape);
    const full = indexAlong('indexAdd', x, a, index, source);
    return scatterAdd(x, a, full, opts.alpha === undefined ? source : mul(source, opts.alpha));
  });
}

/** x with the slices at positions `index` along `dim` replaced by source's (indices must be distinct). @torch torch.index_copy */
export function indexCopy(x: Tensor, dim: number, index: Tensor, source: Tensor): Tensor {
  checkInputs('indexCopy', x, index, source);
  return named('indexCopy', () => {
    const a = normAxis('indexCopy', dim, x.shape.length, x.shape);
    return scatter(x, a, indexAlong('indexCopy', x, a, index, source), source);
  });
}

/** x with the slices at positions `index` along `dim` set to `value`. @torch torch.index_fill */
export function indexFill(x: Tensor, dim: number, index: Tensor, value: number): Tensor {
  checkInputs('indexFill', x, index);
  return named('indexFill', () => {
    const a = normAxis('indexFill', dim, x.shape.length, x.shape);
    requireIndex('indexFill', index);
    if (index.shape.length !== 1) throw new ShapeError(`indexFill: index must be 1-D, got shape ${fmtShape(index.shape)}`);
    const hits = indexAdd(zeros([x.shape[a]!], { device: x.device }), 0, index, ones(index.shape, { device: x.device }));
    const along = reshape(gt(hits, 0), x.shape.map((d, i) => (i === a ? d : 1)));
    return where(along, value, x);
  });
}

/**
 * torch.scatter with a src tensor, out of place: x with src[..., i, ...] written at
 * x[..., index[..., i, ...], ...] along `dim` (index and src of one shape; with repeated indices
 * the result is one of the written values, as PyTorch leaves it unspecified). @torch torch.scatter
 */
export function scatter(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  checkInputs('scatter', x, index, src);
  return named('scatter', () => {
    const a = normAxis('scatter', dim, x.shape.length, x.shape);
    const written = scatterAdd(zeros(x.shape, { dtype: x.dtype, device: x.device }), a, index, src);
    const count = landings(x, a, index);
    // Where two writes land on one place, their mean stands for "one of them" (exact when they agree).
    return where(gt(count, 0), div(written, maximum(count, 1)), x);
  });
}

/** How scatterReduce combines the values that land on one place. */
export type ScatterReduction = 'sum' | 'prod' | 'mean' | 'amax' | 'amin';

/**
 * x with src reduced into it along `dim` at `index` (same shapes as scatterAdd): sum, prod, mean,
 * amax or amin over the values landing on each place, with x's own value among them unless
 * `includeSelf: false` (places nothing lands on keep x's value). prod, amax and amin compare each
 * place with every source position along `dim`: memory (places × sources) per slice.
 * @torch torch.scatter_reduce
 */
export function scatterReduce(x: Tensor, dim: number, index: Tensor, src: Tensor, reduce: ScatterReduction, opts: { includeSelf?: boolean } = {}): Tensor {
  checkInputs('scatterReduce', x, index, src);
  if (!['sum', 'prod', 'mean', 'amax', 'amin'].includes(reduce)) {
    throw new ArgumentError(`scatterReduce: reduce must be sum, prod, mean, amax or amin, got '${reduce}'`);
  }
  const includeSelf = opts.includeSelf ?? true;
  return named('scatterReduce', () => {
    const a = normAxis('scatterReduce', dim, x.shape.length, x.shape);
    const zero = () => zeros(x.shape, { dtype: x.dtype, device: x.device });
    const count = landings(x, a, index);
    const hit = gt(count, 0);
    if (reduce === 'sum' || reduce === 'mean') {
      const total = scatterAdd(includeSelf ? x : zero(), a, index, src);
      if (reduce === 'sum') return where(hit, total, x);
      return where(hit, div(total, includeSelf ? add(count, 1) : count), x);
    }
    // Dense form: mask[.., p, s, ..] (place p along dim, source s after it) = index[.., s, ..] == p.
    const places = x.shape[a]!;
    const positions = reshape(arange(places, undefined, 1, { dtype: 'int32', device: x.device }), [...x.shape.map((_, i) => (i === a ? places : 1)), 1]);
    const mask = eq(unsqueeze(index, a), positions);
    const neutral = { prod: 1, amax: -Infinity, amin: Infinity }[reduce];
    const masked = where(mask, unsqueeze(src, a), neutral);
    const reduced = reduce === 'prod' ? prod(masked, a + 1) : reduce === 'amax' ? max(masked, a + 1) : min(masked, a + 1);
    if (!includeSelf) return where(hit, reduced, x);
    return where(hit, reduce === 'prod' ? mul(reduced, x) : reduce === 'amax' ? maximum(reduced, x) : minimum(reduced, x), x);
  });
}

/** Host values of a tensor (any device), for the ops whose output shape depends on them. */
async function hostOf(x: Tensor): Promise<ArrayLike<number>> {
  return x.data();
}

/**
 * The int32 coordinates [count, rank] of x's non-zero elements in row-major order. Async: the
 * count is known only after reading x (the arguments are checked before, synchronously). @torch torch.nonzero
 */
export function nonzero(x: Tensor): Promise<Tensor> {
  checkInputs('nonzero', x);
  return (async () => {
    const v = await hostOf(x);
    const rank = x.shape.length;
    const strides = x.shape.map((_, i) => x.shape.slice(i + 1).reduce((p, d) => p * d, 1));
    const coords: number[] = [];
    for (let i = 0; i < v.length; i++) {
      if (v[i] !== 0) for (let d = 0; d < rank; d++) coords.push(Math.floor(i / strides[d]!) % x.shape[d]!);
    }
    return tensor(Int32Array.from(coords), { shape: [coords.length / Math.max(rank, 1), rank], dtype: 'int32', device: x.device });
  })();
}

/** The same as nonzero (NumPy's name). @torch torch.argwhere */
export function argwhere(x: Tensor): Promise<Tensor> {
  checkInputs('argwhere', x);
  return nonzero(x);
}

/**
 * The elements of x where `mask` (bool, broadcast against x) is true, as a 1-D tensor in row-major
 * order; differentiable in x. Async: the count is known only after reading the mask. @torch torch.masked_select
 */
export function maskedSelect(x: Tensor, mask: Tensor): Promise<Tensor> {
  checkInputs('maskedSelect', x, mask);
  if (mask.dtype !== 'bool') throw new ArgumentError(`maskedSelect: mask must be a bool tensor, got ${mask.dtype} with shape ${fmtShape(mask.shape)}`);
  const shape = broadcastShapes('maskedSelect', x.shape, mask.shape);
  return (async () => {
    const m = await hostOf(expand(mask, shape));
    const picked: number[] = [];
    for (let i = 0; i < m.length; i++) if (m[i]) picked.push(i);
    return named('maskedSelect', () => indexSelect(flatten(expand(x, shape)), 0, tensor(Int32Array.from(picked), { dtype: 'int32', device: x.device })));
  })();
}

/** What unique resolves to. */
export interface UniqueResult {
  /** The distinct values, ascending. */
  values: Tensor;
  /** int32, x's shape: the position in `values` of each element of x. */
  inverse: Tensor;
  /** int32: how many elements of x equal each value. */
  counts: Tensor;
}

/**
 * The distinct values of x (flattened), ascending, with the inverse mapping and the counts
 * (torch.unique(sorted=True, return_inverse=True, return_counts=True)); NaNs are each distinct and
 * sort last. Not differentiable. Async: the count is known only after reading x. @torch torch.unique
 */
export function unique(x: Tensor): Promise<UniqueResult> {
  checkInputs('unique', x);
  return (async () => {
    const v = Array.from(await hostOf(x));
    const order = [...v.keys()].sort((i, j) => (Number.isNaN(v[i]!) ? 1 : Number.isNaN(v[j]!) ? -1 : v[i]! - v[j]!) || i - j);
    const values: number[] = [];
    const counts: number[] = [];
    const inverse = new Int32Array(v.length);
    for (const i of order) {
      // NaN != NaN: every NaN starts its own value, as in PyTorch.
      if (values.length === 0 || values[values.length - 1] !== v[i]) {
        values.push(v[i]!);
        counts.push(0);
      }
      counts.push(counts.pop()! + 1);
      inverse[i] = values.length - 1;
    }
    const on = { device: x.device };
    return {
      values: tensor(values, { ...on, dtype: x.dtype, shape: [values.length] }),
      inverse: tensor(inverse, { ...on, dtype: 'int32', shape: x.shape }),
      counts: tensor(Int32Array.from(counts), { ...on, dtype: 'int32', shape: [counts.length] }),
    };
  })();
}
