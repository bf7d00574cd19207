// The image-to-image GANs (models/pix2pix.ts, ...) and their shared blocks: the U-Net's and the
// PatchGAN's shapes, the kept sources `sample` translates, the preview's rows, the losses against
// a hand computation, and `genlab train` making their records from a task (resuming exactly).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { loadEmbeddedMnist } from '../src/node.js';
import { lsganCritic, lsganGenerator, taskRecord, type Cyclegan, type Pix2pix } from '../models/index.js';
import { PatchDiscriminator, ReplayBuffer, SourceBank, UNet28, l1, tripletRows } from '../models/blocks/translation.js';
import { harness, disposeHarness, step } from './setup/models.js';
import { train } from '../src/cli/train.js';
import { evaluableModel } from '../src/cli/eval-model.js';

const values = (t: Tensor) => Array.from(t.dataSync());
const digits = loadEmbeddedMnist({ limit: 8 }).images;
/** Images whose every pixel is its index, so slices can be told apart. */
const numbered = (n: number) => T.reshape(T.arange(0, n * 4, 1, { dtype: 'float32' }), [n, 1, 2, 2]);

describe('translation blocks', () => {
  it('the U-Net maps [N, C, 28, 28] to [N, 1, 28, 28] through 14 and 7, and every output pixel depends on the input', () => {
    T.manualSeed(0);
    const net = new UNet28(3, 4);
    const x = T.randn([2, 3, 28, 28]).requiresGrad_(true);
    const y = net.forward(x);
    expect(y.shape).toEqual([2, 1, 28, 28]);
    expect(net.down2.forward(net.down1.forward(x)).shape).toEqual([2, 8, 7, 7]);
    // The skips carry the input straight across: a corner output pixel sees the corner input pixel.
    T.sum(T.slice(y, [{ stop: 1 }, {}, { stop: 1 }, { stop: 1 }])).backward();
    expect(Math.abs(values(x.grad!)[0]!)).toBeGreaterThan(0);
    expect(new PatchDiscriminator(2, 4).forward(T.randn([3, 2, 28, 28])).shape).toEqual([3, 1, 7, 7]);
  });

  it('the source bank keeps the last batch repeated to its size and cycles through it', () => {
    const bank = new SourceBank(5, [1, 2, 2]);
    bank.remember(numbered(2));
    const kept = values(bank.take(7)).filter((_, i) => i % 4 === 0);
    expect(kept).toEqual([0, 4, 0, 4, 0, 0, 4]);
  });

  it('the preview rows cycle (source, output, target) by groups of columns, cut to N', () => {
    const [s, o, t] = [numbered(5), T.add(numbered(5), 100), T.add(numbered(5), 200)];
    const first = (x: Tensor) => values(x).filter((_, i) => i % 4 === 0);
    expect(first(tripletRows([s, o, t], 2))).toEqual([0, 4, 100, 104, 200]);
    expect(first(tripletRows([s, o, t], 8))).toEqual([0, 4, 8, 12, 16]);
  });
});

