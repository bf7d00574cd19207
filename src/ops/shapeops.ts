/**
 * Shape ops. Storage is always dense, so ops that only regroup dimensions (reshape, view,
 * flatten, squeeze, unsqueeze) share storage for free, and ops that reorder or select elements
 * (permute, expand, slice, cat, pad) run the backend's one strided-copy primitive.
 */
import { record } from '../autograd.js';
import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors.js';
import { checkShape, contiguousStrides, inferReshape, normAxis, numel, requireNumberList, shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkFits, checkInputs, describeValue, named, promoteTypes, shareStorage, wrap } from './core.js';
import { cast } from './elementwise.js';
import { sumToShape } from './reduce.js';
import { padSeparable, type PadMode } from './resample.js';

// ---- views that share storage ----

/**
 * The same values in a new shape, sharing storage (`torch.reshape`); one dimension may be -1 and is
 * inferred. Throws `ShapeError` when the element counts differ.
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  checkInputs('reshape', x);
  const target = inferReshape('reshape', x.shape, shape);
  if (shapesEqual(target, x.shape)) return x;
  const out = shareStorage(x, target, 'reshape');
  return record(out, 'reshape', [x], (g) => [reshape(g, x.shape)]);
}

/** Same as reshape: storage is always contiguous here, so every view is valid. */
export const view = (x: Tensor, shape: readonly number[]): Tensor => named('view', () => reshape(x, shape));

/**
 * Dimensions `startDim..endDim` (inclusive, negative from the end) merged into one
 * (`torch.flatten`); a 0-d tensor becomes shape [1].
 */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  checkInputs('flatten', x);
  if (x.shape.length === 0) return reshape(x, [1]);
  const s = normAxis('flatten', startDim, x.shape.length, x.shape);
  const e = normAxis('flatten', endDim, x.shape.length, x.shape);
  if (s > e) throw new ShapeError(`flatten: startDim ${startDim} comes after endDim ${endDim} for shape ${fmtShape(x.shape)}`);
  const merged = x.shape.slice(s, e + 1).reduce((p, d) => p * d, 1);
  return named('flatten', () => reshape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]));
}

/** Drop size-1 dims (all of them, or those in `axes`; a listed dim that is not size 1 is kept, as in PyTorch). */
export function squeeze(x: Tensor, axes?: number | readonly number[]): Tensor {
  checkInputs('squeeze', x);
  if (axes !== undefined && typeof axes !== 'number') requireNumberList('squeeze', 'axes', axes);
  const list = axes === undefined ? null : (typeof axes === 'number' ? [axes] : axes).map((a) => normAxis('squeeze', a, x.shape.length, x.shape));
  return named('squeeze', () => reshape(x, x.shape.filter((d, i) => !(d === 1 && (list === null || list.includes(i))))));
}

/**
 * A size-1 dimension inserted at `axis` (from -rank-1 to rank), sharing storage
 * (`torch.unsqueeze`).
 */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  checkInputs('unsqueeze', x);
  const a = normAxis('unsqueeze', axis, x.shape.length + 1, x.shape);
  const shape = [...x.shape];
  shape.splice(a, 0, 1);
  return named('unsqueeze', () => reshape(x, shape));
}

/** Same storage, cut from the autograd graph. */
export function detach(x: Tensor): Tensor {
  checkInputs('detach', x);
  return shareStorage(x, x.shape, 'detach');
}

// ---- strided copies ----

/** Where a strided selection of `source` lives: per output dim a stride into the source, plus an offset. */
export interface Window {
  /** Size of each dimension of the selection. */
  shape: number[];
  /** Per selected dimension, the step in source elements. */
  strides: number[];
  /** Where the selection starts in the source, in elements. */
  offset: number;
}

/** Gather a window of `x` into a new dense tensor. The backward scatters into zeros. */
export function gatherWindow(op: string, x: Tensor, w: Window): Tensor {
  const backend = checkInputs(op, x);
  checkFits(op, backend, w.shape, x.dtype);
  const dst = backend.alloc(numel(w.shape), x.dtype);
  if (numel(w.shape) > 0) backend.stridedCopy(x.storage, dst, x.dtype, w.shape, w.strides, w.offset, contiguousStrides(w.shape), 0);
  const out = wrap(backend, dst, w.shape, x.dtype);
  return record(out, op, [x], (g) => [scatterWindow(op + 'Backward', g, x.shape, w, 0)]);
}

