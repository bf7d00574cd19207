/** The one layout primitive: permute, expand, sliced views, cat and pad all go through here. */
import type { HostArray } from '../backend';
import { forEachRow, simplifyLoop } from './iterate';

export function stridedCopy(
  src: HostArray, dst: HostArray, shape: readonly number[],
  srcStrides: readonly number[], srcOffset: number,
  dstStrides: readonly number[], dstOffset: number,
): void {
  // Copying within one buffer must read everything before writing, or overlapping regions would read
  // elements this copy already overwrote.
  const source = src.buffer === dst.buffer ? src.slice() : src;
  const nest = simplifyLoop(shape, [srcStrides, dstStrides]);
  const inner = nest.shape.at(-1)!;
  const [ss, ds] = nest.strides.map((s) => s.at(-1)!) as [number, number];
  forEachRow(nest, [srcOffset, dstOffset], ([ps, pd]) => {
    if (ss === 1 && ds === 1) {
      dst.set(source.subarray(ps!, ps! + inner), pd);
      return;
    }
    for (let j = 0; j < inner; j++) dst[pd! + j * ds] = source[ps! + j * ss]!;
  });
}
