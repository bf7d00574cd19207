// The GANs of notes 002 §3 and notes 003: each player's loss moves the right way when only that player
// trains (D on a fixed batch, G against a fixed D), samples have the right shape and range, the
// conditional models draw the classes asked for, checkpoints round-trip, CPU and WebGPU agree on
// training steps from one seed, the Fashion-MNIST bag example of notes 002 §3.2 trains, and the training
// loop holds GPU memory flat. Conv models run at width 8 on 8 images: seconds on a CPU.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { heldBytes } from './setup/memory.js';
import * as T from '../src/index.js';
import type { DeviceName, Tensor, nn } from '../src/index.js';
import { loadCheckpoint, loadEmbeddedMnist, loadFashionMnist, saveCheckpoint } from '../src/node.js';
import { Acgan, Cgan, Dcgan, Gan, discriminatorLoss, generatorLoss, getModel, type GenerativeModel, type Training } from '../models/index.js';
import { harness, step as trainingStep } from './setup/models.js';
import { modeSeekingLoss } from '../models/cgan.js';

beforeAll(async () => {
  await T.initWebGPU();
});

const N = 8;
const toSigned = (x: Tensor) => T.sub(T.mul(x, 2), 1);

/** N embedded MNIST digits in [-1, 1] with their labels, on `device`. */
async function digits(device: DeviceName): Promise<{ images: Tensor; labels: Tensor }> {
  const data = loadEmbeddedMnist({ limit: N });
  return { images: await toSigned(data.images).to(device), labels: await data.labels.to(device) };
}

/** How each model makes fakes and scores them, so one test body drives all four. */
interface Players {
  /** Fakes for labels (ignored by the unconditional models). */
  generate(labels: Tensor): Tensor;
  /** D's full loss on real images and fakes. */
  dLoss(real: Tensor, labels: Tensor, fake: Tensor, fakeLabels: Tensor): Tensor;
  /** G's full loss on its fakes. */
  gLoss(fake: Tensor, fakeLabels: Tensor): Tensor;
}

const players: Record<string, (m: nn.Module) => Players> = {
  gan: (m) => {
    const g = m as Gan;
    return {
      generate: (y) => g.generate(y.shape[0]!),
      dLoss: (x, _y, f) => discriminatorLoss(g.discriminator.forward(x), g.discriminator.forward(f)),
      gLoss: (f) => generatorLoss(g.discriminator.forward(f), g.config.generatorLoss),
    };
  },
  dcgan: (m) => {
    const g = m as Dcgan;
    return {
      generate: (y) => g.generate(y.shape[0]!),
      dLoss: (x, _y, f) => discriminatorLoss(g.discriminator.forward(x), g.discriminator.forward(f)),
      gLoss: (f) => generatorLoss(g.discriminator.forward(f), g.config.generatorLoss),
    };
  },
  cgan: (m) => {
    const g = m as Cgan;
    return {
      generate: (y) => g.generateClasses(y),
      dLoss: (x, y, f, fy) => discriminatorLoss(g.discriminate(x, y), g.discriminate(f, fy)),
      gLoss: (f, fy) => generatorLoss(g.discriminate(f, fy), g.config.generatorLoss),
    };
  },
  acgan: (m) => {
    const g = m as Acgan;
    return {
      generate: (y) => g.generateClasses(y),
      dLoss: (x, y, f, fy) => {
        const [real, fake] = [g.discriminate(x), g.discriminate(f)];
        return T.add(discriminatorLoss(real.source, fake.source), T.add(T.crossEntropy(real.classes, y), T.crossEntropy(fake.classes, fy)));
      },
      gLoss: (f, fy) => {
        const fake = g.discriminate(f);
        return T.add(generatorLoss(fake.source, g.config.generatorLoss), T.crossEntropy(fake.classes, fy));
      },
    };
  },
};

/** The registered default configuration, with conv trunks narrowed to keep CPU tests fast. */
function smallConfig(name: string, extra: object = {}): object {
  const config = getModel(name).config;
  return { ...config, ...('width' in config ? { width: 8 } : {}), ...extra };
}

/** A model, its optimizers, and its step and sampler in the shape these tests read them. */
interface Trainer {
  module: GenerativeModel;
  optimizers: Training['optimizers'];
  trainStep(images: Tensor, labels?: Tensor): Record<string, Tensor>;
  sample(n: number): Tensor;
}

function makeTrainer(name: string, device: DeviceName, opts: { seed?: number; lr?: number; config?: object } = {}): Trainer {
  T.manualSeed(opts.seed ?? 0);
  const h = harness(name, device, { lr: opts.lr ?? 2e-4, config: opts.config ?? smallConfig(name) });
  return {
    module: h.model,
    optimizers: h.training.optimizers,
    trainStep: (images, labels) => trainingStep(h, labels ? { images, labels } : { images }),
    sample: (n) => h.model.sample(n),
  };
}

