// Stratified, seeded held-out splits: class balance, determinism, disjointness, and the embedded MNIST's default.
import { describe, expect, it } from 'vitest';
import { io } from '../src/index.js';
import { loadEmbeddedMnist, loadTrainAndHeldOut } from '../src/node.js';
import { ArgumentError } from '../src/errors.js';

const counts = (labels: ArrayLike<number>, idx: ArrayLike<number>) => {
  const c = new Array<number>(10).fill(0);
  for (let i = 0; i < idx.length; i++) c[labels[idx[i]!]!]!++;
  return c;
};

describe('stratifiedSplitIndices', () => {
  const labels = Int32Array.from({ length: 1000 }, (_, i) => (i < 700 ? i % 3 : 3 + (i % 2)));

  it('holds out the same number from every class, disjoint from training, covering everything', () => {
    const { train, heldOut } = io.stratifiedSplitIndices(labels, { heldOut: 50, seed: 1 });
    expect(heldOut.length).toBe(50);
    expect(counts(labels, heldOut).slice(0, 5)).toEqual([10, 10, 10, 10, 10]);
    const all = new Set([...train, ...heldOut]);
    expect(all.size).toBe(1000);
    expect(train.length + heldOut.length).toBe(1000);
  });

  it('proportional allocation follows the class sizes', () => {
    const { heldOut } = io.stratifiedSplitIndices(labels, { heldOut: 100, seed: 1, allocation: 'proportional' });
    // 234/233/233 of the first 700 and 150/150 of the rest.
    expect(counts(labels, heldOut).slice(0, 5)).toEqual([24, 23, 23, 15, 15]);
  });

  it('is a function of the seed', () => {
    const a = io.stratifiedSplitIndices(labels, { heldOut: 50, seed: 7 }).heldOut;
    const b = io.stratifiedSplitIndices(labels, { heldOut: 50, seed: 7 }).heldOut;
    const c = io.stratifiedSplitIndices(labels, { heldOut: 50, seed: 8 }).heldOut;
    expect([...a]).toEqual([...b]);
    expect([...a]).not.toEqual([...c]);
  });

  it('rejects a held-out set a class cannot fill', () => {
    const few = Int32Array.from([0, 0, 0, 0, 1, 1]);
    expect(() => io.stratifiedSplitIndices(few, { heldOut: 4, seed: 0 })).toThrow(ArgumentError);
    expect(() => io.stratifiedSplitIndices(few, { heldOut: 0, seed: 0 })).toThrow(/heldOut/);
  });
});

describe('the embedded MNIST held-out split', () => {
  it('holds 100 of every digit, fives included (the last 1,000 digits hold none)', () => {
    const all = loadEmbeddedMnist({ device: 'cpu' });
    const labels = all.labels.dataSync();
    const last = Int32Array.from({ length: 1000 }, (_, i) => 9000 + i);
    expect(counts(labels, last)[5]).toBe(0);
    const { heldOut } = io.stratifiedSplitIndices(labels, io.MNIST_HELD_OUT);
    expect(counts(labels, heldOut)).toEqual(new Array(10).fill(100));
    all.images.dispose();
    all.labels.dispose();
  });

  it('loadTrainAndHeldOut gives 9,000 training digits and the 1,000 held out', () => {
    const { train, heldOut } = loadTrainAndHeldOut('mnist');
    expect(train.images.shape).toEqual([9000, 1, 28, 28]);
    expect(heldOut.images.shape).toEqual([1000, 1, 28, 28]);
    for (const t of [train.images, train.labels!, heldOut.images, heldOut.labels!]) t.dispose();
  });
});
