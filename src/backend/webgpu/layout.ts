/**
 * Index-space helpers shared by the strided kernels (binary, where, copy, reduce).
 *
 * Kernels address elements through (shape, strides) pairs held in uniforms, at most MAX_RANK dims.
 * Merging dimensions that are laid out contiguously in every operand first keeps the per-element
 * index arithmetic short (a same-layout copy becomes rank 1) and lets higher-rank tensors fit.
 */
import { DeviceError } from '../../errors.js';

/** Dimensions a kernel's Params can describe (two vec4 words per shape / stride array). */
export const MAX_RANK = 8;

export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  return strides;
}

/** Strides of a dense input read at the positions of a broadcast output (0 on broadcast dims). */
export function broadcastStrides(inShape: readonly number[], outShape: readonly number[]): number[] {
  const own = contiguousStrides(inShape);
  const offset = outShape.length - inShape.length;
  return outShape.map((_, d) => {
    const di = d - offset;
    return di < 0 || inShape[di] === 1 ? 0 : own[di]!;
  });
}

export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

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
