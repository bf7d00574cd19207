// The multimodal, instance-aware and layout translation GANs (models/bicyclegan.ts, ...): their
// losses against a recomputation by hand at lr 0, which part of the model each term trains, their
// samples. (test/wasm-models.test.ts checks their training steps on wasm against the CPU.)
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { loadEmbeddedMnist } from '../src/node.js';
import { Bicyclegan, lsganCritic, lsganGenerator, taskRecord, type Batch } from '../models/index.js';
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