/** Write dense `g` into a window of a new tensor of `shape` filled with `fill`. The backward gathers. */
export function scatterWindow(op: string, g: Tensor, shape: readonly number[], w: Window, fill: number): Tensor {
  const backend = checkInputs(op, g);
  checkFits(op, backend, shape, g.dtype);
  const dst = backend.fill(numel(shape), g.dtype, fill);
  if (numel(w.shape) > 0) backend.stridedCopy(g.storage, dst, g.dtype, w.shape, contiguousStrides(w.shape), 0, w.strides, w.offset);
  const out = wrap(backend, dst, shape, g.dtype);
  return record(out, op, [g], (gg) => [gatherWindow(op + 'Backward', gg, w)]);
}

/**
 * Dimensions reordered: output dimension i is input dimension `dims[i]` (`torch.permute`); copies
 * into a dense storage. Throws `ShapeError` when `dims` is not a permutation.
 */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  checkInputs('permute', x);
  requireNumberList('permute', 'dims', dims);
  const axes = dims.map((d) => normAxis('permute', d, x.shape.length, x.shape));
  if (axes.length !== x.shape.length || new Set(axes).size !== axes.length) {
    throw new ShapeError(`permute: dims ${JSON.stringify(dims)} are not a permutation of the ${x.shape.length} dims of shape ${fmtShape(x.shape)}`);
  }
  if (axes.every((a, i) => a === i)) return x;
  const strides = contiguousStrides(x.shape);
  const backend = checkInputs('permute', x);
  const shape = axes.map((a) => x.shape[a]!);
  const dst = backend.alloc(numel(shape), x.dtype);
  backend.stridedCopy(x.storage, dst, x.dtype, shape, axes.map((a) => strides[a]!), 0, contiguousStrides(shape), 0);
  const out = wrap(backend, dst, shape, x.dtype);
  const inverse = new Array<number>(axes.length);
  axes.forEach((a, i) => (inverse[a] = i));
  return record(out, 'permute', [x], (g) => [permute(g, inverse)]);
}

/**
 * Dimensions `dim0` and `dim1` swapped, the last two by default (`torch.transpose`; `x.mT` for
 * matrices).
 */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  checkInputs('transpose', x);
  const r = x.shape.length;
  const a = normAxis('transpose', dim0, r, x.shape);
  const b = normAxis('transpose', dim1, r, x.shape);
  const dims = [...Array(r).keys()];
  dims[a] = b;
  dims[b] = a;
  return named('transpose', () => permute(x, dims));
}

/** Broadcast to `shape` (-1 keeps a dim), materialised. The gradient sums back down. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  checkInputs('expand', x);
  requireNumberList('expand', 'shape', shape);
  const lead = shape.length - x.shape.length;
  if (lead < 0) throw new ShapeError(`expand: target ${fmtShape(shape)} has fewer dims than the input ${fmtShape(x.shape)}`);
  const target = shape.map((d, i) => (d === -1 && i >= lead ? x.shape[i - lead]! : d));
  checkShape('expand', 'shape', target);
  const src = contiguousStrides(x.shape);
  const strides = target.map((d, i) => {
    if (i < lead) return 0;
    const xd = x.shape[i - lead]!;
    if (xd === d) return src[i - lead]!;
    if (xd === 1) return 0;
    throw new ShapeError(`expand: the input ${fmtShape(x.shape)} cannot be expanded to ${fmtShape(shape)} (dim ${i} is ${xd}, not 1)`);
  });
  if (shapesEqual(target, x.shape)) return x;
  const backend = checkInputs('expand', x);
  checkFits('expand', backend, target, x.dtype);
  const dst = backend.alloc(numel(target), x.dtype);
  if (numel(target) > 0) backend.stridedCopy(x.storage, dst, x.dtype, target, strides, 0, contiguousStrides(target), 0);
  const out = wrap(backend, dst, target, x.dtype);
  return record(out, 'expand', [x], (g) => [sumToShape(g, x.shape)]);
}

/** A copy in a storage of its own (`torch.clone`); gradients flow through it. */
export function clone(x: Tensor): Tensor {
  checkInputs('clone', x);
  return gatherWindow('clone', x, { shape: [...x.shape], strides: contiguousStrides(x.shape), offset: 0 });
}

// ---- slicing ----

/** One axis of a slice: an index (drops the dim), a range, or null / undefined for the whole axis. */
export type SliceSpec = number | null | undefined | { start?: number; stop?: number; step?: number };

/**
 * Python-style slicing: `slice(x, [0, {start: 1, step: 2}, null, {stop: -1}])`. Negative indices
 * count from the end; missing trailing axes are taken whole. Steps must be positive.
 */
