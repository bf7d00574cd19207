/** Image datasets as tensors, and turning parsed IDX arrays into one. */
import { ShapeError } from '../errors.js';
import { tensor } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { FormatError } from './format-error.js';
import type { IdxArray } from './idx.js';

/** Images [N, C, H, W] float32 in [0, 1], with int32 labels [N] when the dataset has them. */
export interface ImageDataset {
  /** The images, [N, C, H, W] float32 in [0, 1]. */
  images: Tensor;
  /** The class labels, [N] int32, when the dataset has them. */
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
    const kept = labels.data.subarray(0, n);
    // Float IDX labels would be truncated by the int32 conversion: 1.5 is not a class, nor is 3e9.
    const bad = Array.prototype.findIndex.call(kept, (v: number) => !Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31);
    if (bad >= 0) throw new FormatError(`${source}: label ${kept[bad]} of example ${bad} is not an int32 class index`);
    out.labels = tensor(Int32Array.from(kept), { shape: [n], dtype: 'int32', device: 'cpu' });
  }
  return out;
}

/**
 * Throws a FormatError naming `source` when a label is not a class of a model with `classes`
 * classes. Run when a dataset is loaded for training, so that a bad label is reported before the
 * first step on every device (on WebGPU an embedding or a loss sees it only at the next read).
 */
export function checkLabels(labels: Tensor, classes: number, source: string): void {
  const values = labels.dataSync();
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(Number.isInteger(v) && v >= 0 && v < classes)) {
      throw new FormatError(`${source}: label ${v} of example ${i} is not a class of this model (0 to ${classes - 1})`);
    }
  }
}
