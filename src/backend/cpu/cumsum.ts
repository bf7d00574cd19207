/** Inclusive cumulative sum along one axis. */
import type { DType, HostArray } from '../backend';
import { numel } from './iterate';

/**
 * Sums in the storage's own precision, one rounding per step (float32 via Math.fround, int32 with
 * wrap-around), exactly as the WebGPU kernel's sequential scan does: sampling builds CDFs with
 * cumsum and must draw the same categories on both devices.
 */
export function cumsum(x: HostArray, dtype: DType, shape: readonly number[], axis: number, out: HostArray): void {
  const length = shape[axis]!;
  const inner = numel(shape.slice(axis + 1));
  const outer = numel(shape.slice(0, axis));
  const round = dtype === 'float32' ? Math.fround : dtype === 'int32' ? (v: number) => v | 0 : (v: number) => v;
  for (let o = 0; o < outer; o++) {
    for (let n = 0; n < inner; n++) {
      let acc = 0;
      for (let i = 0; i < length; i++) {
        const at = (o * length + i) * inner + n;
        acc = round(acc + x[at]!);
        out[at] = acc;
      }
    }
  }
}