export function slice(x: Tensor, specs: readonly SliceSpec[]): Tensor {
  checkInputs('slice', x);
  if (!Array.isArray(specs)) throw new ArgumentError(`slice: specs must be an array (one entry per axis), got ${describeValue(specs)}`);
  if (specs.length > x.shape.length) {
    throw new ShapeError(`slice: ${specs.length} indices given for a tensor of shape ${fmtShape(x.shape)}`);
  }
  const strides = contiguousStrides(x.shape);
  const w: Window = { shape: [], strides: [], offset: 0 };
  x.shape.forEach((size, d) => {
    const spec = specs[d];
    if (typeof spec === 'number') {
      const i = spec < 0 ? spec + size : spec;
      if (!Number.isInteger(spec) || i < 0 || i >= size) {
        throw new ShapeError(`slice: index ${spec} is out of range for axis ${d} of size ${size} (shape ${fmtShape(x.shape)})`);
      }
      w.offset += i * strides[d]!;
      return;
    }
    if (spec !== null && spec !== undefined && (typeof spec !== 'object' || Array.isArray(spec))) throw new ArgumentError(`slice: axis ${d}'s spec must be an index, a {start, stop, step} range or null, got ${describeValue(spec)}`);
    for (const key of ['start', 'stop'] as const) {
      const v = spec?.[key];
      if (v !== undefined && !Number.isInteger(v)) throw new ArgumentError(`slice: ${key} must be an integer, got ${v} on axis ${d} (shape ${fmtShape(x.shape)})`);
    }
    const step = spec?.step ?? 1;
    if (!Number.isInteger(step) || step <= 0) throw new ArgumentError(`slice: step must be a positive integer, got ${step} on axis ${d}`);
    const clampIndex = (v: number | undefined, dflt: number) => {
      if (v === undefined) return dflt;
      const i = v < 0 ? v + size : v;
      return Math.min(Math.max(i, 0), size);
    };
    const start = clampIndex(spec?.start, 0);
    const stop = clampIndex(spec?.stop, size);
    w.shape.push(Math.max(0, Math.ceil((stop - start) / step)));
    w.strides.push(strides[d]! * step);
    w.offset += start * strides[d]!;
  });
  if (shapesEqual(w.shape, x.shape)) return x;
  return gatherWindow('slice', x, w);
}

/** The window of dim `axis` from `start` to `start + length` in a tensor of `shape`. */
function axisWindow(shape: readonly number[], axis: number, start: number, length: number): Window {
  const strides = contiguousStrides(shape);
  const out = [...shape];
  out[axis] = length;
  return { shape: out, strides, offset: start * strides[axis]! };
}

/** How `pad` fills the new border. */
export interface PadOptions {
  /** 'constant' fills with `value`; 'reflect' mirrors without repeating the edge; 'replicate' repeats it. */
  mode?: 'constant' | PadMode;
  /** The fill of mode 'constant' (default 0). */
  value?: number;
}

/**
 * Padding in PyTorch's order: [lastLeft, lastRight, secondLastLeft, secondLastRight, ...], with a
 * constant `value` (the default, 0) or a mode.
 */
export function pad(x: Tensor, pads: readonly number[], valueOrOptions: number | PadOptions = 0): Tensor {
  checkInputs('pad', x);
  requireNumberList('pad', 'pads', pads);
  if (typeof valueOrOptions !== 'number' && (valueOrOptions === null || typeof valueOrOptions !== 'object')) {
    throw new ArgumentError(`pad: the third argument must be a fill value or { mode, value }, got ${describeValue(valueOrOptions)}`);
  }
  const { mode = 'constant', value = 0 } = typeof valueOrOptions === 'number' ? { value: valueOrOptions } : valueOrOptions;
  if (typeof value !== 'number') throw new ArgumentError(`pad: the fill value must be a number, got ${describeValue(value)}`);
  if (pads.length % 2 !== 0 || pads.length / 2 > x.shape.length) {
    throw new ShapeError(`pad: expected an even number of pads covering at most ${x.shape.length} dims, got ${JSON.stringify(pads)} for shape ${fmtShape(x.shape)}`);
  }
  if (pads.some((p) => !Number.isInteger(p) || p < 0)) {
    throw new ArgumentError(`pad: pads must be non-negative integers, got ${JSON.stringify(pads)} for shape ${fmtShape(x.shape)}`);
  }
  if (mode !== 'constant') return padSeparable(x, pads, mode);
  const shape = [...x.shape];
  const before = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < pads.length / 2; i++) {
    const d = shape.length - 1 - i;
    before[d] = pads[2 * i]!;
    shape[d]! += pads[2 * i]! + pads[2 * i + 1]!;
  }
  const strides = contiguousStrides(shape);
  const w: Window = { shape: [...x.shape], strides, offset: before.reduce((o, b, d) => o + b * strides[d]!, 0) };
  return scatterWindow('pad', x, shape, w, value);
}

