/**
 * Training data in the browser: the embedded MNIST digits fetched from data/ beside the page, or
 * IDX files the user picked (Fashion-MNIST's train-images-idx3-ubyte.gz, say), gzipped or not.
 * As `genlab train` does, a run leaves out the held-out part `genlab eval` measures against: for
 * the embedded digits MNIST_HELD_OUT (100 a class), for other files a stratified 10%.
 */
import { io, type Tensor } from '../src/index.js';
import { embeddedMnistFromIdx, EMBEDDED_MNIST_FILES } from '../src/io/mnist-idx.js';
import type { DataSpec } from './messages.js';

export interface TrainingData {
  images: Tensor;
  labels?: Tensor;
  /** What the checkpoint's `genlab.data` says: 'mnist', or the uploaded file's name. */
  source: string;
  /** The part left out of training: what the page's evaluation measures against, as `genlab eval` does. */
  heldOut: io.ImageDataset;
}

/** The bytes, gunzipped when they start with gzip's magic number. */
async function maybeGunzip(bytes: Uint8Array): Promise<Uint8Array> {
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The bytes at `url` (beside the page), or a MissingFileError saying what failed. */
export async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new io.MissingFileError(`${url}: ${response.status} ${response.statusText} (is the page served from the playground build?)`);
  return new Uint8Array(await response.arrayBuffer());
}

/** `spec`'s images split into the training part and the held-out part, on the CPU, in [0, 1]. */
export async function loadTrainingData(spec: DataSpec, base: string): Promise<TrainingData> {
  if (spec.kind === 'mnist') {
    const [images, labels] = await Promise.all(Object.values(EMBEDDED_MNIST_FILES).map(async (f) => io.parseIdx(await maybeGunzip(await fetchBytes(new URL(`data/${f}`, base).href)), f)));
    const all = embeddedMnistFromIdx(images!, labels!, { device: 'cpu' });
    return split(all, io.MNIST_HELD_OUT, 'mnist');
  }
  const images = io.parseIdx(await maybeGunzip(new Uint8Array(spec.images)), spec.name);
  const labels = spec.labels ? io.parseIdx(await maybeGunzip(new Uint8Array(spec.labels)), `${spec.name} labels`) : null;
  const all = io.imageDatasetFromIdx(images, labels, { source: spec.name });
  const n = all.images.shape[0]!;
  if (n < 2) throw new io.FormatError(`${spec.name}: ${n} image, too few to train on and hold some out`);
  return split(all, { heldOut: Math.max(1, Math.round(n / 10)), seed: 0, allocation: 'proportional' }, spec.name);
}

function split(all: io.ImageDataset, opts: io.SplitOptions, source: string): TrainingData {
  // Unlabelled files are one class: the split is then a plain seeded random draw.
  const labels = all.labels?.dataSync() ?? new Int32Array(all.images.shape[0]!);
  const indices = io.stratifiedSplitIndices(labels, opts);
  const [train, heldOut] = [io.subset(all, indices.train), io.subset(all, indices.heldOut)];
  all.images.dispose();
  all.labels?.dispose();
  return { images: train.images, labels: train.labels, source, heldOut };
}
