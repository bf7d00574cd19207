/** Softmax and log-softmax along the last axis, max-subtracted so large logits cannot overflow. */
import type { HostArray } from '../backend';

export function softmax(op: 'softmax' | 'logSoftmax', x: HostArray, out: HostArray, width: number): void {
  if (width === 0) return;
  const rows = x.length / width;
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    let max = -Infinity;
    for (let j = 0; j < width; j++) max = Math.max(max, x[base + j]!);
    // A row of -inf has no mass anywhere; shifting by 0 keeps it -inf / 0 instead of NaN.
    const shift = max === -Infinity ? 0 : max;
    let total = 0;
    for (let j = 0; j < width; j++) total += Math.exp(x[base + j]! - shift);
    if (op === 'softmax') {
      for (let j = 0; j < width; j++) out[base + j] = Math.exp(x[base + j]! - shift) / total;
    } else {
      const logTotal = Math.log(total);
      for (let j = 0; j < width; j++) out[base + j] = x[base + j]! - shift - logTotal;
    }
  }
}
