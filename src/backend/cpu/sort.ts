/** Stable sort of every row along the last axis, with the source index of each value. */
import type { HostArray } from '../backend';

/**
 * NaN sorts as the largest value (last ascending, first descending), as in PyTorch. Equal values
 * keep their order in both directions (stability), which the WebGPU rank sort reproduces.
 */
export function sort(x: HostArray, width: number, descending: boolean, values: HostArray, indices: HostArray): void {
  if (width === 0) return;
  const rows = x.length / width;
  const order = new Array<number>(width);
  const sign = descending ? -1 : 1;
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    for (let j = 0; j < width; j++) order[j] = j;
    order.sort((i, j) => sign * compareNaNLast(x[base + i]!, x[base + j]!));
    for (let j = 0; j < width; j++) {
      indices[base + j] = order[j]!;
      values[base + j] = x[base + order[j]!]!;
    }
  }
}

function compareNaNLast(a: number, b: number): number {
  const an = Number.isNaN(a);
  const bn = Number.isNaN(b);
  if (an || bn) return Number(an) - Number(bn);
  return a < b ? -1 : a > b ? 1 : 0;
}
