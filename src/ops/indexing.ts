/**
 * Indexing with int32 index tensors: take-along-axis gathers, their adjoint scatter-add,
 * `indexSelect`, `embedding` and `oneHot`.
 *
 * Everything is built on two differentiable primitives that are each other's gradient: gathering
 * along an axis (backward: scatter-add into zeros) and scatter-adding along an axis (backward:
 * gather), so second derivatives flow through indexing too.
 *
 * Index range: on the CPU and wasm backends, indices are checked before any work and a bad one
 * throws an ArgumentError naming the op. On WebGPU a host check would need a readback inside the
 * step, so the check runs on the device and its ArgumentError is raised at the next read or sync
 * (a device-side assert, as in PyTorch on CUDA); the op itself still returns, having gathered 0
 * for a bad index (a zero row for embeddings) and scattered nothing. Nothing ever reads or writes
 * out of bounds.
 *
 * Repeated indices accumulate. On WebGPU they meet in atomic adds, so the order of a float sum
 * (and its last bits) can vary from run to run, as with PyTorch's CUDA index_add.
 */
import { record } from '../autograd.js';
import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors.js';
import { broadcastShapes, normAxis, numel, shapesEqual } from '../shape.js';
import type { DType } from '../backend/backend.js';
import type { Tensor } from '../tensor.js';
import { backendOf, checkFits, checkInputs, named, readSync, userOpName, wrap } from './core.js';
import { arange } from './creation.js';
import { add, cast, eq } from './elementwise.js';
import { expand, reshape } from './shapeops.js';

export function requireIndex(op: string, index: Tensor, arg = 'index'): void {
  if (index.dtype !== 'int32') {
    throw new DTypeError(`${op}: ${arg} must be an int32 tensor, got ${index.dtype} with shape ${fmtShape(index.shape)}`);
  }
}

/**
 * Throws if an index is outside [0, size) (entries equal to `ignore` excepted): at once where the
 * backend reads synchronously, else at the next read or sync (a device-side assert).
 */
export function checkIndexRange(op: string, index: Tensor, size: number, what: string, ignore?: number): void {
  const backend = backendOf(index, op);
  if (!backend.readSync) {
    backend.assertIndexRange?.(index, { op: userOpName(op), what, shape: index.shape, size }, ignore);
    return;
  }
  const values = readSync(index, op);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if ((v < 0 || v >= size) && v !== ignore) {
      throw new ArgumentError(`${op}: ${what} ${v} at position ${i} of index shape ${fmtShape(index.shape)} is out of range [0, ${size})`);
    }
  }
}

/** out = x[..., index, ...] along `axis`; index has x's shape except along `axis`. */
function gatherRaw(x: Tensor, index: Tensor, axis: number): Tensor {
  const backend = checkInputs('gather', x, index);
  checkFits('gather', backend, index.shape, x.dtype);
  const out = wrap(backend, backend.gather(x, index, axis), index.shape, x.dtype);
  return record(out, 'gather', [x], (g) => [scatterAddRaw(g, index, axis, x.shape)]);
}

/** Zeros of `shape` with `src` added at `index` along `axis`. */
function scatterAddRaw(src: Tensor, index: Tensor, axis: number, shape: readonly number[]): Tensor {
  const backend = checkInputs('scatterAdd', src, index);
  checkFits('scatterAdd', backend, shape, src.dtype);
  const out = wrap(backend, backend.scatterAdd(src, index, axis, shape), shape, src.dtype);
  return record(out, 'scatterAdd', [src], (g) => [gatherRaw(g, index, axis)]);
}

/** `shape` with dim `axis` replaced by `size`. */
function withAxis(shape: readonly number[], axis: number, size: number): number[] {
  const out = [...shape];
  out[axis] = size;
  return out;
}

/**
 * NumPy's take_along_axis: out[..., i, ...] = x[..., index[..., i, ...], ...] along `axis`. The
 * other dims of x and index broadcast against each other. Differentiable in x.
 */
export function takeAlongAxis(x: Tensor, index: Tensor, axis: number): Tensor {
  checkInputs('takeAlongAxis', x, index);
  requireIndex('takeAlongAxis', index);
  if (index.shape.length !== x.shape.length) {
    throw new ShapeError(`takeAlongAxis: index ${fmtShape(index.shape)} must have the rank of the input ${fmtShape(x.shape)}`);
  }
  const a = normAxis('takeAlongAxis', axis, x.shape.length, x.shape);
  checkIndexRange('takeAlongAxis', index, x.shape[a]!, 'index');
  const common = broadcastShapes('takeAlongAxis', withAxis(x.shape, a, 1), withAxis(index.shape, a, 1));
  return gatherRaw(expand(x, withAxis(common, a, x.shape[a]!)), expand(index, withAxis(common, a, index.shape[a]!)), a);
}