describe('pix2pix', () => {
  const record = () => taskRecord('edges', digits, 0, [-1, 1]);

  it('G loss = BCE(D(x, G(x)) -> 1) + 100 L1, the L1 reported first; D loss halved', async () => {
    T.manualSeed(1);
    const h = harness('pix2pix', 'cpu', { config: { width: 4 }, lr: 0 });
    const model = h.model as Pix2pix;
    const batch = record();
    // lr 0: the step leaves the weights, so its losses can be recomputed after it.
    const losses = step(h, batch);
    const fake = model.translate(batch.source!);
    const fakeLogits = model.judge(batch.source!, fake);
    const realLogits = model.judge(batch.source!, batch.target!);
    const distance = await l1(fake, batch.target!).item();
    expect(await losses.l1!.item()).toBeCloseTo(distance, 5);
    expect(await losses.g!.item()).toBeCloseTo(await T.bceWithLogits(fakeLogits, T.onesLike(fakeLogits)).item() + 100 * distance, 3);
    const dLoss = (await T.bceWithLogits(realLogits, T.onesLike(realLogits)).item() + await T.bceWithLogits(fakeLogits, T.zerosLike(fakeLogits)).item()) / 2;
    expect(await losses.d!.item()).toBeCloseTo(dLoss, 4);
    disposeHarness(h);
  });

  it('samples translate the kept sources; the preview shows sources, outputs and targets', async () => {
    T.manualSeed(2);
    const h = harness('pix2pix', 'cpu', { config: { width: 4 } });
    const model = h.model as Pix2pix;
    const batch = record();
    for (const l of Object.values(step(h, batch))) l.dispose();
    const expected = T.noGrad(() => { model.eval(); const y = model.translate(T.slice(batch.source!, [{ stop: 3 }])); model.train(); return y; });
    expect(values(model.sample(11)).slice(0, 3 * 784)).toEqual(values(expected));
    const picture = model.preview(batch);
    expect(picture.shape).toEqual([8, 1, 28, 28]);
    expect(values(T.slice(picture, [{ stop: 3 }]))).toEqual(values(T.slice(batch.source!, [{ stop: 3 }])));
    disposeHarness(h);
  });

  it('a few steps on one batch bring the outputs closer to the targets', async () => {
    T.manualSeed(3);
    const h = harness('pix2pix', 'cpu', { config: { width: 8 }, lr: 1e-2 });
    const batch = record();
    const l1s: number[] = [];
    for (let i = 0; i < 8; i++) {
      const losses = step(h, batch);
      l1s.push(await losses.l1!.item());
      for (const l of Object.values(losses)) l.dispose();
    }
    expect(l1s[7]!).toBeLessThan(0.8 * l1s[0]!);
    disposeHarness(h);
  });
});

describe('cyclegan', () => {
  it('the replay buffer: fills first (fakes shown as they are), then each fake swaps a random slot with probability ½', async () => {
    // While filling: slots take the fakes in order, every fake is shown.
    expect(ReplayBuffer.choose(4, 1, 2, 0)).toEqual({ shown: [4, 5], slots: [0, 4, 5, 3], filled: 3 });
    // Full: each fake is shown itself or, swapping, a stored image whose slot it takes.
    let swaps = 0;
    for (let seed = 0; seed < 200; seed++) {
      const { shown, slots } = ReplayBuffer.choose(5, 5, 1, seed);
      if (shown[0] === 5) expect(slots).toEqual([0, 1, 2, 3, 4]);
      else {
        swaps++;
        expect(slots[shown[0]!]).toBe(5);
        expect(slots.filter((v, j) => v !== j)).toEqual([5]);
      }
    }
    expect(swaps).toBeGreaterThan(70);
    expect(swaps).toBeLessThan(130);
    // The tensors follow the indices: the pool keeps the fake, D sees the old image.
    const pool = new ReplayBuffer(2, [1, 2, 2]);
    const first = pool.query(numbered(2), 0, 0);
    expect(values(first)).toEqual(values(numbered(2)));
    const later = pool.query(T.add(numbered(1), 100), 2, 3);
    const { shown } = ReplayBuffer.choose(2, 2, 1, 3);
    expect(values(later)).toEqual(shown[0] === 2 ? values(T.add(numbered(1), 100)) : values(T.slice(numbered(2), [{ start: shown[0]!, stop: shown[0]! + 1 }])));
  });

  it('LSGAN: ½[(D(real) - 1)² + D(fake)²] for D, (D(fake) - 1)² for G', async () => {
    const [real, fake] = [T.tensor([1, 0.5]), T.tensor([0, 2])];
    expect(await lsganCritic(real, fake).item()).toBeCloseTo(0.5 * (0.125 + 2), 6);
    expect(await lsganGenerator(fake).item()).toBeCloseTo(1, 6);
  });

  it('a step reports the cycle L1 first; G and F map [N, 1, 28, 28] to itself; sample translates kept a', async () => {
    T.manualSeed(4);
    const h = harness('cyclegan', 'cpu', { config: { width: 4, blocks: 1, task: 'thick' } });
    const model = h.model as Cyclegan;
    const batch = taskRecord('thick', digits, 0, [-1, 1]);
    const losses = step(h, batch);
    expect(Object.keys(losses)).toEqual(['cycle', 'd', 'g']);
    expect(await losses.cycle!.item()).toBeGreaterThan(0);
    expect(model.toB.forward(batch.a!).shape).toEqual([4, 1, 28, 28]);
    const expected = T.noGrad(() => { model.eval(); const y = model.toB.forward(batch.a!); model.train(); return y; });
    expect(values(model.sample(4))).toEqual(values(expected));
    disposeHarness(h);
  });
});

