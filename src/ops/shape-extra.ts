/**
 * Shape ops beyond shapeops.ts, composed from its primitives (reshape, permute, expand, slice,
 * cat) and index selection, so they run on every backend and their gradients come for free.
 * Reversing an axis is an index gather: the strided copy takes no negative strides.
 */
import { DeviceError, ArgumentError, ShapeError, fmtShape } from '../errors.js';
import { normAxis, numel, requireNumberList } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, composite, describeValue, named, readSync, requireTensor, type CreateOptions } from './core.js';
import { arange, tensor } from './creation.js';
import { mul } from './elementwise.js';
import { indexSelect } from './indexing.js';
import { cat, expand, permute, reshape, slice, stack, transpose, unsqueeze } from './shapeops.js';

const asList = (v: number | readonly number[]): number[] => (typeof v === 'number' ? [v] : [...v]);

function distinctAxes(op: string, x: Tensor, dims: number | readonly number[], rank = x.shape.length): number[] {
  if (typeof dims !== 'number') requireNumberList(op, 'dims', dims);
  const axes = asList(dims).map((d) => normAxis(op, d, rank, x.shape));
  if (new Set(axes).size !== axes.length) throw new ShapeError(`${op}: dims ${JSON.stringify(dims)} repeat an axis of shape ${fmtShape(x.shape)}`);
  return axes;
}

/** x with the order of elements reversed along each of `dims`. @torch torch.flip */
export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  checkInputs('flip', x);
  const axes = distinctAxes('flip', x, dims);
  return composite([x], () => axes.reduce((y, a) => {
    const n = y.shape[a]!;
    return n <= 1 ? y : indexSelect(y, a, arange(n - 1, -1, -1, { device: y.device }));
  }, x));
}

/**
 * Elements shifted by `shifts` along `dims`, wrapping around; with no dims the flattened tensor is
 * rolled and the shape restored. @torch torch.roll
 */
export function roll(x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
  checkInputs('roll', x);
  if (typeof shifts !== 'number') requireNumberList('roll', 'shifts', shifts);
  if (dims !== undefined && typeof dims !== 'number') requireNumberList('roll', 'dims', dims);
  const s = asList(shifts);
  if (s.some((v) => !Number.isInteger(v))) throw new ArgumentError(`roll: shifts must be integers, got ${JSON.stringify(shifts)}`);
  if (dims === undefined) {
    if (s.length !== 1) throw new ArgumentError(`roll: without dims, shifts must be one integer, got ${JSON.stringify(shifts)}`);
    return composite([x], () => reshape(roll(reshape(x, [-1]), s[0]!, 0), x.shape));
  }
  const axes = asList(dims).map((d) => normAxis('roll', d, x.shape.length, x.shape));
  if (axes.length !== s.length) throw new ArgumentError(`roll: ${s.length} shifts for ${axes.length} dims`);
  return composite([x], () => axes.reduce((y, a, i) => {
    const n = y.shape[a]!;
    const k = n === 0 ? 0 : ((s[i]! % n) + n) % n;
    if (k === 0) return y;
    const spec = (start: number, stop: number) => y.shape.map((_, d) => (d === a ? { start, stop } : null));
    return cat([slice(y, spec(n - k, n)), slice(y, spec(0, n - k))], a);
  }, x));
}

/** Rotate by 90 degrees `k` times in the plane of `dims` (from the first towards the second). @torch torch.rot90 */
export function rot90(x: Tensor, k = 1, dims: readonly [number, number] = [0, 1]): Tensor {
  checkInputs('rot90', x);
  if (x.shape.length < 2) throw new ShapeError(`rot90: input must have at least 2 dims, got shape ${fmtShape(x.shape)}`);
  if (!Number.isInteger(k)) throw new ArgumentError(`rot90: k must be an integer, got ${k}`);
  if (dims.length !== 2) throw new ArgumentError(`rot90: dims must be two axes, got ${JSON.stringify(dims)}`);
  const [d0, d1] = distinctAxes('rot90', x, dims) as [number, number];
  switch (((k % 4) + 4) % 4) {
    case 1: return composite([x], () => transpose(flip(x, d1), d0, d1));
    case 2: return flip(x, [d0, d1]);
    case 3: return composite([x], () => transpose(flip(x, d0), d0, d1));
    default: return x;
  }
}

/** x tiled `repeats[i]` times along each dim (repeats may add leading dims). @torch torch.Tensor.repeat */
export function repeat(x: Tensor, repeats: readonly number[]): Tensor {
  checkInputs('repeat', x);
  requireNumberList('repeat', 'repeats', repeats);
  if (repeats.length < x.shape.length) {
    throw new ShapeError(`repeat: ${repeats.length} repeats for a tensor of shape ${fmtShape(x.shape)}; give at least one per dim`);
  }
  if (repeats.some((r) => !Number.isInteger(r) || r < 0)) throw new ArgumentError(`repeat: repeats must be non-negative integers, got ${JSON.stringify(repeats)}`);
  const shape = [...new Array<number>(repeats.length - x.shape.length).fill(1), ...x.shape];
  // [1, s0, 1, s1, ...] broadcast to [r0, s0, r1, s1, ...] and merged pairwise.
  return composite([x], () => {
    const spread = reshape(x, shape.flatMap((d) => [1, d]));
    const tiled = expand(spread, shape.flatMap((d, i) => [repeats[i]!, d]));
    return reshape(tiled, shape.map((d, i) => d * repeats[i]!));
  });
}

