/** Image datasets as tensors, and turning parsed IDX arrays into one. */
import { ShapeError } from '../errors.js';
import { tensor } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { FormatError } from './format-error.js';
import type { IdxArray } from './idx.js';

/** Images [N, C, H, W] float32 in [0, 1], with int32 labels [N] when the dataset has them. */
export interface ImageDataset {
  images: Tensor;
  labels?: Tensor;
}

/**
 * An ImageDataset (on the CPU) from an IDX images array ([N, H, W] u8, or [N, C, H, W]) and an
 * optional labels array ([N]); pixels are scaled to [0, 1]. `limit` keeps the first N.
 */
export function imageDatasetFromIdx(images: IdxArray, labels: IdxArray | null, opts: { limit?: number; source?: string } = {}): ImageDataset {
  const source = opts.source ?? 'IDX dataset';
  if (images.type !== 'u8' || (images.shape.length !== 3 && images.shape.length !== 4)) {
    throw new FormatError(`${source}: expected u8 images of shape [N, H, W] or [N, C, H, W], got ${images.type} [${images.shape.join(', ')}]`);
  }
  const shape = images.shape.length === 3 ? [images.shape[0]!, 1, images.shape[1]!, images.shape[2]!] : [...images.shape];
  const total = shape[0]!;
  const n = Math.min(total, opts.limit ?? total);
  const per = shape.slice(1).reduce((a, b) => a * b, 1);
  const pixels = new Float32Array(n * per);
  for (let i = 0; i < pixels.length; i++) pixels[i] = images.data[i]! / 255;
  const out: ImageDataset = { images: tensor(pixels, { shape: [n, ...shape.slice(1)], device: 'cpu' }) };
  if (labels) {
    if (labels.shape.length !== 1 || labels.shape[0] !== total) {
      throw new ShapeError(`${source}: ${total} images but labels of shape [${labels.shape.join(', ')}]`);
    }
    out.labels = tensor(Int32Array.from(labels.data.subarray(0, n)), { shape: [n], dtype: 'int32', device: 'cpu' });
  }
  return out;
}