describe('sample(n, { sources })', () => {
  it('translates the first n sources of a given record; genlab eval walks the held-out digits in order', async () => {
    T.manualSeed(5);
    const h = harness('pix2pix', 'cpu', { config: { width: 4 } });
    const model = h.model as Pix2pix;
    const held = loadEmbeddedMnist({ limit: 6 }).images;
    const translated = (record: Record<string, Tensor>, n: number) =>
      T.noGrad(() => { model.eval(); const y = model.translate(T.slice(record.source!, [{ stop: n }])); model.train(); return values(y); });
    const record = taskRecord('edges', held, 0, [-1, 1]);
    expect(values(model.sample(3, { sources: record }))).toEqual(translated(record, 3));
    expect(() => model.sample(7, { sources: record })).toThrow(/pix2pix: sample's sources.source: 7 rows asked for/);
    // The evaluable model's two calls: digits 0-2, then 3-5, each record seeded by its window's start.
    const evaluable = evaluableModel(h.entry, model, h.entry.config, 'cpu', undefined, held);
    const [first, second] = [await evaluable.generate(3), await evaluable.generate(3)];
    const unit = (v: number[]) => v.map((x) => Math.min(1, Math.max(0, (x + 1) / 2)));
    const window = (start: number) => taskRecord('edges', T.cat([T.slice(held, [{ start }]), T.slice(held, [{ stop: start }])], 0), start, [-1, 1]);
    expect(values(first)).toEqual(unit(translated(window(0), 3)).map((x) => Math.fround(x)));
    expect(values(second)).toEqual(unit(translated(window(3), 3)).map((x) => Math.fround(x)));
    // cyclegan reads domain a: the first half of each window.
    const c = harness('cyclegan', 'cpu', { config: { width: 4, blocks: 1 } });
    const pair = taskRecord('inverted', held, 0, [-1, 1]);
    const expected = T.noGrad(() => { c.model.eval(); const y = (c.model as Cyclegan).toB.forward(pair.a!); c.model.train(); return values(y); });
    expect(values(c.model.sample(3, { sources: pair }))).toEqual(expected);
    disposeHarness(h);
    disposeHarness(c);
  });
});

describe('genlab train on a task', () => {
  it('makes the records from the images by step, so a resumed pix2pix run ends with the same weights', async () => {
    const tmp = () => mkdtempSync(join(tmpdir(), 'genlab-translation-'));
    const [straight, first] = [tmp(), tmp()];
    const common = { model: 'pix2pix', device: 'cpu', batch: 4, limit: 16, sampleEvery: 0, config: { width: '4' } };
    expect(await train({ ...common, steps: 4, out: straight })).toBe(0);
    expect(await train({ ...common, steps: 2, out: first })).toBe(0);
    expect(await train({ model: 'pix2pix', device: 'cpu', steps: 4, sampleEvery: 0, resume: join(first, 'checkpoint') })).toBe(0);
    const bytes = (dir: string) => readFileSync(join(dir, 'checkpoint', 'model.safetensors'));
    expect(bytes(first).equals(bytes(straight))).toBe(true);
  });
});
