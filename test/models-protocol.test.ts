// The training protocol, walked through by every registered model: build it, take one step on a
// tiny batch of the record it declares, sample, round-trip a checkpoint (model file only for
// sampling, model + optimizers for resuming), and sample the same images after loading. Also the
// shared training blocks' closed forms (gradient penalties, lazy regularisation, critic steps,
// EMA) and a checkpoint written before protocol v2.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { nn, optim } from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { loadCheckpoint, loadEmbeddedMnist, saveCheckpoint } from '../src/node.js';
import {
  adversarialRound, configOf, generatorOf, isEncoder, listModels, r1Penalty, taskRecord, updateEma, wganGradientPenalty, type Batch, type Model, type ModelEntry,
} from '../models/index.js';
import { loadModel } from '../src/cli/load-model.js';
import { CONFIG_KEY, MODEL_KEY, PROTOCOL_KEY, PROTOCOL_VERSION } from '../src/cli/shared.js';

const N = 8;
const NARROW = [4, 8, 8, 8];
/** Narrow configurations, so every model's walk takes seconds on a CPU. */
const SMALL: Record<string, object> = {
  'mlp-autoencoder': { hidden: 16, latent: 4 },
  autoencoder: { channels: NARROW },
  'denoising-ae': { channels: NARROW },
  vae: { channels: NARROW },
  dvae: { tokens: 8, embedding: 4, hidden: 4 },
  gan: { zDim: 8 },
  dcgan: { width: 4 },
  cgan: { width: 4 },
  acgan: { width: 4 },
  projgan: { width: 4 },
  contragan: { width: 4, embedDim: 8 },
  fgan: { width: 4 },
  sagan: { width: 4 },
  gmm: { components: 2, features: 4 },
  hmm: { states: 3 },
  rbm: { hidden: 16, sampleSteps: 3 },
  gsn: { hidden: 16, sampleSteps: 2 },
  ddpm: { width: 4, mults: [1, 2], groups: 2, heads: 1, steps: 2 },
  'latent-diffusion': { autoencoderWidth: 4, autoencoderSteps: 1, width: 8, groups: 4, heads: 1, steps: 2 },
  'latent-diffusion-text': { autoencoderWidth: 4, autoencoderSteps: 1, width: 8, groups: 4, heads: 1, steps: 2, embedDim: 4, textDim: 8 },
  realnvp: { width: 4, depth: 2 },
  glow: { width: 4, depth: 1 },
  pixelcnn: { width: 4, blocks: 1 },
  pixelrnn: { width: 4, layers: 1 },
  stylegan: { width: 2, mappingLayers: 1, zDim: 8, wDim: 8 },
  progan: { width: 2, zDim: 8 },
  'image-gpt': { width: 8, layers: 1, heads: 2 },
  simclr: { width: 4, projection: 8 },
  moco: { width: 4, projection: 8, queue: 16 },
  dino: { width: 4, prototypes: 16, bottleneck: 8, locals: 2 },
  transgan: { width: 4, zDim: 8, depths: [1, 1, 1], criticDepth: 1, heads: 1 },
  pix2pix: { width: 4 },
  cyclegan: { width: 4, blocks: 1 },
  stargan: { width: 4, blocks: 1, criticSteps: 1 },
  spade: { width: 4, hidden: 4, zDim: 8 },
  bicyclegan: { width: 4, zDim: 2 },
  'gan-cls': { width: 4, zDim: 8, embedDim: 4, textDim: 8, condDim: 4 },
  gigagan: { width: 4, zDim: 8, embedDim: 4, textDim: 8, wDim: 8, kernels: 2, heads: 2 },
  instagan: { width: 4, poolSize: 4 },
  lostgan: { width: 2, zDim: 8, styleDim: 4 },
};

