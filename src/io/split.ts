/**
 * Stratified, seeded train / held-out splits of a labelled dataset.
 *
 * Why not "the last N": the embedded MNIST interleaves classes until one runs out (it has 863
 * fives and 1,127 ones), so its last 1,000 digits hold no 5s and few 8s, and any number measured
 * on them flatters the model. A held-out set is drawn here at random, the same number from every
 * class (or in proportion to the class sizes), with a Philox shuffle of each class keyed by the
 * seed: the same split on every machine.
 */
import { ArgumentError } from '../errors.js';
import { indexSelect, tensor } from '../ops/index.js';
import { philox4x32, seedToKey } from '../random.js';
import type { ImageDataset } from './dataset.js';

/** Options of a seeded, class-stratified held-out split. */
export interface SplitOptions {
  /** How many examples to hold out in all. */
  heldOut: number;
  /** Seed of the draw (the split is a pure function of the labels and the seed). */
  seed: number;
  /**
   * 'equal' (default): heldOut / classes from every class, the remainder one each to the lowest
   * labels; 'proportional': in proportion to class sizes (largest remainders).
   */
  allocation?: 'equal' | 'proportional';
}

/** A split as indices into the dataset. */
export interface SplitIndices {
  /** Indices into the dataset, ascending. */
  train: Int32Array;
  /** Indices of the held-out examples, ascending. */
  heldOut: Int32Array;
}

/** The embedded MNIST's held-out set: 1,000 digits, 100 of each class, drawn with this seed. */
export const MNIST_HELD_OUT = { heldOut: 1000, seed: 20261202, allocation: 'equal' } as const satisfies SplitOptions;

/** A permutation of 0..n-1 by a Fisher-Yates shuffle driven by Philox(seed, stream). */
function shuffled(n: number, key: [number, number], stream: number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const words = new Uint32Array(4);
  for (let i = n - 1; i > 0; i--) {
    philox4x32(i, stream >>> 0, 0x5b1d, 0, key[0], key[1], words);
    const j = Math.floor((words[0]! / 4294967296) * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** How many to hold out of each class. */
function allocate(sizes: number[], total: number, allocation: 'equal' | 'proportional'): number[] {
  const n = sizes.reduce((a, b) => a + b, 0);
  const classes = sizes.filter((s) => s > 0).length;
  let take: number[];
  if (allocation === 'equal') {
    const base = Math.floor(total / classes);
    let extra = total - base * classes;
    take = sizes.map((s) => (s > 0 ? base + (extra-- > 0 ? 1 : 0) : 0));
  } else {
    const exact = sizes.map((s) => (s * total) / n);
    take = exact.map(Math.floor);
    const order = exact.map((e, c) => [e - Math.floor(e), c] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    for (let r = total - take.reduce((a, b) => a + b, 0), i = 0; r > 0; r--, i++) take[order[i]![1]]!++;
  }
  // Every class keeps at least one training example.
  const short = take.findIndex((t, c) => t > 0 && t >= sizes[c]!);
  if (short >= 0) throw new ArgumentError(`stratifiedSplit: heldOut ${total} (${allocation}) wants ${take[short]} of class ${short}, which has ${sizes[short]} (none would be left to train on)`);
  return take;
}

/** The indices of a stratified split of `labels` (integer class ids >= 0). */
export function stratifiedSplitIndices(labels: ArrayLike<number>, opts: SplitOptions): SplitIndices {
  const { heldOut, seed } = opts;
  if (!Number.isInteger(heldOut) || heldOut <= 0 || heldOut >= labels.length) {
    throw new ArgumentError(`stratifiedSplit: heldOut must be an integer in [1, ${labels.length - 1}] for ${labels.length} examples, got ${heldOut}`);
  }
  const byClass: number[][] = [];
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    if (!Number.isInteger(c) || c < 0) throw new ArgumentError(`stratifiedSplit: labels must be non-negative integers, got ${c} at index ${i}`);
    (byClass[c] ??= []).push(i);
  }
  const members = Array.from(byClass, (m) => m ?? []);
  const take = allocate(members.map((m) => m.length), heldOut, opts.allocation ?? 'equal');
  const key = seedToKey(seed);
  const held = new Uint8Array(labels.length);
  members.forEach((m, c) => {
    const order = shuffled(m.length, key, c);
    for (let k = 0; k < take[c]!; k++) held[m[order[k]!]!] = 1;
  });
  const train: number[] = [];
  const out: number[] = [];
  held.forEach((h, i) => (h ? out : train).push(i));
  return { train: Int32Array.from(train), heldOut: Int32Array.from(out) };
}

/** The examples at `indices` (on the CPU). */
export function subset(dataset: ImageDataset, indices: Int32Array): ImageDataset {
  const index = tensor(indices, { shape: [indices.length], dtype: 'int32', device: 'cpu' });
  try {
    return { images: indexSelect(dataset.images, 0, index), labels: dataset.labels ? indexSelect(dataset.labels, 0, index) : undefined };
  } finally {
    index.dispose();
  }
}

/** Split a labelled dataset (on the CPU) into stratified train and held-out parts; `dataset` is kept. */
export function stratifiedSplit(dataset: ImageDataset, opts: SplitOptions): { train: ImageDataset; heldOut: ImageDataset; indices: SplitIndices } {
  if (!dataset.labels) throw new ArgumentError('stratifiedSplit: the dataset has no labels to stratify by');
  const indices = stratifiedSplitIndices(dataset.labels.dataSync(), opts);
  return { train: subset(dataset, indices.train), heldOut: subset(dataset, indices.heldOut), indices };
}