function disposeTrainer(t: Trainer): void {
  t.module.dispose();
  for (const o of Object.values(t.optimizers)) o.dispose();
}

const fakeLabels = () => T.tensor(Int32Array.from({ length: N }, (_, i) => (i * 3) % 10), { dtype: 'int32', device: 'cpu' });

function expectImagesInRange(t: Tensor, n: number) {
  expect(t.shape).toEqual([n, 1, 28, 28]);
  const v = t.dataSync();
  expect(v.every((p) => p >= -1 && p <= 1)).toBe(true);
}

describe.each(['gan', 'dcgan', 'cgan', 'acgan'])('%s', (name) => {
  it('D loss decreases on a fixed batch when only D trains', async () => {
    const trainer = makeTrainer(name, 'cpu', { lr: 1e-3 });
    const p = players[name]!(trainer.module);
    const { images, labels } = await digits('cpu');
    const fy = fakeLabels();
    const fake = T.noGrad(() => p.generate(fy));
    const losses: number[] = [];
    for (let i = 0; i < 6; i++) {
      trainer.optimizers.d!.zeroGrad();
      const loss = p.dLoss(images, labels, fake, fy);
      loss.backward();
      trainer.optimizers.d!.step();
      losses.push(loss.dataSync()[0]!);
    }
    expect(losses[5]).toBeLessThan(losses[0]! - 0.05);
    disposeTrainer(trainer);
  });

  it('G loss decreases against a fixed D when only G trains', () => {
    const trainer = makeTrainer(name, 'cpu', { lr: 1e-3 });
    const p = players[name]!(trainer.module);
    const fy = fakeLabels();
    const losses: number[] = [];
    for (let i = 0; i < 6; i++) {
      trainer.optimizers.g!.zeroGrad();
      T.manualSeed(7); // the same noise every step: only G's weights change
      const loss = p.gLoss(p.generate(fy), fy);
      loss.backward();
      trainer.optimizers.g!.step();
      losses.push(loss.dataSync()[0]!);
    }
    expect(losses[5]).toBeLessThan(losses[0]! - 0.01);
    disposeTrainer(trainer);
  });

  it('samples 16 images in [-1, 1], and a checkpoint round-trips them', async () => {
    const trainer = makeTrainer(name, 'cpu');
    const { images, labels } = await digits('cpu');
    for (const l of Object.values(trainer.trainStep(images, labels))) l.dispose();
    T.manualSeed(3);
    const before = trainer.sample(16);
    expectImagesInRange(before, 16);

    const dir = mkdtempSync(join(tmpdir(), `genlab-${name}-`));
    await saveCheckpoint(dir, { module: trainer.module, optimizers: trainer.optimizers });
    const restored = makeTrainer(name, 'cpu', { seed: 99 });
    loadCheckpoint(dir, { module: restored.module, optimizers: restored.optimizers });
    T.manualSeed(3);
    const after = restored.sample(16);
    expect(Array.from(after.dataSync())).toEqual(Array.from(before.dataSync()));
    disposeTrainer(trainer);
    disposeTrainer(restored);
  });

  it('CPU and WebGPU agree on two training steps from the same seed', async () => {
    const run = async (device: DeviceName) => {
      const trainer = makeTrainer(name, device);
      const { images, labels } = await digits(device);
      const out: number[] = [];
      for (let step = 0; step < 2; step++) {
        T.manualSeed(100 + step);
        for (const loss of Object.values(trainer.trainStep(images, labels))) out.push(await loss.item());
      }
      disposeTrainer(trainer);
      return out;
    };
    const [cpu, gpu] = [await run('cpu'), await run('webgpu')];
    expect(gpu.length).toBe(cpu.length);
    // The second step's losses see Adam's first update, which is ±lr per weight whatever the
    // gradient's size: float32 noise in a near-zero gradient can move a weight by 2·lr.
    gpu.forEach((v, i) => expect(Math.abs(v - cpu[i]!)).toBeLessThan(2e-3 + 2e-3 * Math.abs(cpu[i]!)));
  });
});

describe('conditional sampling', () => {
  it.each(['cgan', 'acgan'])('%s draws one image per requested class, and its grid rows are classes', (name) => {
    const trainer = makeTrainer(name, 'cpu');
    const model = trainer.module as Cgan | Acgan;
    model.eval(); // as sampling does: BN running statistics, so single images are fine
    const labels = T.tensor(Int32Array.of(3, 3, 7), { dtype: 'int32', device: 'cpu' });
    const images = T.noGrad(() => model.generateClasses(labels));
    expectImagesInRange(images, 3);
    // Same noise, different class: the label changes the image.
    T.manualSeed(5);
    const a = T.noGrad(() => model.generateClasses(T.tensor(Int32Array.of(1), { dtype: 'int32', device: 'cpu' }))).dataSync();
    T.manualSeed(5);
    const b = T.noGrad(() => model.generateClasses(T.tensor(Int32Array.of(2), { dtype: 'int32', device: 'cpu' }))).dataSync();
    expect(Array.from(a)).not.toEqual(Array.from(b));
    disposeTrainer(trainer);
  });
});

