// The multimodal, instance-aware and layout translation GANs (models/bicyclegan.ts, ...): their
// losses against a recomputation by hand at lr 0, which part of the model each term trains, their
// samples. (test/wasm-models.test.ts checks their training steps on wasm against the CPU.)
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { loadEmbeddedMnist } from '../src/node.js';
import { Bicyclegan, ObjectNorm, boxMasks, contextLoss, instanceUnion, lsganCritic, lsganGenerator, taskRecord, type Batch, type Instagan, type Instances, type Lostgan } from '../models/index.js';
import { l1 } from '../models/blocks/translation.js';
import { disposeHarness, harness, step } from './setup/models.js';

const values = (t: Tensor) => Array.from(t.dataSync());
const digits = loadEmbeddedMnist({ limit: 8 }).images;
const num = (t: Tensor) => t.dataSync()[0]!;

describe('bicyclegan', () => {
  const record = () => taskRecord('edges', digits, 0, [-1, 1]);
  const small = { width: 4, zDim: 3 };
  const halfOf = (x: Tensor, i: number) => T.slice(x, [{ start: 4 * i, stop: 4 * i + 4 }]);
  /** A step's forward pass redone from the same seed: its draws in order are ε of the reparameterisation, then the cLR-GAN's codes. */
  const replay = (model: Bicyclegan, batch: Batch) => {
    const [a, b1, b2] = [halfOf(batch.source!, 0), halfOf(batch.target!, 0), halfOf(batch.target!, 1)];
    const { mu, logVar } = model.encoder.forward(b1);
    const eps = T.randn([4, 3]);
    const rebuilt = model.translate(a, T.add(mu, T.mul(T.exp(T.mul(logVar, 0.5)), eps)));
    const z = T.randn([4, 3]);
    return { b1, b2, mu, logVar, rebuilt, z, drawn: model.translate(a, z) };
  };

  it('G(A, z) sees the source and z as zDim constant planes', () => {
    T.manualSeed(0);
    const h = harness('bicyclegan', 'cpu', { config: small });
    const model = h.model as Bicyclegan;
    const a = T.slice(record().source!, [{ stop: 2 }]);
    const z = T.tensor([0.5, -1, 2, 0, 3, -0.25], { shape: [2, 3] });
    const planes = new Float32Array(2 * 3 * 784);
    [0.5, -1, 2, 0, 3, -0.25].forEach((v, k) => planes.fill(v, k * 784, (k + 1) * 784));
    const expected = model.generator.forward(T.cat([a, T.tensor(planes, { shape: [2, 3, 28, 28] })], 1));
    expect(values(model.translate(a, z))).toEqual(values(expected));
    const { mu, logVar } = model.encoder.forward(a);
    expect([mu.shape, logVar.shape]).toEqual([[2, 3], [2, 3]]);
    disposeHarness(h);
  });

  it('cVAE-GAN + cLR-GAN on the two halves: 10 L1 + 0.01 KL + 0.5 latent L1 + LSGAN, against a recomputation', () => {
    const h = harness('bicyclegan', 'cpu', { config: small, lr: 0 });
    const model = h.model as Bicyclegan;
    const batch = record();
    T.manualSeed(5);
    const losses = step(h, batch);
    expect(Object.keys(losses)).toEqual(['l1', 'kl', 'latent', 'd', 'g']);
    T.manualSeed(5);
    const { b1, b2, mu, logVar, rebuilt, z, drawn } = replay(model, batch);
    const rec = num(T.mean(T.abs(T.sub(rebuilt, b1))));
    // KL(N(μ, σ²) || N(0, 1)) = ½(μ² + σ² - 1 - log σ²), summed over z, averaged over the examples.
    const [m, lv] = [values(mu), values(logVar)];
    const kl = m.reduce((s, v, i) => s + 0.5 * (v * v + Math.exp(lv[i]!) - 1 - lv[i]!), 0) / 4;
    const latent = num(l1(model.encoder.forward(drawn).mu, z));
    expect(num(losses.l1!)).toBeCloseTo(rec, 5);
    expect(num(losses.kl!)).toBeCloseTo(kl, 5);
    expect(num(losses.latent!)).toBeCloseTo(latent, 5);
    const [fakeVae, fakeLr] = [model.criticVae.forward(rebuilt), model.criticLr.forward(drawn)];
    const g = num(lsganGenerator(fakeVae)) + num(lsganGenerator(fakeLr)) + 10 * rec + 0.01 * kl + 0.5 * latent;
    expect(num(losses.g!)).toBeCloseTo(g, 4);
    const d = num(lsganCritic(model.criticVae.forward(b1), fakeVae)) + num(lsganCritic(model.criticLr.forward(b2), fakeLr));
    expect(num(losses.d!)).toBeCloseTo(d, 4);
    disposeHarness(h);
  });

  it('the latent regression trains G only: E\'s gradient is that of the other terms, G\'s that of all', () => {
    const h = harness('bicyclegan', 'cpu', { config: small, lr: 0 });
    const model = h.model as Bicyclegan;
    const batch = record();
    T.manualSeed(6);
    step(h, batch);
    const encoderGrads = model.encoder.parameters().map((p) => values(p.grad!));
    const generatorGrads = model.generator.parameters().map((p) => values(p.grad!));
    T.manualSeed(6);
    const { b1, mu, logVar, rebuilt, z, drawn } = replay(model, batch);
    const rest = T.add(T.add(lsganGenerator(model.criticVae.forward(rebuilt)), lsganGenerator(model.criticLr.forward(drawn))),
      T.add(T.mul(l1(rebuilt, b1), 10), T.mul(T.klDivGaussian(mu, logVar), 0.01)));
    const latent = T.mul(l1(model.encoder.forward(drawn).mu, z), 0.5);
    const eParams = model.encoder.parameters();
    const gParams = model.generator.parameters();
    const eExpected = T.gradients(rest, eParams);
    const gExpected = T.gradients(T.add(rest, latent), gParams);
    const close = (got: number[], want: Tensor) => values(want).forEach((v, i) => expect(got[i]!).toBeCloseTo(v, 5));
    eExpected.forEach((g, i) => close(encoderGrads[i]!, g!));
    gExpected.forEach((g, i) => close(generatorGrads[i]!, g!));
    // And the latent term does reach E when E is not frozen: the rule is not vacuous.
    const withLatent = T.gradients(latent, [model.encoder.mean.weight])[0]!;
    expect(values(withLatent).some((v) => Math.abs(v) > 1e-6)).toBe(true);
    disposeHarness(h);
  });

  it('one input, many outputs: fresh codes give different translations; the preview rows are source, 6 outputs, target', () => {
    T.manualSeed(2);
    const h = harness('bicyclegan', 'cpu', { config: small });
    const model = h.model as Bicyclegan;
    const batch = record();
    const one = { source: T.cat(Array.from({ length: 3 }, () => T.slice(batch.source!, [{ stop: 1 }])), 0) };
    const drawn = model.sample(3, { sources: one });
    expect(drawn.shape).toEqual([3, 1, 28, 28]);
    const [x0, x1] = [values(T.slice(drawn, [{ stop: 1 }])), values(T.slice(drawn, [{ start: 1, stop: 2 }]))];
    expect(x0).not.toEqual(x1);
    const sixteen = taskRecord('edges', loadEmbeddedMnist({ limit: 16 }).images, 0, [-1, 1]);
    const picture = model.preview(sixteen);
    expect(picture.shape).toEqual([16, 1, 28, 28]);
    const image = (t: Tensor, i: number) => values(T.slice(t, [{ start: i, stop: i + 1 }]));
    expect(image(picture, 0)).toEqual(image(sixteen.source!, 0));
    expect(image(picture, 7)).toEqual(image(sixteen.target!, 0));
    expect(image(picture, 8)).toEqual(image(sixteen.source!, 1));
    expect(image(picture, 15)).toEqual(image(sixteen.target!, 1));
    expect(image(picture, 1)).not.toEqual(image(picture, 2));
    expect(() => step(h, { source: T.slice(batch.source!, [{ stop: 1 }]), target: T.slice(batch.target!, [{ stop: 1 }]) })).toThrow(/bicyclegan: a batch needs at least 2 pairs.*\[1, 1, 28, 28\]/);
    disposeHarness(h);
  });
});

