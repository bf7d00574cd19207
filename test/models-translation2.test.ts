// The multi-domain, layout, text and multimodal translation GANs (models/stargan.ts, ...): their
// losses against a recomputation by hand at lr 0, their conditioning inputs and their samples.
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { loadEmbeddedMnist } from '../src/node.js';
import { taskRecord, type Stargan } from '../models/index.js';
import { l1 } from '../models/blocks/translation.js';
import { disposeHarness, harness, step } from './setup/models.js';

const values = (t: Tensor) => Array.from(t.dataSync());
const digits = loadEmbeddedMnist({ limit: 8 }).images;

describe('stargan', () => {
  const record = () => taskRecord('attributes', digits, 0, [-1, 1]);

  it('G(x, c) sees the image and c one-hot as k constant planes', () => {
    T.manualSeed(0);
    const h = harness('stargan', 'cpu', { config: { width: 4, blocks: 1 } });
    const model = h.model as Stargan;
    const x = T.slice(record().images!, [{ stop: 2 }]);
    const planes = new Float32Array(2 * 5 * 784);
    // Example 0 to domain 3, example 1 to domain 0.
    planes.fill(1, (0 * 5 + 3) * 784, (0 * 5 + 4) * 784);
    planes.fill(1, (1 * 5 + 0) * 784, (1 * 5 + 1) * 784);
    const input = T.cat([x, T.tensor(planes, { shape: [2, 5, 28, 28] })], 1);
    const c = T.tensor(Int32Array.from([3, 0]), { shape: [2], dtype: 'int32' });
    expect(values(model.translate(x, c))).toEqual(values(model.generator.forward(input)));
    const judged = model.discriminator.forward(x);
    expect([judged.source.shape, judged.domains.shape]).toEqual([[2, 1, 7, 7], [2, 5]]);
    disposeHarness(h);
  });

  it('D: Wasserstein + CE on real domains (+ GP); G: -D_src(fake) + CE to the target + 10 cycle L1 back to c', async () => {
    const h = harness('stargan', 'cpu', { config: { width: 4, blocks: 1, criticSteps: 1 }, lr: 0 });
    const model = h.model as Stargan;
    const batch = record();
    const [x, c] = [batch.images!, batch.labels!];
    T.manualSeed(7);
    const losses = step(h, batch);
    // The step's first draw is the permutation of the labels that makes the targets.
    T.manualSeed(7);
    const target = T.indexSelect(c, 0, T.randperm(8));
    const fake = model.translate(x, target);
    const [real, judged] = [model.discriminator.forward(x), model.discriminator.forward(fake)];
    const cls = await T.crossEntropy(judged.domains, target).item();
    const rec = await l1(model.translate(fake, c), x).item();
    expect(Object.keys(losses)).toEqual(['cls', 'rec', 'd', 'g', 'gp']);
    expect(await losses.cls!.item()).toBeCloseTo(cls, 5);
    expect(await losses.rec!.item()).toBeCloseTo(rec, 5);
    expect(await losses.g!.item()).toBeCloseTo(-(await T.mean(judged.source).item()) + cls + 10 * rec, 4);
    const d = (await T.mean(judged.source).item()) - (await T.mean(real.source).item()) + (await T.crossEntropy(real.domains, c).item());
    expect(await losses.d!.item()).toBeCloseTo(d, 4);
    expect(await losses.gp!.item()).toBeGreaterThan(0);
    disposeHarness(h);
  });

  it('samples translate the i-th source to domain i mod 5; the preview is rows of images, then a row per domain', () => {
    T.manualSeed(1);
    const h = harness('stargan', 'cpu', { config: { width: 4, blocks: 1 } });
    const model = h.model as Stargan;
    const batch = record();
    const expected = T.noGrad(() => {
      model.eval();
      const y = model.translate(T.slice(batch.images!, [{ stop: 7 }]), T.tensor(Int32Array.from([0, 1, 2, 3, 4, 0, 1]), { shape: [7], dtype: 'int32' }));
      model.train();
      return values(y);
    });
    expect(values(model.sample(7, { sources: batch }))).toEqual(expected);
    // A batch of 16: a row of 8 images, then their row in the first domain (thick).
    const sixteen = taskRecord('attributes', loadEmbeddedMnist({ limit: 16 }).images, 0, [-1, 1]).images!;
    const picture = model.preview({ images: sixteen });
    expect(picture.shape).toEqual([16, 1, 28, 28]);
    const eight = T.slice(sixteen, [{ stop: 8 }]);
    const thick = T.noGrad(() => { model.eval(); const y = model.translate(eight, T.zeros([8], { dtype: 'int32' })); model.train(); return y; });
    expect(values(T.slice(picture, [{ stop: 8 }]))).toEqual(values(eight));
    expect(values(T.slice(picture, [{ start: 8 }]))).toEqual(values(thick));
    disposeHarness(h);
  });
});