describe('cgan mode seeking (MSGAN)', () => {
  it('is λ over (mean image gap / mean code gap) of the pairs i, i + offset', () => {
    const f64 = { dtype: 'float64', device: 'cpu' } as const;
    // Three fakes with offset 2: one pair, image 0 with image 2.
    const fake = T.tensor([[[[0.5, -0.5]]], [[[9, 9]]], [[[-0.5, 0.25]]]], f64);
    const z = T.tensor([[1, 2], [7, 7], [0, 0]], f64);
    const imageGap = (1 + 0.75) / 2, codeGap = (1 + 2) / 2;
    expect(modeSeekingLoss(fake, z, 2, 0.5)!.dataSync()[0]).toBeCloseTo(0.5 / (imageGap / codeGap + 1e-5), 10);
    expect(modeSeekingLoss(fake, z, 3, 1)).toBeNull(); // no pair
    expect(modeSeekingLoss(fake, z, 2, 0)).toBeNull(); // switched off
  });

  it('its gradient pushes the two images of a pair apart', () => {
    const a = T.tensor([0.1, 0.2], { dtype: 'float64', device: 'cpu' }).requiresGrad_();
    const b = T.tensor([0.3, 0.1], { dtype: 'float64', device: 'cpu' }).requiresGrad_();
    const z = T.tensor([[0, 0], [1, 1]], { dtype: 'float64', device: 'cpu' });
    modeSeekingLoss(T.stack([a, b]), z, 1, 1)!.backward();
    // Moving along -grad widens |a - b| in each coordinate.
    const [ga, gb] = [a.grad!.dataSync(), b.grad!.dataSync()];
    expect(Math.sign(-ga[0]!)).toBe(Math.sign(0.1 - 0.3));
    expect(Math.sign(-gb[0]!)).toBe(Math.sign(0.3 - 0.1));
    expect(Math.sign(-ga[1]!)).toBe(Math.sign(0.2 - 0.1));
  });

  it('trains on pairs: the second half of the fake batch repeats the first half\'s labels', async () => {
    const trainer = makeTrainer('cgan', 'cpu');
    const model = trainer.module as Cgan;
    const seen: number[][] = [];
    const original = model.discriminate.bind(model);
    model.discriminate = (images, labels) => {
      seen.push(Array.from(labels.dataSync()));
      return original(images, labels);
    };
    const { images, labels } = await digits('cpu');
    for (const l of Object.values(trainer.trainStep(images, labels))) l.dispose();
    const fakeLabels = seen[1]!; // [0] is D on the real pairs
    expect(fakeLabels.slice(N / 2)).toEqual(fakeLabels.slice(0, N / 2));
    disposeTrainer(trainer);
  });
});

describe('losses', () => {
  it('the minimax G loss is log(1 - D(G(z))) and the non-saturating one -log D(G(z))', () => {
    const logits = T.tensor([-3, 0, 2], { dtype: 'float64', device: 'cpu' });
    const d = [-3, 0, 2].map((l) => 1 / (1 + Math.exp(-l)));
    const mean = (f: (p: number) => number) => d.reduce((s, p) => s + f(p), 0) / d.length;
    expect(generatorLoss(logits, 'minimax').dataSync()[0]).toBeCloseTo(mean((p) => Math.log(1 - p)), 12);
    expect(generatorLoss(logits, 'non-saturating').dataSync()[0]).toBeCloseTo(mean((p) => -Math.log(p)), 12);
    // A fooled D (logits 0) costs 2 ln 2.
    const zero = T.zeros([4, 1], { dtype: 'float64', device: 'cpu' });
    expect(discriminatorLoss(zero, zero).dataSync()[0]).toBeCloseTo(2 * Math.LN2, 12);
  });

  it('trains with the minimax loss selected', () => {
    const trainer = makeTrainer('gan', 'cpu', { config: { zDim: 64, generatorLoss: 'minimax' } });
    const { images } = loadEmbeddedMnist({ limit: N });
    const { g } = trainer.trainStep(toSigned(images));
    expect(g!.dataSync()[0]).toBeLessThan(0); // log(1 - D) < 0
    disposeTrainer(trainer);
  });
});

