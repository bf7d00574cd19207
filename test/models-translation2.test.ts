// The multi-domain, layout, text and multimodal translation GANs (models/stargan.ts, ...): their
// losses against a recomputation by hand at lr 0, their conditioning inputs and their samples.
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { loadEmbeddedMnist } from '../src/node.js';
import { Spade, featureMatching, hingeDiscriminatorLoss, patchFeatures, taskRecord, type SpadeGan, type Stargan } from '../models/index.js';
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

describe('spade', () => {
  const record = () => taskRecord('label-map', digits, 0, [-1, 1]);

  it('SPADE(x, m) = (x - μ)/σ · (1 + γ(m)) + β(m), m resized by nearest, against a hand computation', () => {
    const layer = new Spade(1, 2, 2);
    // The shared conv copies label k to hidden channel k (centre tap); γ = 0.5 m0 - 1 m1, β = 2 m0 + 3 m1.
    const centre = (rows: number[][]) => {
      const w = new Float32Array(rows.length * rows[0]!.length * 9);
      rows.forEach((row, o) => row.forEach((v, i) => (w[(o * row.length + i) * 9 + 4] = v)));
      return T.tensor(w, { shape: [rows.length, rows[0]!.length, 3, 3] });
    };
    T.noGrad(() => {
      (layer.shared.at(0) as T.nn.Conv2d).weight.assign_(centre([[1, 0], [0, 1]]));
      layer.gamma.weight.assign_(centre([[0.5, -1]]));
      layer.beta.weight.assign_(centre([[2, 3]]));
      for (const conv of [(layer.shared.at(0) as T.nn.Conv2d), layer.gamma, layer.beta]) conv.bias!.assign_(T.zerosLike(conv.bias!));
    });
    const xs = [1, 2, 3, 4, -1, 0, 5, 2];
    const x = T.tensor(xs, { shape: [2, 1, 2, 2] });
    // A 4x4 map whose pixel (2i, 2j) decides the 2x2 one: class 0 on the even rows and columns of example 0 only.
    const map = new Float32Array(2 * 2 * 16);
    const label0 = [[1, 0, 1, 0], [0, 0, 0, 0]];
    for (let n = 0; n < 2; n++) for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) {
      const isZero = (r % 2 === 0 && c % 2 === 0 && label0[n]![(r / 2) * 2 + c / 2] === 1) ? 1 : 0;
      map[(n * 2 + 0) * 16 + r * 4 + c] = isZero;
      map[(n * 2 + 1) * 16 + r * 4 + c] = 1 - isZero;
    }
    const out = values(layer.forward(x, T.tensor(map, { shape: [2, 2, 4, 4] })));
    const mean = xs.reduce((a, b) => a + b) / 8;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / 8 + 1e-5);
    const expected = xs.map((v, i) => {
      const zero = [1, 0, 1, 0, 0, 0, 0, 0][i]!;
      return ((v - mean) / sd) * (1 + (zero ? 0.5 : -1)) + (zero ? 2 : 3);
    });
    out.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 4));
  });

  it('D: hinge at both scales; G: -Σ_s D_s(m, G) + 10 feature matching over the hidden layers', async () => {
    const h = harness('spade', 'cpu', { config: { width: 4, hidden: 4, zDim: 8 }, lr: 0 });
    const model = h.model as SpadeGan;
    const batch = record();
    const [m, x] = [batch.labelMap!, batch.images!];
    T.manualSeed(3);
    const losses = step(h, batch);
    T.manualSeed(3);
    const fake = model.generate(m);
    const [real, forged] = [model.judge(m, x), model.judge(m, fake)];
    expect(forged.map((f) => f.map((t) => t.shape[2]))).toEqual([[14, 7, 7], [7, 3, 3]]);
    let fm = 0;
    for (let s = 0; s < 2; s++) for (let i = 0; i < 2; i++) fm += (await T.mean(T.abs(T.sub(forged[s]![i]!, real[s]![i]!))).item()) / 2;
    expect(await featureMatching(real, forged).item()).toBeCloseTo(fm, 5);
    expect(await losses.fm!.item()).toBeCloseTo(fm, 5);
    const logit = (f: Tensor[]) => f[2]!;
    const g = -(await T.mean(logit(forged[0]!)).item()) - (await T.mean(logit(forged[1]!)).item()) + 10 * fm;
    expect(await losses.g!.item()).toBeCloseTo(g, 4);
    let d = 0;
    for (let s = 0; s < 2; s++) d += await hingeDiscriminatorLoss(logit(real[s]!), logit(forged[s]!)).item();
    expect(await losses.d!.item()).toBeCloseTo(d, 4);
    expect(patchFeatures(model.critics.at(0), T.cat([m, x], 1)).length).toBe(3);
    disposeHarness(h);
  });

  it('samples: fresh z for the given maps (one map, many digits); the preview draws the map first', () => {
    T.manualSeed(4);
    const h = harness('spade', 'cpu', { config: { width: 4, hidden: 4, zDim: 8 } });
    const model = h.model as SpadeGan;
    const batch = record();
    const [first, second] = [model.sample(3, { sources: batch }), model.sample(3, { sources: batch })];
    expect(first.shape).toEqual([3, 1, 28, 28]);
    expect(values(first)).not.toEqual(values(second));
    const picture = model.preview(batch);
    expect(picture.shape).toEqual([8, 1, 28, 28]);
    const m = batch.labelMap!;
    expect(values(picture).slice(0, 784)).toEqual(values(T.sub(T.slice(m, [{ stop: 1 }, { start: 1, stop: 2 }]), T.slice(m, [{ stop: 1 }, { stop: 1 }]))));
    disposeHarness(h);
  });
});
