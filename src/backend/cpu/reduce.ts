/** Reductions over any set of axes, and argmax/argmin along one axis. */
import type { ArgReduceOp, DType, HostArray, ReduceOp } from '../backend';
import { contiguousStrides, forEachRow, numel, simplifyLoop } from './iterate';

type Combine = (accumulated: number, value: number) => number;

export function reduceOutputDType(op: ReduceOp, dtype: DType): DType {
  return dtype === 'bool' && (op === 'sum' || op === 'prod') ? 'int32' : dtype;
}

/** Keepdim output shape: the reduced axes become 1. */
export function reducedShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, axis) => (axes.includes(axis) ? 1 : d));
}

/**
 * Walks the input once in memory order and folds each element into its output slot, so every
 * axis choice (leading, trailing, non-adjacent) reads the input sequentially.
 */
export function reduce(op: ReduceOp, x: HostArray, dtype: DType, shape: readonly number[], axes: readonly number[], out: HostArray): void {
  const outShape = reducedShape(shape, axes);
  const accumulator = accumulatorFor(op, dtype, numel(outShape));
  const accumulatorStrides = contiguousStrides(outShape).map((s, axis) => (axes.includes(axis) ? 0 : s));
  const nest = simplifyLoop(shape, [contiguousStrides(shape), accumulatorStrides]);
  const inner = nest.shape.at(-1)!;
  const innerStride = nest.strides[1]!.at(-1)!;
  const combine = combineFunction(op, dtype);
  forEachRow(nest, [0, 0], ([px, pa]) => {
    for (let j = 0; j < inner; j++) {
      const slot = pa! + j * innerStride;
      accumulator[slot] = combine(accumulator[slot]!, x[px! + j]!);
    }
  });
  out.set(accumulator);
}

/**
 * Sums accumulate in float64 (float32 inputs lose nothing; int32 sums are exact below 2^53 and the
 * final Int32Array store wraps them like int32 addition). int32 products need imul to wrap exactly.
 */
function accumulatorFor(op: ReduceOp, dtype: DType, size: number): Float64Array | Int32Array {
  if (op === 'prod' && (dtype === 'int32' || dtype === 'bool')) return new Int32Array(size).fill(1);
  const identity = { sum: 0, prod: 1, max: -Infinity, min: Infinity }[op];
  return new Float64Array(size).fill(identity);
}

function combineFunction(op: ReduceOp, dtype: DType): Combine {
  switch (op) {
    case 'sum': return (acc, v) => acc + v;
    case 'prod': return dtype === 'int32' || dtype === 'bool' ? Math.imul : (acc, v) => acc * v;
    // NaN propagates, as in PyTorch: once the accumulator is NaN no comparison replaces it.
    case 'max': return (acc, v) => (v > acc || Number.isNaN(v) ? v : acc);
    case 'min': return (acc, v) => (v < acc || Number.isNaN(v) ? v : acc);
  }
}

/**
 * Index of the extremum along `axis`. Ties keep the first index; NaN counts as the extremum for both
 * ops and the first NaN wins, as in PyTorch and NumPy.
 */
export function argReduce(op: ArgReduceOp, x: HostArray, shape: readonly number[], axis: number, out: HostArray): void {
  const outer = numel(shape.slice(0, axis));
  const length = shape[axis]!;
  const inner = numel(shape.slice(axis + 1));
  const beats = op === 'argmax' ? (v: number, best: number) => v > best : (v: number, best: number) => v < best;
  const best = new Float64Array(inner);
  // Scans whole rows of the trailing block at a time so the input is read in memory order.
  for (let o = 0; o < outer; o++) {
    const base = o * length * inner;
    const outBase = o * inner;
    for (let i = 0; i < inner; i++) {
      best[i] = x[base + i]!;
      out[outBase + i] = 0;
    }
    for (let r = 1; r < length; r++) {
      const row = base + r * inner;
      for (let i = 0; i < inner; i++) {
        const v = x[row + i]!;
        const current = best[i]!;
        if (!Number.isNaN(current) && (Number.isNaN(v) || beats(v, current))) {
          best[i] = v;
          out[outBase + i] = r;
        }
      }
    }
  }
}
