/**
 * The training and held-out parts of a named dataset (Node): what the metrics' floor and the
 * feature networks' accuracy are measured on.
 *   'mnist'          the embedded 10,000 digits, split by MNIST_HELD_OUT (1,000 held out, 100 a class, seed 20261202);
 *   'fashion-mnist'  the official train (60,000) and test (10,000) files;
 *   a directory      its train and t10k files;
 *   anything else    a stratified 10% held-out split (seed 0) of what loadDataset reads.
 */
import { existsSync, statSync } from 'node:fs';
import type { ImageDataset } from './dataset.js';
import { loadDataset } from './datasets.js';
import { MNIST_HELD_OUT, stratifiedSplitIndices, subset } from './split.js';

/** A dataset split into the part to train on and the part metrics are measured on. */
export interface TrainAndHeldOut {
  /** The examples to train on. */
  train: ImageDataset;
  /** The examples left out for evaluation. */
  heldOut: ImageDataset;
  /** How the held-out part was chosen, for reports. */
  description: string;
}

/**
 * The training and held-out parts of a dataset spec (`'mnist'`, `'fashion-mnist'`, a directory or
 * an IDX file): a dataset's own test split where it has one, else a seeded stratified split (for
 * the embedded MNIST digits, 1,000 held out, 100 a class).
 */
export function loadTrainAndHeldOut(spec: string): TrainAndHeldOut {
  if (spec === 'fashion-mnist' || (existsSync(spec) && statSync(spec).isDirectory())) {
    const train = loadDataset(spec, { split: 'train' });
    const heldOut = loadDataset(spec, { split: 'test' });
    return { train, heldOut, description: `${spec}: the train split (${train.images.shape[0]}) and the test split (${heldOut.images.shape[0]})` };
  }
  const all = loadDataset(spec);
  const n = all.images.shape[0]!;
  const opts = spec === 'mnist' ? MNIST_HELD_OUT : { heldOut: Math.max(1, Math.round(n / 10)), seed: 0, allocation: 'proportional' as const };
  // Unlabelled files are one class: the split is then a plain seeded random draw.
  const labels = all.labels?.dataSync() ?? new Int32Array(n);
  const indices = stratifiedSplitIndices(labels, opts);
  const [train, heldOut] = [subset(all, indices.train), subset(all, indices.heldOut)];
  all.images.dispose();
  all.labels?.dispose();
  return {
    train,
    heldOut,
    description: `${spec}: a stratified held-out split of ${opts.heldOut} (${opts.allocation}, seed ${opts.seed}) and the other ${n - opts.heldOut} for training`,
  };
}
