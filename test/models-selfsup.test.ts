// The self-supervised encoders' closed forms: NT-Xent against a hand computation, MoCo's FIFO
// queue and momentum encoder, DINO's loss and centring; the augmentations (seeded, shape-keeping,
// the identity when every range is a point); the linear probe and k-NN on separable features.
// (Build / step / checkpoint: models-protocol.test.ts; one step CPU == wasm: wasm-models.test.ts.)
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { loadEmbeddedMnist } from '../src/node.js';
import {
  Dino, GLOBAL_VIEW, LOCAL_VIEW, Moco, augment, centred, configOf, dino, dinoLoss, enqueued, infoNce, moco, multiCrop, ntXent, simclr, Simclr, VitEncoder, type AugmentOptions,
} from '../models/index.js';
import { knnAccuracy, linearProbe } from '../src/metrics/probe.js';
import { featuresOf } from '../src/cli/eval-encoder.js';
import { disposeHarness, harness, step } from './setup/models.js';
import { heldBytes, heldTensors } from './setup/memory.js';

const f64 = { dtype: 'float64', device: 'cpu' } as const;
const values = async (t: Tensor) => Array.from(await t.data());
const cos = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0) / Math.hypot(...a) / Math.hypot(...b);

describe('NT-Xent', () => {
  it('is log(1 + 2e^-2) for two identical views of two orthogonal images at τ = 0.5', async () => {
    const z = T.tensor([[1, 0], [0, 1]], f64);
    // Each row: positive similarity 1, two negatives at 0, itself left out.
    expect(await ntXent(z, z, 0.5).item()).toBeCloseTo(Math.log(1 + 2 * Math.exp(-2)), 12);
  });

  it('matches the sum over the 2N rows written out', async () => {
    const a = [[1, 2, 0], [0.5, -1, 1], [2, 0, -1]];
    const b = [[1, 1.5, 0.2], [0, -1, 2], [-1, 0.3, 0.4]];
    const tau = 0.3;
    const views = [...a, ...b];
    const n = a.length;
    let total = 0;
    views.forEach((v, i) => {
      const positive = i < n ? i + n : i - n;
      const denominator = views.reduce((s, w, j) => (j === i ? s : s + Math.exp(cos(v, w) / tau)), 0);
      total -= Math.log(Math.exp(cos(v, views[positive]!) / tau) / denominator);
    });
    expect(await ntXent(T.tensor(a, f64), T.tensor(b, f64), tau).item()).toBeCloseTo(total / (2 * n), 10);
  });
});

describe('MoCo queue', () => {
  it('enqueues the normalised keys first and drops the oldest (FIFO)', async () => {
    const queue = T.tensor([[1, 0], [0, 1], [-1, 0], [0, -1]], f64);
    const next = enqueued(queue, T.tensor([[3, 4], [0, 2]], f64));
    expect(await values(next)).toEqual([0.6, 0.8, 0, 1, 1, 0, 0, 1]);
    // Two more: the first two keys move down, the old rows leave.
    const after = enqueued(next, T.tensor([[0, -5], [-2, 0]], f64));
    expect(await values(after)).toEqual([0, -1, -1, 0, 0.6, 0.8, 0, 1]);
  });
});

describe('MoCo InfoNCE', () => {
  const q = [[1, 2, 0], [0.5, -1, 1], [2, 0, -1]];
  const k = [[1, 1.5, 0.2], [0, -1, 2], [-1, 0.3, 0.4]];
  const queue = [[0, 0, 1], [0.6, 0.8, 0]];
  const tau = 0.3;
  // -log softmax of column 0 of each row, written out; `others`: the other rows' keys as negatives too.
  const byHand = (others: boolean) => q.reduce((total, qi, i) => {
    const negatives = [...(others ? k.filter((_, j) => j !== i) : []), ...queue].map((n) => Math.exp(cos(qi, n) / tau));
    const positive = Math.exp(cos(qi, k[i]!) / tau);
    return total - Math.log(positive / (positive + negatives.reduce((a, b) => a + b, 0))) / q.length;
  }, 0);

  it('is -log softmax of the positive (column 0) against the queue, and against the batch\'s other keys too', async () => {
    const [tq, tk, tqueue] = [T.tensor(q, f64), T.tensor(k, f64), T.tensor(queue, f64)];
    expect(await infoNce(tq, tk, tqueue, tau).item()).toBeCloseTo(byHand(false), 10);
    expect(await infoNce(tq, tk, tqueue, tau, true).item()).toBeCloseTo(byHand(true), 10);
  });

  it('a collapsed encoder cannot tell its positive from fresh keys once the batch\'s keys are negatives', async () => {
    // Every query and key the same direction, the queue's (older) keys elsewhere: the shortcut a
    // drifting, collapsed encoder finds when only the queue holds negatives (a near-zero loss).
    const same = T.tensor(Array.from({ length: 8 }, () => [1, 0, 0]), f64);
    const older = T.tensor([[0, 1, 0], [0, 0, 1], [0, -1, 0]], f64);
    expect(await infoNce(same, same, older, 0.2).item()).toBeLessThan(0.05);
    // With the batch's 7 other keys as negatives, the loss is at least log 8.
    expect(await infoNce(same, same, older, 0.2, true).item()).toBeGreaterThan(Math.log(8));
  });
});