/** repeat, with missing leading repeats taken as 1. @torch torch.tile */
export function tile(x: Tensor, reps: readonly number[]): Tensor {
  checkInputs('tile', x);
  requireNumberList('tile', 'reps', reps);
  return named('tile', () => repeat(x, [...new Array<number>(Math.max(0, x.shape.length - reps.length)).fill(1), ...reps]));
}

/**
 * Each slice along `dim` repeated `repeats` times in place (or repeats[i] times for slice i); with
 * no dim the flattened tensor. Tensor repeats set the output shape, so they are read on the host:
 * only on the CPU (pass an array read with `await t.toArray()` elsewhere). @torch torch.repeat_interleave
 */
export function repeatInterleave(x: Tensor, repeats: number | readonly number[] | Tensor, dim?: number): Tensor {
  checkInputs('repeatInterleave', x);
  if (dim === undefined) return composite([x], () => repeatInterleave(reshape(x, [-1]), repeats, 0));
  const a = normAxis('repeatInterleave', dim, x.shape.length, x.shape);
  let counts: number[];
  if (typeof repeats === 'number') counts = [repeats];
  else if (Array.isArray(repeats)) counts = [...(repeats as readonly number[])];
  else {
    requireTensor('repeatInterleave', repeats, 'repeats');
    const t = repeats as Tensor;
    if (t.device !== 'cpu') throw new DeviceError(`repeatInterleave: repeats on ${t.device} decide the output shape; pass them as an array (await repeats.toArray())`);
    counts = Array.from(readSync(t, 'repeatInterleave'), Number);
  }
  if (counts.some((r) => !Number.isInteger(r) || r < 0)) throw new ArgumentError(`repeatInterleave: repeats must be non-negative integers, got ${JSON.stringify(counts)}`);
  const n = x.shape[a]!;
  if (counts.length === 1) {
    const r = counts[0]!;
    return composite([x], () => {
      const spread = unsqueeze(x, a + 1);
      const shape = [...spread.shape];
      shape[a + 1] = r;
      const merged = [...x.shape];
      merged[a] = n * r;
      return reshape(expand(spread, shape), merged);
    });
  }
  if (counts.length !== n) throw new ShapeError(`repeatInterleave: ${counts.length} repeats for dim ${dim} of size ${n} (shape ${fmtShape(x.shape)})`);
  const index = counts.flatMap((r, i) => new Array<number>(r).fill(i));
  return indexSelect(x, a, tensor(Int32Array.from(index), { device: x.device }));
}

/** x broadcast to the shape of `other`. @torch torch.Tensor.expand_as */
export const expandAs = (x: Tensor, other: Tensor): Tensor => {
  checkInputs('expandAs', x, other);
  return named('expandAs', () => expand(x, other.shape));
};

/** Move dims `source` to positions `destination`, the others keeping their order. @torch torch.movedim */
export function movedim(x: Tensor, source: number | readonly number[], destination: number | readonly number[]): Tensor {
  checkInputs('movedim', x);
  const src = distinctAxes('movedim', x, source);
  const dst = distinctAxes('movedim', x, destination);
  if (src.length !== dst.length) throw new ArgumentError(`movedim: ${src.length} source dims but ${dst.length} destinations`);
  const rest = x.shape.map((_, i) => i).filter((i) => !src.includes(i));
  const order = new Array<number>(x.shape.length).fill(-1);
  dst.forEach((d, i) => (order[d] = src[i]!));
  for (let i = 0; i < order.length; i++) if (order[i] === -1) order[i] = rest.shift()!;
  return permute(x, order);
}

/** Dim `dim` split into `sizes` (one may be -1). @torch torch.unflatten */
export function unflatten(x: Tensor, dim: number, sizes: readonly number[]): Tensor {
  checkInputs('unflatten', x);
  const a = normAxis('unflatten', dim, x.shape.length, x.shape);
  const known = sizes.filter((s) => s !== -1).reduce((p, s) => p * s, 1);
  const target = sizes.map((s) => (s === -1 && known > 0 ? x.shape[a]! / known : s));
  if (sizes.filter((s) => s === -1).length > 1 || numel(target) !== x.shape[a] || target.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new ShapeError(`unflatten: sizes ${JSON.stringify(sizes)} do not multiply to dim ${dim} of shape ${fmtShape(x.shape)}`);
  }
  return reshape(x, [...x.shape.slice(0, a), ...target, ...x.shape.slice(a + 1)]);
}

