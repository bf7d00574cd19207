/**
 * Mean and biased variance over a set of axes in one pass: Welford's update per output slot,
 * walking the input in memory order (so any axis choice reads sequentially), in float64.
 */
import type { HostArray } from '../backend';
import { contiguousStrides, forEachRow, numel, simplifyLoop } from './iterate';
import { reducedShape } from './reduce';

export function moments(x: HostArray, shape: readonly number[], axes: readonly number[], mean: HostArray, variance: HostArray): void {
  const outShape = reducedShape(shape, axes);
  const slots = numel(outShape);
  const count = new Float64Array(slots);
  const runningMean = new Float64Array(slots);
  const m2 = new Float64Array(slots);
  const slotStrides = contiguousStrides(outShape).map((s, axis) => (axes.includes(axis) ? 0 : s));
  const nest = simplifyLoop(shape, [contiguousStrides(shape), slotStrides]);
  const inner = nest.shape.at(-1)!;
  const innerStride = nest.strides[1]!.at(-1)!;
  forEachRow(nest, [0, 0], ([px, ps]) => {
    for (let j = 0; j < inner; j++) {
      const slot = ps! + j * innerStride;
      const v = x[px! + j]!;
      const n = ++count[slot]!;
      const delta = v - runningMean[slot]!;
      runningMean[slot]! += delta / n;
      m2[slot]! += delta * (v - runningMean[slot]!);
    }
  });
  for (let s = 0; s < slots; s++) {
    mean[s] = count[s]! > 0 ? runningMean[s]! : NaN;
    variance[s] = count[s]! > 0 ? m2[s]! / count[s]! : NaN;
  }
}