/** A tiny batch of the record `entry` declares, in its data range: a task entry's from its task (models/tasks). */
function tinyBatch(entry: ModelEntry, config: object): Batch {
  const data = loadEmbeddedMnist({ limit: N });
  if (entry.task) {
    const record = taskRecord(entry.task(config), data.images, 0, entry.dataRange, data.labels);
    expect(Object.keys(record).sort()).toEqual([...entry.fields].sort());
    return record;
  }
  const [lo, hi] = entry.dataRange;
  const record: Record<string, Tensor> = {};
  for (const field of entry.fields) {
    if (field === 'images') record.images = T.add(T.mul(data.images, hi - lo), lo);
    else if (field === 'labels') record.labels = data.labels!;
    else throw new Error(`no tiny batch for the field '${field}': add one here`);
  }
  return record;
}

const values = async (t: Tensor) => Array.from(await t.data());

describe.each(listModels().map((e) => [e.name, e] as const))('%s', (name, entry) => {
  it('builds, steps, samples (an encoder: encodes), round-trips a checkpoint and samples the same after loading', async () => {
    const device = entry.devices?.[0] ?? 'cpu';
    const config = configOf(entry, SMALL[name] ?? {});
    T.manualSeed(1);
    const model = entry.build(config, device);
    const training = entry.train(model, { lr: entry.training.lr });
    const batch = tinyBatch(entry, config);
    const losses = training.step(batch, { step: 0, totalSteps: 2 });
    expect(Object.keys(losses).length).toBeGreaterThan(0);
    for (const l of Object.values(losses)) {
      expect(l.shape).toEqual([]);
      expect(Number.isFinite(await l.item())).toBe(true);
      l.dispose();
    }

    // A generative model samples from nothing; an encoder has no samples, only features of images.
    const images = batch.images!;
    // 28x28 digits, or the canvases of the batch's images (a layout task draws larger ones).
    const imageShape = images?.shape.slice(1) ?? [1, 28, 28];
    for (const n of [5, 16]) {
      if (isEncoder(model)) {
        const features = model.encode(T.slice(images, [{ stop: Math.min(n, N) }]));
        expect(features.shape).toEqual([Math.min(n, N), model.featureDim]);
        expect((await values(features)).every(Number.isFinite)).toBe(true);
        features.dispose();
        continue;
      }
      const drawn = model.sample(n);
      expect(drawn.shape).toEqual([n, ...imageShape]);
      expect((await values(drawn)).every((v) => v >= entry.dataRange[0] && v <= entry.dataRange[1])).toBe(true);
      drawn.dispose();
    }
    if (isEncoder(model)) expect(() => generatorOf(model, name)).toThrow(/is an encoder/);
    else if (model.logLikelihood) {
      const ll = model.logLikelihood(batch);
      expect(ll.shape).toEqual([N]);
      expect((await values(ll)).every(Number.isFinite)).toBe(true);
      ll.dispose();
    }
    if (model.preview) {
      const picture = model.preview(batch);
      expect(picture.shape).toEqual([N, ...imageShape]);
      picture.dispose();
    }

    const dir = mkdtempSync(join(tmpdir(), `genlab-protocol-${name}-`));
    await saveCheckpoint(dir, {
      module: model, optimizers: training.optimizers, trainingState: { step: 1 },
      metadata: { [MODEL_KEY]: name, [CONFIG_KEY]: JSON.stringify(config), [PROTOCOL_KEY]: PROTOCOL_VERSION },
    });
    const draw = (m: Model) => (isEncoder(m) ? m.encode(T.slice(images, [{ stop: 4 }])) : m.sample(4));
    T.manualSeed(9);
    const before = await values(draw(model));
    // Sampling needs only the model file; the weights are the saved ones.
    T.manualSeed(123);
    const loaded = loadModel(dir, device);
    expect(loaded.entry).toBe(entry);
    expect(loaded.notes).toEqual([]);
    T.manualSeed(9);
    expect(await values(draw(loaded.model))).toEqual(before);
    // Resuming: a fresh training takes the optimizer state too, and steps on.
    const resumed = entry.train(loaded.model, { lr: entry.training.lr });
    loadCheckpoint(dir, { module: loaded.model, optimizers: resumed.optimizers });
    for (const l of Object.values(resumed.step(batch, { step: 1, totalSteps: 2 }))) l.dispose();
    for (const m of [model, loaded.model]) m.dispose();
    for (const o of [...Object.values(training.optimizers), ...Object.values(resumed.optimizers)]) o.dispose();
  });
});