describe('instagan', () => {
  const record = () => taskRecord('instances', digits, 0, [-1, 1]);
  const small = { width: 4, poolSize: 4 };
  const swapped = (m: Tensor) => T.cat([T.slice(m, [{}, { start: 1, stop: 2 }]), T.slice(m, [{}, { stop: 1 }])], 1);

  it('the instances are a set: swapping their order swaps the output masks and leaves the image', () => {
    T.manualSeed(0);
    const h = harness('instagan', 'cpu', { config: small });
    const model = h.model as Instagan;
    const { a, masksA } = record();
    const one = model.toB.forward({ image: a!, masks: masksA! });
    const other = model.toB.forward({ image: a!, masks: swapped(masksA!) });
    expect(one.masks.shape).toEqual([4, 2, 28, 28]);
    const close = (got: Tensor, want: Tensor) => expect(num(T.max(T.abs(T.sub(got, want))))).toBeLessThan(1e-5);
    close(other.image, one.image);
    close(other.masks, swapped(one.masks));
    expect(values(one.masks).every((v) => v > 0 && v < 1)).toBe(true);
    const judged = model.criticB.forward({ image: a!, masks: masksA! });
    expect(judged.shape).toEqual([4, 1, 7, 7]);
    close(model.criticB.forward({ image: a!, masks: swapped(masksA!) }), judged);
    disposeHarness(h);
  });

  it('context preservation: |x - y| counted only where no instance is, before or after', () => {
    // One 1x4 image: pixel 0 in instance 0 of x, pixel 1 in instance 1 of y, pixel 2 half inside y's, pixel 3 free.
    const x = { image: T.tensor([1, 1, 1, 1], { shape: [1, 1, 1, 4] }), masks: T.tensor([1, 0, 0, 0, 0, 0, 0, 0], { shape: [1, 2, 1, 4] }) };
    const y = { image: T.tensor([-1, -1, 0, 0.5], { shape: [1, 1, 1, 4] }), masks: T.tensor([0, 0, 0, 0, 0, 1, 0.5, 0], { shape: [1, 2, 1, 4] }) };
    expect(num(contextLoss(x, y))).toBeCloseTo((0 + 0 + 0.5 * 1 + 0.5) / 4, 6);
    expect(values(instanceUnion(y.masks))).toEqual([0, 1, 0.5, 0]);
  });

  it('LSGAN + 10 cycle + 10 identity (images and masks) + 10 context, against a recomputation', () => {
    const h = harness('instagan', 'cpu', { config: small, lr: 0 });
    const model = h.model as Instagan;
    const batch = record();
    const losses = step(h, batch);
    expect(Object.keys(losses)).toEqual(['cycle', 'context', 'd', 'g']);
    const a = { image: batch.a!, masks: batch.masksA! };
    const b = { image: batch.b!, masks: batch.masksB! };
    const pair = (x: Instances, y: Instances) => num(l1(x.image, y.image)) + num(l1(x.masks, y.masks));
    const [fakeB, fakeA] = [model.toB.forward(a), model.toA.forward(b)];
    const cycle = pair(model.toA.forward(fakeB), a) + pair(model.toB.forward(fakeA), b);
    const identity = pair(model.toB.forward(b), b) + pair(model.toA.forward(a), a);
    const context = num(contextLoss(a, fakeB)) + num(contextLoss(b, fakeA));
    expect(num(losses.cycle!)).toBeCloseTo(cycle, 5);
    expect(num(losses.context!)).toBeCloseTo(context, 5);
    const [dB, dA] = [model.criticB.forward(fakeB), model.criticA.forward(fakeA)];
    expect(num(losses.g!)).toBeCloseTo(num(lsganGenerator(dB)) + num(lsganGenerator(dA)) + 10 * (cycle + identity + context), 4);
    // The pools are empty at step 0, so D sees this step's fakes.
    const d = num(lsganCritic(model.criticB.forward(b), dB)) + num(lsganCritic(model.criticA.forward(a), dA));
    expect(num(losses.d!)).toBeCloseTo(d, 4);
    disposeHarness(h);
  });

  it('samples are G\'s images of the given canvases; the preview is a, G(a), its masks, b, F(b), its masks', () => {
    T.manualSeed(1);
    const h = harness('instagan', 'cpu', { config: small });
    const model = h.model as Instagan;
    const batch = record();
    const expected = T.noGrad(() => {
      model.eval();
      const y = model.toB.forward({ image: T.slice(batch.a!, [{ stop: 3 }]), masks: T.slice(batch.masksA!, [{ stop: 3 }]) }).image;
      model.train();
      return values(y);
    });
    expect(values(model.sample(3, { sources: batch }))).toEqual(expected);
    const picture = model.preview(batch);
    expect(picture.shape).toEqual([8, 1, 28, 28]);
    expect(values(T.slice(picture, [{ stop: 4 }]))).toEqual(values(batch.a!));
    disposeHarness(h);
  });
});