/** The outer product of two 1-D tensors. @torch torch.outer */
export function outer(a: Tensor, b: Tensor): Tensor {
  checkInputs('outer', a, b);
  if (a.shape.length !== 1 || b.shape.length !== 1) throw new ShapeError(`outer: both inputs must be 1-D, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  return composite([a, b], () => mul(reshape(a, [-1, 1]), reshape(b, [1, -1])));
}

/** The Kronecker product: block (i, j) of the result is a[i, j] * b, in any rank. @torch torch.kron */
export function kron(a: Tensor, b: Tensor): Tensor {
  checkInputs('kron', a, b);
  const rank = Math.max(a.shape.length, b.shape.length);
  const pad = (s: readonly number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const sa = pad(a.shape);
  const sb = pad(b.shape);
  return composite([a, b], () => {
    const blocks = mul(reshape(a, sa.flatMap((d) => [d, 1])), reshape(b, sb.flatMap((d) => [1, d])));
    return reshape(blocks, sa.map((d, i) => d * sb[i]!));
  });
}

/**
 * Coordinate grids from 1-D tensors: with 'ij' (the default) output k varies along dim k; 'xy'
 * swaps the first two dims (Cartesian, as NumPy). @torch torch.meshgrid
 */
export function meshgrid(tensors: readonly Tensor[], opts: { indexing?: 'ij' | 'xy' } = {}): Tensor[] {
  if (!Array.isArray(tensors)) throw new ArgumentError(`meshgrid: expected an array of tensors, got ${describeValue(tensors)}`);
  if (tensors.length === 0) throw new ArgumentError('meshgrid: expected at least one tensor');
  checkInputs('meshgrid', ...tensors);
  const indexing = opts.indexing ?? 'ij';
  if (indexing !== 'ij' && indexing !== 'xy') throw new ArgumentError(`meshgrid: indexing must be 'ij' or 'xy', got ${JSON.stringify(indexing)}`);
  for (const t of tensors) if (t.shape.length > 1) throw new ShapeError(`meshgrid: inputs must be 0-D or 1-D, got ${tensors.map((u) => fmtShape(u.shape)).join(', ')}`);
  const sizes = tensors.map((t) => numel(t.shape));
  const swap = indexing === 'xy' && tensors.length >= 2;
  const position = (k: number) => (swap && k < 2 ? 1 - k : k);
  const shape = sizes.map((_, i) => sizes[position(i)]!);
  return tensors.map((t, k) => {
    const along = shape.map((_, d) => (d === position(k) ? sizes[k]! : 1));
    return expand(reshape(t, along), shape);
  });
}

/** Every combination of the elements of 1-D tensors, as rows [N, k] (a 1-D input is returned as is). @torch torch.cartesian_prod */
export function cartesianProd(tensors: readonly Tensor[]): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new ArgumentError(`cartesianProd: expected a non-empty array of tensors, got ${describeValue(tensors)}`);
  checkInputs('cartesianProd', ...tensors);
  if (tensors.length === 1) {
    checkInputs('cartesianProd', tensors[0]!);
    if (tensors[0]!.shape.length !== 1) throw new ShapeError(`cartesianProd: inputs must be 1-D, got ${fmtShape(tensors[0]!.shape)}`);
    return tensors[0]!;
  }
  for (const t of tensors) if (t.shape.length !== 1) throw new ShapeError(`cartesianProd: inputs must be 1-D, got ${tensors.map((u) => fmtShape(u.shape)).join(', ')}`);
  return composite(tensors, () => stack(meshgrid(tensors).map((g) => reshape(g, [-1])), 1));
}

function triangleIndices(op: string, row: number, col: number, offset: number, lower: boolean, opts: CreateOptions): Tensor {
  for (const [name, v] of [['row', row], ['col', col]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new ArgumentError(`${op}: ${name} must be a non-negative integer, got ${v}`);
  }
  if (!Number.isInteger(offset)) throw new ArgumentError(`${op}: offset must be an integer, got ${offset}`);
  const rows: number[] = [];
  const cols: number[] = [];
  for (let i = 0; i < row; i++) {
    for (let j = 0; j < col; j++) {
      if (lower ? j - i <= offset : j - i >= offset) {
        rows.push(i);
        cols.push(j);
      }
    }
  }
  return tensor(Int32Array.from([...rows, ...cols]), { ...opts, dtype: opts.dtype ?? 'int32', shape: [2, rows.length] });
}

/** The [2, N] row and column indices of the lower triangle (col - row <= offset), row by row. @torch torch.tril_indices */
export const trilIndices = (row: number, col: number, offset = 0, opts: CreateOptions = {}): Tensor => triangleIndices('trilIndices', row, col, offset, true, opts);

/** The [2, N] indices of the upper triangle (col - row >= offset). @torch torch.triu_indices */
export const triuIndices = (row: number, col: number, offset = 0, opts: CreateOptions = {}): Tensor => triangleIndices('triuIndices', row, col, offset, false, opts);