describe('MoCo model', () => {
  it('a step moves the key encoder to m·W_k + (1 - m)·W_q and pushes the batch\'s keys into the queue', async () => {
    T.manualSeed(2);
    const model = moco.build(configOf(moco, { width: 4, projection: 8, queue: 12, momentum: 0.9 }), 'cpu') as Moco;
    const training = moco.train(model, { lr: 0.05 });
    const images = loadEmbeddedMnist({ limit: 4 }).images;
    const [queueBefore, keyBefore] = [await values(model.queue), await values(model.key.encoder.stateDict()['0.weight']!)];
    // The key encoder starts as a copy of the query encoder.
    expect(keyBefore).toEqual(await values(model.query.encoder.stateDict()['0.weight']!));
    for (const l of Object.values(training.step({ images }, { step: 0, totalSteps: 1 }))) l.dispose();
    const query = await values(model.query.encoder.stateDict()['0.weight']!);
    const key = await values(model.key.encoder.stateDict()['0.weight']!);
    expect(query).not.toEqual(keyBefore);
    key.forEach((k, i) => expect(k).toBeCloseTo(0.9 * keyBefore[i]! + 0.1 * query[i]!, 6));
    const queue = await values(model.queue);
    // FIFO: the 8 oldest rows moved down by the batch of 4; the 4 new rows are unit keys.
    expect(queue.slice(4 * 8)).toEqual(queueBefore.slice(0, 8 * 8));
    for (let r = 0; r < 4; r++) expect(Math.hypot(...queue.slice(r * 8, r * 8 + 8))).toBeCloseTo(1, 5);
    expect(model.key.parameters().every((p) => !p.requiresGrad)).toBe(true);
  });
});

describe('DINO', () => {
  it('a step moves the centre toward the teacher\'s mean output, and the teacher by the scheduled λ', async () => {
    T.manualSeed(5);
    const model = dino.build(configOf(dino, { width: 4, prototypes: 6, bottleneck: 4, locals: 1, centreMomentum: 0.5, teacherMomentum: 0.8 }), 'cpu') as Dino;
    const training = dino.train(model, { lr: 0.05 });
    const images = loadEmbeddedMnist({ limit: 4 }).images;
    const weight = (m: Dino['student']) => values(m.encoder.stateDict()['0.weight']!);
    const teacherBefore = await weight(model.teacher);
    // The teacher's outputs on this step's global views, drawn as the step draws them.
    T.manualSeed(11);
    const expected = await values(T.noGrad(() => T.mean(T.cat(multiCrop(images, 1).global.map((v) => model.teacher.forward(v)), 0), 0)));
    T.manualSeed(11);
    for (const l of Object.values(training.step({ images }, { step: 0, totalSteps: 3 }))) l.dispose();
    // c was 0: c' = 0.5·0 + 0.5·mean.
    (await values(model.centre)).forEach((c, k) => expect(c).toBeCloseTo(0.5 * expected[k]!, 5));
    // At step 0 of 3, λ = 0.8: the teacher moves a fifth of the way to the student.
    const [teacher, student] = [await weight(model.teacher), await weight(model.student)];
    teacher.forEach((t, i) => expect(t).toBeCloseTo(0.8 * teacherBefore[i]! + 0.2 * student[i]!, 6));
  });

  it('centring: c ← m·c + (1 - m)·(mean of the teacher outputs)', async () => {
    const c = T.tensor([1, -1], f64);
    const t1 = T.tensor([[0, 2], [4, 0]], f64);
    const t2 = T.tensor([[2, 2], [2, 0]], f64);
    // Mean over the 4 rows: [2, 1]; 0.9·[1, -1] + 0.1·[2, 1].
    const next = await values(centred(c, [t1, t2], 0.9));
    expect(next[0]).toBeCloseTo(1.1, 12);
    expect(next[1]).toBeCloseTo(-0.8, 12);
  });

  it('the loss is the mean cross-entropy over (teacher view, other student view) pairs', async () => {
    const rows = (seed: number) => Array.from({ length: 2 }, (_, i) => [Math.sin(seed + i), Math.cos(3 * seed + i), 0.5 * seed - i]);
    const teacher = [rows(1), rows(2)];
    const student = [rows(3), rows(4), rows(5)];
    const centre = [0.1, -0.2, 0.3];
    const [ts, tt] = [0.1, 0.04];
    const softmax = (v: number[]) => {
      const e = v.map((x) => Math.exp(x - Math.max(...v)));
      return e.map((x) => x / e.reduce((a, b) => a + b, 0));
    };
    let total = 0;
    let pairs = 0;
    teacher.forEach((t, i) => student.forEach((s, j) => {
      if (i === j) return;
      pairs++;
      t.forEach((row, r) => {
        const p = softmax(row.map((x, k) => (x - centre[k]!) / tt));
        const q = softmax(s[r]!.map((x) => x / ts));
        total -= p.reduce((acc, pk, k) => acc + pk * Math.log(q[k]!), 0) / t.length;
      });
    }));
    const loss = dinoLoss(student.map((s) => T.tensor(s, f64)), teacher.map((t) => T.tensor(t, f64)), T.tensor(centre, f64), ts, tt);
    expect(pairs).toBe(4);
    expect(await loss.item()).toBeCloseTo(total / pairs, 9);
  });
});