// ---- joining and splitting ----

function requireTensorList(op: string, tensors: unknown): asserts tensors is readonly Tensor[] {
  if (!Array.isArray(tensors)) throw new ArgumentError(`${op}: expected an array of tensors, got ${describeValue(tensors)}`);
  if (tensors.length === 0) throw new ArgumentError(`${op}: expected a non-empty list of tensors`);
  checkInputs(op, ...tensors);
}

/**
 * Tensors joined along an existing `axis` (`torch.cat`); shapes must agree elsewhere, dtypes are
 * promoted. Throws `ShapeError` otherwise.
 */
export function cat(tensors: readonly Tensor[], axis = 0): Tensor {
  requireTensorList('cat', tensors);
  const first = tensors[0]!;
  const backend = checkInputs('cat', ...tensors);
  const a = normAxis('cat', axis, first.shape.length, first.shape);
  for (const t of tensors) {
    if (t.shape.length !== first.shape.length || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new ShapeError(`cat: shapes ${tensors.map((x) => fmtShape(x.shape)).join(', ')} differ outside axis ${axis}`);
    }
  }
  const dtype = tensors.map((t) => t.dtype).reduce(promoteTypes);
  if (dtype === 'float64' && !backend.supportsFloat64) throw new DTypeError(`cat: float64 is not supported on ${backend.name}`);
  const inputs = tensors.map((t) => cast(t, dtype));
  const shape = [...first.shape];
  shape[a] = inputs.reduce((s, t) => s + t.shape[a]!, 0);
  checkFits('cat', backend, shape, dtype);
  const dst = backend.alloc(numel(shape), dtype);
  const windows: Window[] = [];
  let offset = 0;
  for (const t of inputs) {
    const w = axisWindow(shape, a, offset, t.shape[a]!);
    windows.push(w);
    if (t.size > 0) backend.stridedCopy(t.storage, dst, dtype, w.shape, contiguousStrides(w.shape), 0, w.strides, w.offset);
    offset += t.shape[a]!;
  }
  const out = wrap(backend, dst, shape, dtype);
  return record(out, 'cat', inputs, (g) => windows.map((w) => gatherWindow('catBackward', g, w)));
}

/**
 * Same-shape tensors joined along a new `axis` (`torch.stack`). Throws `ShapeError` when shapes
 * differ.
 */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  requireTensorList('stack', tensors);
  const first = tensors[0]!;
  for (const t of tensors) {
    if (!shapesEqual(t.shape, first.shape)) {
      throw new ShapeError(`stack: all tensors must have the same shape, got ${tensors.map((x) => fmtShape(x.shape)).join(', ')}`);
    }
  }
  const a = normAxis('stack', axis, first.shape.length + 1, first.shape);
  return named('stack', () => cat(tensors.map((t) => unsqueeze(t, a)), a));
}

/** Split into pieces of `sizes` (a list) or of `size` each (the last may be smaller), as torch.split. */
export function split(x: Tensor, sizes: number | readonly number[], axis = 0): Tensor[] {
  checkInputs('split', x);
  const a = normAxis('split', axis, x.shape.length, x.shape);
  const total = x.shape[a]!;
  let list: number[];
  if (typeof sizes === 'number') {
    if (!Number.isInteger(sizes) || sizes <= 0) throw new ArgumentError(`split: size must be a positive integer, got ${sizes}`);
    list = [];
    for (let s = 0; s < total; s += sizes) list.push(Math.min(sizes, total - s));
  } else {
    requireNumberList('split', 'sizes', sizes);
    list = [...sizes];
    if (list.reduce((s, v) => s + v, 0) !== total || list.some((v) => v < 0)) {
      throw new ShapeError(`split: sizes ${JSON.stringify(sizes)} do not add up to ${total} (axis ${axis} of shape ${fmtShape(x.shape)})`);
    }
  }
  let start = 0;
  return list.map((len) => {
    const w = axisWindow(x.shape, a, start, len);
    start += len;
    return gatherWindow('split', x, w);
  });
}

/** Split into `chunks` nearly equal pieces (the last may be smaller), as torch.chunk. */
export function chunk(x: Tensor, chunks: number, axis = 0): Tensor[] {
  checkInputs('chunk', x);
  if (!Number.isInteger(chunks) || chunks <= 0) throw new ArgumentError(`chunk: chunks must be a positive integer, got ${chunks}`);
  const a = normAxis('chunk', axis, x.shape.length, x.shape);
  return named('chunk', () => split(x, Math.max(1, Math.ceil(x.shape[a]! / chunks)), a));
}
