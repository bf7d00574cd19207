/**
 * Index-space helpers shared by the strided kernels (binary, where, copy, reduce).
 *
 * Kernels address elements through (shape, strides) pairs held in uniforms, at most MAX_RANK dims.
 * Merging dimensions that are laid out contiguously in every operand first keeps the per-element
 * index arithmetic short (a same-layout copy becomes rank 1) and lets higher-rank tensors fit.
 */
import { DeviceError } from '../../errors.js';

// The shape arithmetic every backend shares lives in src/shape.ts; the kernels' views of it here.
export { broadcastStrides, contiguousStrides, numel } from '../../shape.js';

/** Dimensions a kernel's Params can describe (two vec4 words per shape / stride array). */
export const MAX_RANK = 8;

export interface MergedLayout {
  shape: number[];
  strides: number[][];
}

/**
 * Drops size-1 dimensions and merges neighbours d, d+1 when every operand has
 * stride[d] == stride[d+1] * shape[d+1]. The element order (row-major over `shape`) is unchanged.
 */
export function mergeDims(shape: readonly number[], strides: readonly (readonly number[])[], what: string): MergedLayout {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d]!;
    if (size === 1) continue;
    const last = outShape.length - 1;
    const mergeable = last >= 0 && strides.every((s, o) => outStrides[o]![last] === s[d]! * size);
    if (mergeable) {
      outShape[last]! *= size;
      strides.forEach((s, o) => (outStrides[o]![last] = s[d]!));
    } else {
      outShape.push(size);
      strides.forEach((s, o) => outStrides[o]!.push(s[d]!));
    }
  }
  if (outShape.length > MAX_RANK) {
    throw new DeviceError(`${what}: the WebGPU kernels address at most ${MAX_RANK} non-mergeable dimensions, got ${outShape.length}`);
  }
  return { shape: outShape, strides: outStrides };
}

/**
 * A merged layout as the strided kernels' `dims` uniform: one vec4 per dimension, innermost first,
 * holding (size, stride of operand 0, of operand 1, of operand 2). Innermost first lets a kernel
 * peel dims off a flat index with constant uniform indices (its RANK override says how many).
 */
export function packDims(layout: MergedLayout): number[] {
  const words: number[] = [];
  for (let d = layout.shape.length - 1; d >= 0; d--) {
    words.push(layout.shape[d]!, layout.strides[0]?.[d] ?? 0, layout.strides[1]?.[d] ?? 0, layout.strides[2]?.[d] ?? 0);
  }
  return words;
}

/** True when every operand of a merged layout is read in output order (no index arithmetic needed). */
export function isContiguous(layout: MergedLayout): boolean {
  return layout.shape.length === 0 || (layout.shape.length === 1 && layout.strides.every((s) => s[0] === 1));
}

/**
 * The addressing mode of kernels/binary.wgsl for a merged two-operand layout: 0 both contiguous,
 * 1 b is one element, 2 a is one element, 3 general strides (the kernel's RANK = merged rank).
 */
export function binaryMode(layout: MergedLayout): 0 | 1 | 2 | 3 {
  if (isContiguous(layout)) return 0;
  if (layout.shape.length === 1) {
    const [a, b] = [layout.strides[0]![0], layout.strides[1]![0]];
    if (a === 1 && b === 0) return 1;
    if (a === 0 && b === 1) return 2;
  }
  return 3;
}
