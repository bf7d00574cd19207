/**
 * Datasets from disk (Node): IDX files (raw or gzip), Fashion-MNIST where Debian's
 * `dataset-fashion-mnist` installs it, and the embedded MNIST default. Every loader returns CPU
 * tensors with pixels in [0, 1]; a DataLoader moves batches to the training device.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { imageDatasetFromIdx, type ImageDataset } from './dataset.js';
import { readMaybeGzip } from './files.js';
import { MissingFileError } from './format-error.js';
import { parseIdx } from './idx.js';
import { loadEmbeddedMnist } from './mnist.js';
import { ArgumentError } from '../errors.js';
import { indexSelect, tensor } from '../ops/index.js';

/** Where `loadDataset('fashion-mnist')` looks for the Fashion-MNIST IDX files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Options of `loadDataset`. */
export interface LoadOptions {
  /** 'train' (default) or 'test' (the t10k files). */
  split?: 'train' | 'test';
  /** Keep only the first N examples (of the chosen classes, with `classes`). */
  limit?: number;
  /** Keep only the examples with these labels (e.g. [8]: Fashion-MNIST's bags). */
  classes?: readonly number[];
}

/** An IDX images file and optional labels file (each raw or gzip). */
export function loadIdxDataset(imagesPath: string, labelsPath?: string, opts: { limit?: number } = {}): ImageDataset {
  const images = parseIdx(readMaybeGzip(imagesPath, 'IDX images'), imagesPath);
  const labels = labelsPath ? parseIdx(readMaybeGzip(labelsPath, 'IDX labels'), labelsPath) : null;
  return imageDatasetFromIdx(images, labels, { limit: opts.limit, source: imagesPath });
}

/** The first of `names` (each with or without .gz) that exists in `dir`. */
function findFile(dir: string, base: string): string | undefined {
  return [base, `${base}.gz`].map((n) => join(dir, n)).find((p) => existsSync(p));
}

/** A directory in the MNIST layout: {train,t10k}-images-idx3-ubyte[.gz] and {train,t10k}-labels-idx1-ubyte[.gz]. */
export function loadIdxDirectory(dir: string, opts: LoadOptions = {}): ImageDataset {
  const prefix = (opts.split ?? 'train') === 'train' ? 'train' : 't10k';
  const images = findFile(dir, `${prefix}-images-idx3-ubyte`);
  if (!images) {
    throw new MissingFileError(`no ${prefix}-images-idx3-ubyte[.gz] in ${dir} (expected the MNIST file layout: ${prefix}-images-idx3-ubyte.gz and ${prefix}-labels-idx1-ubyte.gz)`);
  }
  return loadIdxDataset(images, findFile(dir, `${prefix}-labels-idx1-ubyte`), opts);
}

/** Fashion-MNIST (Xiao et al., 2017): 60,000 train / 10,000 test 28x28 images of 10 clothing classes. */
export function loadFashionMnist(opts: LoadOptions & { dir?: string } = {}): ImageDataset {
  const dir = opts.dir ?? FASHION_MNIST_DIR;
  if (!existsSync(dir)) {
    throw new MissingFileError(
      `Fashion-MNIST not found: ${dir} does not exist. Install it with \`apt-get install dataset-fashion-mnist\` (Debian/Ubuntu), or download the four *-ubyte.gz files and pass their directory.`,
    );
  }
  return loadIdxDirectory(dir, opts);
}

/**
 * The dataset the `genlab` command names: 'mnist' (the embedded digits), 'fashion-mnist', a
 * directory in the MNIST layout, or a single IDX images file.
 */
export function loadDataset(spec: string, opts: LoadOptions = {}): ImageDataset {
  if (opts.classes) {
    const { classes, limit, ...rest } = opts;
    return selectClasses(loadDataset(spec, rest), classes, { limit, source: spec });
  }
  if (spec === 'mnist') return loadEmbeddedMnist({ limit: opts.limit });
  if (spec === 'fashion-mnist') return loadFashionMnist(opts);
  if (!existsSync(spec)) throw new MissingFileError(`dataset '${spec}': expected 'mnist', 'fashion-mnist', a directory of IDX files or an IDX file`);
  return statSync(spec).isDirectory() ? loadIdxDirectory(spec, opts) : loadIdxDataset(spec, undefined, opts);
}

/** The examples of `dataset` (on the CPU) whose label is one of `classes`, in order, at most `limit`. */
export function selectClasses(dataset: ImageDataset, classes: readonly number[], opts: { limit?: number; source?: string } = {}): ImageDataset {
  const source = opts.source ?? 'dataset';
  if (!dataset.labels) throw new ArgumentError(`selectClasses: ${source} has no labels to select classes [${classes.join(', ')}] by`);
  const labels = dataset.labels.dataSync();
  const wanted = new Set(classes);
  const keep: number[] = [];
  for (let i = 0; i < labels.length && keep.length < (opts.limit ?? Infinity); i++) if (wanted.has(labels[i]!)) keep.push(i);
  if (keep.length === 0) throw new ArgumentError(`selectClasses: ${source} has no examples of classes [${classes.join(', ')}]`);
  const index = tensor(Int32Array.from(keep), { shape: [keep.length], dtype: 'int32', device: 'cpu' });
  const out = { images: indexSelect(dataset.images, 0, index), labels: indexSelect(dataset.labels, 0, index) };
  for (const t of [index, dataset.images, dataset.labels]) t.dispose();
  return out;
}