describe('lostgan', () => {
  const { images: eight, labels } = loadEmbeddedMnist({ limit: 8 });
  const record = () => taskRecord('layouts', eight, 0, [-1, 1], labels);
  const small = { width: 2, zDim: 8, styleDim: 4 };

  it('box masks: the pixels whose centres lie in the box, at any resolution', () => {
    const boxes = T.tensor([0.25, 0.5, 0.75, 1], { shape: [1, 1, 4] });
    const at4 = values(boxMasks(boxes, 4));
    expect(at4).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0]);
    expect(values(T.sum(boxMasks(boxes, 48))).at(0)).toBe(24 * 24);
  });

  it('object-wise adaptive norm: BN(x) · (1 + γ) + β, γ and β the mean of the covering objects\' W s_k, 0 outside', () => {
    const layer = new ObjectNorm(1, 2);
    T.noGrad(() => {
      layer.gamma.weight.assign_(T.tensor([[1, 0]]));
      layer.beta.weight.assign_(T.tensor([[0, 1]]));
      layer.gamma.bias!.assign_(T.zeros([1]));
      layer.beta.bias!.assign_(T.zeros([1]));
    });
    // One 1x3 image; object 0 (γ 2, β -1) covers pixels 0 and 1, object 1 (γ 4, β 3) pixels 1 and 2... and a second image with no objects.
    const styles = T.tensor([2, -1, 4, 3, 0, 0, 0, 0], { shape: [2, 2, 2] });
    const masks = T.tensor([1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0], { shape: [2, 2, 1, 3] });
    const xs = [1, 2, 4, -1, 0, 3];
    const out = values(layer.forward(T.tensor(xs, { shape: [2, 1, 1, 3] }), styles, masks));
    const mean = xs.reduce((s, v) => s + v) / 6;
    const sd = Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / 6 + 1e-5);
    const [gamma, beta] = [[2, 3, 4, 0, 0, 0], [-1, 1, 3, 0, 0, 0]];
    out.forEach((v, i) => expect(v).toBeCloseTo(((xs[i]! - mean) / sd) * (1 + gamma[i]!) + beta[i]!, 4));
  });

  it('the object head: ROI-align of each box on the 12x12 features, ψ(h) + ⟨embed(c), h⟩; hinge losses weighted 0.1 image + 1 object, against a recomputation', () => {
    const h = harness('lostgan', 'cpu', { config: small, lr: 0 });
    const model = h.model as Lostgan;
    const d = model.discriminator;
    const batch = record();
    const [x, boxes, classes] = [batch.images!, batch.boxes!, batch.classes!];
    // The same boxes as per-image [3, 4] lists in 12x12 feature pixels.
    const features = d.objectTrunk.forward(x);
    const perImage = Array.from({ length: 8 }, (_, i) => T.mul(T.reshape(T.slice(boxes, [{ start: i, stop: i + 1 }]), [3, 4]), 12));
    const pooled = T.roiAlign(features, perImage, [4, 4], { samplingRatio: 2 });
    const feats = T.sum(T.leakyRelu(d.objectConv.forward(pooled), 0.2), [2, 3]);
    const logits = T.add(T.reshape(d.objectHead.forward(feats), [24]), T.sum(T.mul(d.classEmbedding.forward(T.reshape(classes, [24])), feats), 1));
    expect(num(T.max(T.abs(T.sub(d.judgeObjects(x, boxes, classes), logits))))).toBeLessThan(1e-5);

    T.manualSeed(8);
    const losses = step(h, batch);
    expect(Object.keys(losses)).toEqual(['objects', 'd', 'g']);
    T.manualSeed(8);
    const fake = model.generate(boxes, classes);
    const hinge = (real: Tensor, forged: Tensor) => num(T.mean(T.relu(T.sub(1, real)))) + num(T.mean(T.relu(T.add(1, forged))));
    const [objReal, objFake] = [d.judgeObjects(x, boxes, classes), d.judgeObjects(fake, boxes, classes)];
    const [imgReal, imgFake] = [d.judgeImage(x), d.judgeImage(fake)];
    expect(num(losses.objects!)).toBeCloseTo(-num(T.mean(objFake)), 4);
    expect(num(losses.g!)).toBeCloseTo(-0.1 * num(T.mean(imgFake)) - num(T.mean(objFake)), 4);
    expect(num(losses.d!)).toBeCloseTo(0.1 * hinge(imgReal, imgFake) + hinge(objReal, objFake), 4);
    disposeHarness(h);
  });

  it('samples draw the given layouts at 48 px, fresh codes each time; the preview rows are layouts, canvases, real canvases', () => {
    T.manualSeed(3);
    const h = harness('lostgan', 'cpu', { config: small });
    const model = h.model as Lostgan;
    const batch = record();
    const [first, second] = [model.sample(3, { sources: batch }), model.sample(3, { sources: batch })];
    expect(first.shape).toEqual([3, 1, 48, 48]);
    expect(values(first)).not.toEqual(values(second));
    const picture = model.preview(batch);
    expect(picture.shape).toEqual([8, 1, 48, 48]);
    const drawn = values(T.slice(picture, [{ stop: 1 }]));
    const inside = values(T.max(boxMasks(T.slice(batch.boxes!, [{ stop: 1 }]), 48), 1, true));
    expect(drawn).toEqual(inside.map((v) => 2 * v - 1));
    disposeHarness(h);
  });
});