describe('augmentations', () => {
  const digits = loadEmbeddedMnist({ limit: 6 }).images;

  it('are a function of the seed, keep the batch and channels, and stay in [0, 1]', async () => {
    const draw = async (seed: number, opts?: AugmentOptions) => {
      T.manualSeed(seed);
      const v = augment(digits, opts);
      return { shape: v.shape, data: await values(v) };
    };
    const [a, b, c] = [await draw(7), await draw(7), await draw(8)];
    expect(a.shape).toEqual([6, 1, 28, 28]);
    expect(a.data).toEqual(b.data);
    expect(a.data).not.toEqual(c.data);
    expect(a.data.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect((await draw(7, LOCAL_VIEW)).shape).toEqual([6, 1, 14, 14]);
    T.manualSeed(1);
    const crops = multiCrop(digits, 3);
    expect([crops.global.length, crops.local.length]).toEqual([2, 3]);
    expect(crops.local[2]!.shape).toEqual([6, 1, 14, 14]);
  });

  it('are the identity when every range is a point (the crop map lands on the pixel centres)', async () => {
    const none: AugmentOptions = { ...GLOBAL_VIEW, scale: [1, 1], ratio: [1, 1], rotate: 0, shear: 0, contrast: [1, 1], brightness: 0, blur: 0, erase: 0 };
    T.manualSeed(3);
    const out = await values(augment(digits, none));
    const input = await values(digits);
    expect(Math.max(...out.map((v, i) => Math.abs(v - input[i]!)))).toBeLessThan(1e-5);
  });

  it('erasing with probability 1 blanks a rectangle of 2-15% of the image', async () => {
    const white = T.ones([4, 1, 28, 28]);
    const only: AugmentOptions = { ...GLOBAL_VIEW, scale: [1, 1], ratio: [1, 1], rotate: 0, shear: 0, contrast: [1, 1], brightness: 0, blur: 0, erase: 1 };
    T.manualSeed(4);
    const v = await values(augment(white, only));
    for (let i = 0; i < 4; i++) {
      const zeros = v.slice(i * 784, (i + 1) * 784).filter((x) => x === 0).length;
      expect(zeros).toBeGreaterThan(0.01 * 784);
      expect(zeros).toBeLessThan(0.2 * 784);
    }
  });
});

describe('linear probe and k-NN', () => {
  it('separate classes whose features are apart, and are at chance when they are not', () => {
    const make = (n: number, seed: number, informative: boolean) => {
      const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
      const features = Float64Array.from({ length: n * 4 }, (_, k) => {
        const noise = Math.sin(seed * 1000 + k * 12.9898) * 43758.5453 % 1;
        const cls = labels[Math.floor(k / 4)]!;
        return noise + (informative && k % 4 === cls ? 3 : 0);
      });
      return { features, labels };
    };
    const [train, held] = [make(300, 1, true), make(90, 2, true)];
    expect(linearProbe(train, held, 4, { classes: 3, steps: 60, lr: 0.05 })).toBeGreaterThan(0.95);
    expect(knnAccuracy(train, held, 4, { classes: 3 })).toBeGreaterThan(0.95);
    const [noiseTrain, noiseHeld] = [make(300, 3, false), make(90, 4, false)];
    expect(linearProbe(noiseTrain, noiseHeld, 4, { classes: 3, steps: 60, lr: 0.05 })).toBeLessThan(0.6);
    expect(() => linearProbe({ features: new Float64Array(5), labels: new Int32Array(2) }, held, 4, { classes: 3 })).toThrow(/linearProbe: 5 features for 2 labels/);
  });
});

describe('frozen features', () => {
  it('featuresOf leaves the images of a set smaller than one batch alive (a slice of every row is the tensor itself)', async () => {
    const model = moco.build(configOf(moco, { width: 4, projection: 8, queue: 12 }), 'cpu') as Moco;
    const { images, labels } = loadEmbeddedMnist({ limit: 10 });
    const first = await featuresOf(model, { images, labels }, [0, 1]);
    const again = await featuresOf(model, { images, labels }, [0, 1]);
    expect(images.isDisposed).toBe(false);
    expect(Array.from(again.features)).toEqual(Array.from(first.features));
    model.dispose();
  });
});

describe('simclr with the ViT encoder', () => {
  it('gives 4w features from the class token, the same on CPU and wasm, and a training step moves the patch embedding', async () => {
    await T.initWasm();
    const { images } = loadEmbeddedMnist({ limit: 4 });
    const config = configOf(simclr, { encoder: 'vit', width: 2, depth: 1, heads: 2, projection: 4 });
    const run = async (device: 'cpu' | 'wasm') => {
      T.manualSeed(1);
      const model = simclr.build(config, device) as Simclr;
      const features = await model.encode(await images.to(device)).data();
      model.dispose();
      return Array.from(features);
    };
    const [cpu, wasm] = [await run('cpu'), await run('wasm')];
    expect(cpu.length).toBe(4 * 8);
    cpu.forEach((v, i) => expect(Math.abs(wasm[i]! - v)).toBeLessThan(1e-4));
    T.manualSeed(1);
    const h = harness<Simclr>('simclr', 'cpu', { config });
    const before = Array.from(await (h.model.encoder as VitEncoder).patches.weight.data());
    for (const l of Object.values(step(h, images))) l.dispose();
    const after = Array.from(await (h.model.encoder as VitEncoder).patches.weight.data());
    expect(after.some((v, i) => v !== before[i])).toBe(true);
    disposeHarness(h);
  });
});

describe('one step on every device, and flat memory', () => {
  // Augmentations draw from the seeded generator, which gives the same numbers on every device.
  const TINY: Record<string, object> = {
    simclr: { width: 4, projection: 8 },
    moco: { width: 4, projection: 8, queue: 16 },
    dino: { width: 4, prototypes: 6, bottleneck: 4, locals: 1 },
  };
  it.each(Object.keys(TINY))('%s: the loss and the updated first conv agree on CPU, wasm and WebGPU', async (name) => {
    const { images } = loadEmbeddedMnist({ limit: 4 });
    const run = async (device: 'cpu' | 'wasm' | 'webgpu') => {
      if (device === 'wasm') await T.initWasm();
      if (device === 'webgpu') await T.initWebGPU();
      T.manualSeed(5);
      const h = harness(name, device, { config: TINY[name] });
      const losses = step(h, await images.to(device));
      const loss = await Object.values(losses)[0]!.item();
      const weight = Array.from(await h.model.parameters()[0]!.data());
      disposeHarness(h);
      return { loss, weight };
    };
    const cpu = await run('cpu');
    for (const device of ['wasm', 'webgpu'] as const) {
      const other = await run(device);
      expect(Math.abs(other.loss - cpu.loss), `${name} loss on ${device}`).toBeLessThan(1e-3 * (1 + Math.abs(cpu.loss)));
      cpu.weight.forEach((v, i) => expect(Math.abs(other.weight[i]! - v), `${name} weight ${i} on ${device}`).toBeLessThan(1e-4));
    }
  }, 300_000);

  it.each(Object.keys(TINY))('%s: training steps (queue, EMA teacher, centre) leave no tensors behind', async (name) => {
    T.manualSeed(0);
    const { images } = loadEmbeddedMnist({ limit: 4 });
    const h = harness(name, 'cpu', { config: TINY[name] });
    const round = () => {
      for (const l of Object.values(step(h, images))) l.dispose();
    };
    for (let i = 0; i < 3; i++) round();
    const [bytes, tensors] = [heldBytes(), heldTensors()];
    for (let i = 0; i < 3; i++) round();
    expect(heldBytes()).toBe(bytes);
    expect(heldTensors()).toBe(tensors);
    disposeHarness(h);
  });
});