describe('dcgan recipe options', () => {
  it('one-sided label smoothing aims real logits at 1 - s and leaves the fakes at 0', () => {
    const real = T.tensor([[2], [-1]], { dtype: 'float64', device: 'cpu' });
    const fake = T.tensor([[0.5], [-3]], { dtype: 'float64', device: 'cpu' });
    const sig = (l: number) => 1 / (1 + Math.exp(-l));
    const bce = (l: number, y: number) => -(y * Math.log(sig(l)) + (1 - y) * Math.log(1 - sig(l)));
    const expected = (bce(2, 0.9) + bce(-1, 0.9)) / 2 + (bce(0.5, 0) + bce(-3, 0)) / 2;
    expect(discriminatorLoss(real, fake, 0.1).dataSync()[0]).toBeCloseTo(expected, 12);
  });

  it('spectral norm replaces the batch norm of D, and D learns faster under TTUR', () => {
    const trainer = makeTrainer('dcgan', 'cpu', { config: { ...smallConfig('dcgan'), spectralNorm: true, discriminatorLrScale: 4 } });
    const model = trainer.module as Dcgan;
    expect(model.discriminator.modules().some((m) => m.constructor.name.startsWith('BatchNorm'))).toBe(false);
    expect(Number(trainer.optimizers.d!.paramGroups[0]!.lr)).toBeCloseTo(4 * Number(trainer.optimizers.g!.paramGroups[0]!.lr), 12);
    const { images } = loadEmbeddedMnist({ limit: N });
    const losses = trainer.trainStep(toSigned(images));
    for (const l of Object.values(losses)) expect(Number.isFinite(l.dataSync()[0])).toBe(true);
    disposeTrainer(trainer);
  });

  it('R1 adds its penalty to D\'s loss every 16 steps', () => {
    const trainer = makeTrainer('dcgan', 'cpu', { config: { ...smallConfig('dcgan'), r1: 1 } });
    const images = toSigned(loadEmbeddedMnist({ limit: N }).images);
    const first = trainer.trainStep(images);
    expect(first.gp!.dataSync()[0]).toBeGreaterThan(0);
    expect(trainer.trainStep(images).gp).toBeUndefined();
    disposeTrainer(trainer);
  });
});

describe('dcgan on Fashion-MNIST bags (the example of notes 002 §3.2)', () => {
  it('trains a few steps on class 8 and samples bags-shaped tensors', () => {
    const data = loadFashionMnist({ split: 'test', limit: 1000 });
    const labels = data.labels!.dataSync();
    const bags = Int32Array.from(labels.keys()).filter((i) => labels[i] === 8).subarray(0, N);
    expect(bags.length).toBe(N);
    const images = toSigned(T.indexSelect(data.images, 0, T.tensor(bags, { dtype: 'int32', device: 'cpu' })));
    const trainer = makeTrainer('dcgan', 'cpu');
    for (let step = 0; step < 3; step++) {
      const losses = trainer.trainStep(images);
      for (const l of Object.values(losses)) expect(Number.isFinite(l.dataSync()[0])).toBe(true);
    }
    expectImagesInRange(trainer.sample(4), 4);
    disposeTrainer(trainer);
  });
});

describe('memory', () => {
  it('holds live WebGPU bytes flat over training steps', async () => {
    const trainer = makeTrainer('dcgan', 'webgpu');
    const { images } = await digits('webgpu');
    const step = async () => {
      for (const l of Object.values(trainer.trainStep(images))) l.dispose();
      await T.sync('webgpu');
    };
    // Step 1 creates Adam's moments; from step 2 on nothing may accumulate.
    await step();
    await step();
    const after2 = heldBytes();
    for (let i = 0; i < 5; i++) await step();
    expect(heldBytes()).toBe(after2);
    disposeTrainer(trainer);
  });
});

describe('acgan fakeClassWeight', () => {
  it("at 0 D's loss drops the class loss on fakes (about log 10 untrained); the class loss on real digits is unchanged", async () => {
    const { images, labels } = loadEmbeddedMnist({ limit: 8 });
    const batch = { images: T.sub(T.mul(images, 2), 1), labels };
    const run = async (fakeClassWeight: number) => {
      T.manualSeed(3);
      const h = harness('acgan', 'cpu', { config: { width: 4, zDim: 8, fakeClassWeight } });
      const losses = trainingStep(h, batch);
      return { d: await losses.d!.item(), cls: await losses.cls!.item(), model: h.model as unknown as Acgan };
    };
    const [paper, realOnly] = [await run(1), await run(0)];
    expect(realOnly.cls).toBeCloseTo(paper.cls, 10);
    // The dropped term is a cross-entropy over 10 classes: positive, near log 10 for an untrained head.
    const dropped = paper.d - realOnly.d;
    expect(dropped).toBeGreaterThan(0.5 * Math.log(10));
    expect(dropped).toBeLessThan(2 * Math.log(10));
  });
});
