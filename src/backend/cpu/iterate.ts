/**
 * Strided loop nests shared by the elementwise, reduction and copy kernels.
 *
 * Every kernel here walks an iteration shape while several operands move through memory with
 * their own strides (0 for a broadcast dimension). Simplifying the nest first (dropping size-1
 * dimensions, merging dimensions that are contiguous for every operand) turns the common cases
 * (same shape, scalar broadcast, bias over rows) into one or two long inner loops, so no kernel
 * needs its own index arithmetic for them. (The binary ops still pick a per-op row loop with the
 * op written inline for those rows: a function call per element costs more than the indexing.)
 */

export interface LoopNest {
  /** Iteration extents, outermost first; never empty. */
  readonly shape: readonly number[];
  /** One stride list per operand, aligned with `shape`. */
  readonly strides: readonly (readonly number[])[];
}

import { numel } from '../../shape.js';

export { broadcastStrides, contiguousStrides, numel } from '../../shape.js';

/** The same iteration with size-1 dimensions dropped and jointly contiguous neighbours merged. */
export function simplifyLoop(shape: readonly number[], strides: readonly (readonly number[])[]): LoopNest {
  if (shape.some((d) => d === 0)) return { shape: [0], strides: strides.map(() => [0]) };
  const kept = shape.map((_, d) => d).filter((d) => shape[d] !== 1);
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (const d of kept) {
    const last = outShape.length - 1;
    // Dimension d folds into the previous kept one when, for every operand, stepping the previous
    // dimension once equals walking d all the way: the pair then behaves as one longer dimension.
    const mergeable = last >= 0 && strides.every((s, t) => outStrides[t]![last] === s[d]! * shape[d]!);
    if (mergeable) {
      outShape[last]! *= shape[d]!;
      strides.forEach((s, t) => { outStrides[t]![last] = s[d]!; });
    } else {
      outShape.push(shape[d]!);
      strides.forEach((s, t) => outStrides[t]!.push(s[d]!));
    }
  }
  if (outShape.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape: outShape, strides: outStrides };
}

/**
 * Calls `row` once per innermost row of the nest with each operand's offset at the row's start
 * (`base` added). The callee walks the row itself with the innermost extent and strides, so the
 * per-element loop stays free of index arithmetic. The offsets array is reused between calls.
 */
export function forEachRow(nest: LoopNest, base: readonly number[], row: (offsets: readonly number[]) => void): void {
  const { shape, strides } = nest;
  const outer = shape.length - 1;
  const rows = numel(shape.slice(0, outer));
  if (shape[outer] === 0) return;
  const offsets = base.slice();
  const index = new Array<number>(outer).fill(0);
  for (let r = 0; r < rows; r++) {
    row(offsets);
    for (let d = outer - 1; d >= 0; d--) {
      for (let t = 0; t < offsets.length; t++) offsets[t]! += strides[t]![d]!;
      if (++index[d]! < shape[d]!) break;
      for (let t = 0; t < offsets.length; t++) offsets[t]! -= strides[t]![d]! * shape[d]!;
      index[d] = 0;
    }
  }
}
