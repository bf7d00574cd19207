/**
 * The embedded MNIST digits from their parsed IDX arrays: the part of the loader that needs no
 * file system, shared by the Node loader (mnist.ts) and the browser playground (which fetches
 * and gunzips the same two files of data/).
 */
import { tensor } from '../ops/creation.js';
import type { DeviceName } from '../backend/backend.js';
import type { ImageDataset } from './dataset.js';
import { FormatError } from './format-error.js';
import type { IdxArray } from './idx.js';

/** The names of the two gzipped IDX files in the package's data/ directory. */
export const EMBEDDED_MNIST_FILES = { images: 'mnist-10k-images-idx3-ubyte.gz', labels: 'mnist-10k-labels-idx1-ubyte.gz' } as const;

/**
 * Pixel byte b as the `mnist` package's number for it: b / 255 rounded to 3 decimals (the values
 * every model here was trained and measured on).
 */
const PIXEL_VALUES = Float32Array.from({ length: 256 }, (_, b) => Math.round((b / 255) * 1000) / 1000);

/** Up to `limit` digits of the parsed files (`source` names them in errors). */
export function embeddedMnistFromIdx(images: IdxArray, labels: IdxArray, opts: { limit?: number; device?: DeviceName; source?: string } = {}): Required<ImageDataset> {
  if (images.type !== 'u8' || images.shape.join() !== `${labels.shape[0]},28,28`) {
    throw new FormatError(`${opts.source ?? EMBEDDED_MNIST_FILES.images}: expected [N, 28, 28] bytes matching ${labels.shape[0]} labels, got ${images.type} [${images.shape.join(', ')}]`);
  }
  const total = Math.min(opts.limit ?? Infinity, labels.shape[0]!);
  const pixels = new Float32Array(total * 784);
  for (let i = 0; i < pixels.length; i++) pixels[i] = PIXEL_VALUES[images.data[i]!]!;
  return {
    images: tensor(pixels, { shape: [total, 1, 28, 28], device: opts.device }),
    labels: tensor(Int32Array.from(labels.data.subarray(0, total)), { shape: [total], device: opts.device }),
  };
}