describe('checkpoints written before protocol v2', () => {
  it('an mlp-autoencoder checkpoint loads, its missing code prior starting at N(0, I), and samples', async () => {
    const loaded = loadModel('test/fixtures/pre-v2-mlp-autoencoder', 'cpu');
    expect(loaded.entry.name).toBe('mlp-autoencoder');
    expect(loaded.step).toBe(3);
    expect(loaded.notes.join()).toContain('code_prior.mean, code_prior.var');
    expect(await values((loaded.model as unknown as { codePrior: { var: Tensor } }).codePrior.var)).toEqual([1, 1, 1, 1]);
    expect(generatorOf(loaded.model, 'mlp-autoencoder').sample(2).shape).toEqual([2, 1, 28, 28]);
    loaded.model.dispose();
  });
});

describe('training blocks', () => {
  const f64 = { dtype: 'float64', device: 'cpu' } as const;
  // A linear critic D(x) = w·x: its input gradient is w everywhere.
  const w = [0.6, -1.2, 0.3];
  const critic = (x: Tensor) => T.sum(T.mul(x, T.tensor(w, f64)), 1);
  const norm = Math.hypot(...w);

  it('WGAN-GP is λ (‖∇D‖ - 1)² and R1 is λ/2 ‖∇D‖², for a linear critic', async () => {
    const real = T.randn([5, 3], f64);
    const fake = T.randn([5, 3], f64);
    expect(await wganGradientPenalty(critic, real, fake, 10).item()).toBeCloseTo(10 * (norm - 1) ** 2, 10);
    expect(await r1Penalty(critic, real, 4).item()).toBeCloseTo(2 * norm ** 2, 10);
  });

  it('runs k critic steps per generator step, applies a lazy penalty every k-th step, and updates the EMA', async () => {
    T.manualSeed(0);
    const d = new nn.Linear(3, 1);
    const g = new nn.Linear(2, 3);
    const average = new nn.Linear(2, 3);
    const start = await values(average.weight);
    // lr 0 keeps the critic fixed, so the penalty can be checked against its weights.
    const optD = new optim.SGD(d.parameters(), { lr: 0 });
    const optG = new optim.SGD(g.parameters(), { lr: 0.1 });
    const real = T.randn([4, 3]);
    let criticCalls = 0;
    const round = (step: number) => adversarialRound({
      critic: d, optD, optG, criticSteps: 3,
      dLoss: () => {
        criticCalls++;
        return T.mean(d.forward(g.forward(T.randn([4, 2])).detach()));
      },
      gLoss: () => T.neg(T.mean(d.forward(g.forward(T.randn([4, 2]))))),
      penalty: { kind: 'r1', weight: 1, every: 2, critic: (x) => d.forward(x), real, fake: () => real },
      ema: { average, source: g, decay: 0.5 },
    }, { step, totalSteps: 2 });
    const first = round(0);
    expect(criticCalls).toBe(3);
    expect(Object.keys(first).sort()).toEqual(['d', 'g', 'gp']);
    // The lazy penalty's weight is λ·every: R1 of the critic's weights, times 2.
    const wd = await values(d.weight);
    expect(await first.gp!.item()).toBeCloseTo(wd.reduce((s, v) => s + v * v, 0), 3);
    expect(Object.keys(round(1)).sort()).toEqual(['d', 'g']);
    // After two updates with decay 0.5: a = 0.25 a0 + 0.25 g1 + 0.5 g2 (g after each round).
    expect(d.weight.requiresGrad).toBe(true);
    const averaged = await values(average.weight);
    expect(averaged).not.toEqual(start);
    const twice = new nn.Linear(2, 3);
    twice.loadStateDict(average.stateDict());
    updateEma(twice, twice, 0.3);
    expect(await values(twice.weight)).toEqual(averaged);
  });
});
