// The embedded digits (data/*.gz, gzipped IDX) are the `mnist` package's digits (a
// devDependency, kept for this check), in the same interleaved order and with the same values.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadEmbeddedMnist } from '../src/node.js';

describe('embedded MNIST', () => {
  it('matches the mnist package digit for digit, value for value', () => {
    const require = createRequire(import.meta.url);
    const perClass = Array.from({ length: 10 }, (_, d) => (require(`mnist/src/digits/${d}.json`) as { data: number[] }).data);
    const { images, labels } = loadEmbeddedMnist({ device: 'cpu' });
    const pixels = images.dataSync();
    const classes = labels.dataSync();
    expect(images.shape).toEqual([10_000, 1, 28, 28]);
    const next = new Array<number>(10).fill(0);
    let mismatches = 0;
    for (let i = 0; i < classes.length; i++) {
      const d = classes[i]!;
      const expected = Float32Array.from(perClass[d]!.slice(next[d]! * 784, ++next[d]! * 784));
      for (let p = 0; p < 784; p++) if (pixels[i * 784 + p] !== expected[p]) mismatches++;
    }
    expect(mismatches).toBe(0);
    expect(next).toEqual(perClass.map((raw) => raw.length / 784));
    // Interleaved: the first ten digits are one of each class, in order.
    expect([...classes.slice(0, 10)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('a limit takes a prefix of the same order', () => {
    const all = loadEmbeddedMnist({ device: 'cpu' });
    const some = loadEmbeddedMnist({ limit: 25, device: 'cpu' });
    expect(some.images.shape).toEqual([25, 1, 28, 28]);
    expect([...some.labels.dataSync()]).toEqual([...all.labels.dataSync().slice(0, 25)]);
    expect([...some.images.dataSync()]).toEqual([...all.images.dataSync().slice(0, 25 * 784)]);
  });
});
