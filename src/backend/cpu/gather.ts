/**
 * take_along_axis and its adjoint. Both view a tensor as [outer, axis, inner]; `index` has the
 * input's shape except along the axis. An index outside [0, size) reads 0 (gather) or is dropped
 * (scatterAdd), the same contract as the WebGPU kernels, which cannot throw.
 */
import type { HostArray } from '../backend';
import { numel } from './iterate';

interface AxisView {
  outer: number;
  inner: number;
  /** Length of the axis in the index (and in gather's output / scatterAdd's source). */
  indexLength: number;
  /** Length of the axis in the indexed tensor (gather's input / scatterAdd's output). */
  dataLength: number;
}

function axisView(indexShape: readonly number[], dataShape: readonly number[], axis: number): AxisView {
  return {
    outer: numel(indexShape.slice(0, axis)),
    inner: numel(indexShape.slice(axis + 1)),
    indexLength: indexShape[axis]!,
    dataLength: dataShape[axis]!,
  };
}

export function gather(x: HostArray, xShape: readonly number[], index: HostArray, indexShape: readonly number[], axis: number, out: HostArray): void {
  const { outer, inner, indexLength, dataLength } = axisView(indexShape, xShape, axis);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < indexLength; i++) {
      const row = (o * indexLength + i) * inner;
      for (let n = 0; n < inner; n++) {
        const at = index[row + n]!;
        out[row + n] = at >= 0 && at < dataLength ? x[(o * dataLength + at) * inner + n]! : 0;
      }
    }
  }
}

export function scatterAdd(src: HostArray, index: HostArray, indexShape: readonly number[], axis: number, outShape: readonly number[], out: HostArray): void {
  const { outer, inner, indexLength, dataLength } = axisView(indexShape, outShape, axis);
  out.fill(0);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < indexLength; i++) {
      const row = (o * indexLength + i) * inner;
      for (let n = 0; n < inner; n++) {
        const at = index[row + n]!;
        if (at >= 0 && at < dataLength) out[(o * dataLength + at) * inner + n]! += src[row + n]!;
      }
    }
  }
}