/** PyTorch's argument order for `takeAlongAxis` (torch.gather), with broadcasting of the other dims. */
export const gather = (x: Tensor, axis: number, index: Tensor): Tensor => named('gather', () => takeAlongAxis(x, index, axis));

/**
 * torch.scatter_add, out of place: x with src[..., i, ...] added at x[..., index[..., i, ...], ...]
 * along `axis`. index and src have one shape, equal to x's except along `axis`; repeated indices
 * accumulate. Differentiable in x and src.
 */
export function scatterAdd(x: Tensor, axis: number, index: Tensor, src: Tensor): Tensor {
  checkInputs('scatterAdd', x, index, src);
  requireIndex('scatterAdd', index);
  const a = normAxis('scatterAdd', axis, x.shape.length, x.shape);
  if (!shapesEqual(index.shape, src.shape) || !shapesEqual(withAxis(index.shape, a, x.shape[a]!), x.shape)) {
    throw new ShapeError(
      `scatterAdd: index ${fmtShape(index.shape)} and src ${fmtShape(src.shape)} must share a shape equal to the input ${fmtShape(x.shape)} except along axis ${axis}`,
    );
  }
  checkIndexRange('scatterAdd', index, x.shape[a]!, 'index');
  return add(x, scatterAddRaw(cast(src, x.dtype), index, a, x.shape));
}

/** torch.index_select: the slices of x at the positions `index` (1-D int32) along `axis`. */
export function indexSelect(x: Tensor, axis: number, index: Tensor): Tensor {
  checkInputs('indexSelect', x, index);
  requireIndex('indexSelect', index);
  if (index.shape.length !== 1) throw new ShapeError(`indexSelect: index must be 1-D, got shape ${fmtShape(index.shape)}`);
  const a = normAxis('indexSelect', axis, x.shape.length, x.shape);
  checkIndexRange('indexSelect', index, x.shape[a]!, 'index');
  return selectAlong(x, a, index);
}

/** indexSelect after its checks: the 1-D index is broadcast over the other dims and gathered. */
function selectAlong(x: Tensor, axis: number, index: Tensor): Tensor {
  const outShape = withAxis(x.shape, axis, index.shape[0]!);
  const along = reshape(index, withAxis(x.shape.map(() => 1), axis, index.shape[0]!));
  return gatherRaw(x, expand(along, outShape), axis);
}

/**
 * Rows of `weight` [numEmbeddings, dim] looked up by int32 `indices` of any shape: output
 * [...indices.shape, dim]. The weight's gradient is a scatter-add of the output gradient, so
 * repeated indices accumulate. Out-of-range indices: see the module comment (a device-side assert on WebGPU).
 */
export function embedding(indices: Tensor, weight: Tensor): Tensor {
  checkInputs('embedding', indices, weight);
  requireIndex('embedding', indices, 'indices');
  if (weight.shape.length !== 2) throw new ShapeError(`embedding: weight must be [numEmbeddings, dim], got ${fmtShape(weight.shape)}`);
  checkIndexRange('embedding', indices, weight.shape[0]!, 'index');
  const rows = selectAlong(weight, 0, reshape(indices, [numel(indices.shape)]));
  return reshape(rows, [...indices.shape, weight.shape[1]!]);
}

/** [...indices.shape, numClasses] with a 1 at each index (int32 unless `dtype` says otherwise). */
export function oneHot(indices: Tensor, numClasses: number, opts: { dtype?: DType } = {}): Tensor {
  checkInputs('oneHot', indices);
  requireIndex('oneHot', indices, 'indices');
  if (!Number.isInteger(numClasses) || numClasses <= 0) {
    throw new ArgumentError(`oneHot: numClasses must be a positive integer, got ${numClasses}`);
  }
  // The result's size before anything is made: oneHot(x, 1e9) is an error, not an out-of-memory abort.
  checkFits('oneHot', checkInputs('oneHot', indices), [...indices.shape, numClasses], opts.dtype ?? 'int32');
  checkIndexRange('oneHot', indices, numClasses, 'class index');
  const classes = arange(numClasses, undefined, 1, { device: indices.device });
  return cast(eq(reshape(indices, [...indices.shape, 1]), classes), opts.dtype ?? 'int32');
}
