// The ProGAN / StyleGAN / TransGAN pieces in closed form on float64 CPU tensors: the modulated conv
// against its unfused definition, the equalised learning rate's run-time scale, the minibatch
// stddev feature, R1's and the path-length penalty's gradients by central differences, the
// fade-in schedule; then StyleGAN's style mixing and truncation, its StyleGAN3-style variant, and
// flat memory over steps with both lazy regularisers due. One-step CPU == wasm agreement is in
// test/wasm-models.test.ts, which walks every registered model.
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { loadEmbeddedMnist } from '../src/node.js';
import { r1Penalty } from '../models/index.js';
import { equalConv, equalLinear, growthAt, minibatchStddev, stddevGroup } from '../models/blocks/progressive.js';
import { modulatedConv2d, pathLengths } from '../models/blocks/style.js';
import type { Stylegan } from '../models/stylegan.js';
import { realsAt, type Progan } from '../models/progan.js';
import { gradcheck, randomF64 } from './setup/gradcheck.js';
import { heldBytes } from './setup/memory.js';
import { evaluableModel } from '../src/cli/eval-model.js';
import { disposeHarness, harness, step as trainingStep } from './setup/models.js';

const f64 = { dtype: 'float64', device: 'cpu' } as const;
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-10) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(tol);
};

describe('modulated convolution', () => {
  const x = randomF64([2, 3, 5, 4]);
  const weight = randomF64([4, 3, 3, 3]);
  const styles = randomF64([2, 3], 0.5, 1.5);

  it('equals scale -> conv -> demodulate, computed unfused', () => {
    const scaled = T.mul(x, T.reshape(styles, [2, 3, 1, 1]));
    const plain = T.conv2d(scaled, weight, null, { padding: 1 });
    close(modulatedConv2d(x, weight, styles, { padding: 1, demodulate: false }).dataSync(), plain.dataSync());
    // d[n, o] = 1 / sqrt(Σ_{c,k} (w[o, c, k] s[n, c])² + 1e-8), by loops.
    const w = weight.dataSync(), s = styles.dataSync();
    const d = new Float64Array(8);
    for (let n = 0; n < 2; n++) for (let o = 0; o < 4; o++) {
      let sum = 0;
      for (let c = 0; c < 3; c++) for (let k = 0; k < 9; k++) sum += (w[(o * 3 + c) * 9 + k]! * s[n * 3 + c]!) ** 2;
      d[n * 4 + o] = 1 / Math.sqrt(sum + 1e-8);
    }
    const demodulated = T.mul(plain, T.tensor(d, { ...f64, shape: [2, 4, 1, 1] }));
    close(modulatedConv2d(x, weight, styles, { padding: 1 }).dataSync(), demodulated.dataSync());
  });

  it('has gradients for the input, the weight and the styles', () => {
    gradcheck((a, b, c) => modulatedConv2d(a, b, c, { padding: 1 }), [randomF64([2, 2, 3, 3]), randomF64([3, 2, 3, 3]), randomF64([2, 2], 0.5, 1.5)]);
  });
});

describe('equalised learning rate', () => {
  it('scales the stored N(0, 1) weight by gain / sqrt(fan-in) at run time, and by the lr multiplier', () => {
    T.manualSeed(0);
    const conv = equalConv(3, 4, 3);
    const orig = Reflect.get(conv, 'weightOrig') as Tensor;
    close(conv.weight.dataSync(), T.mul(orig, Math.SQRT2 / Math.sqrt(27)).dataSync(), 1e-6);
    // The forward uses the scaled weight; the optimizer sees only the stored one.
    expect(conv.parameters()).toContain(orig);
    expect(conv.parameters()).not.toContain(conv.weight);
    const lin = equalLinear(16, 2, { lrMultiplier: 0.01, gain: 1 });
    const stored = Reflect.get(lin, 'weightOrig') as Tensor;
    close(lin.weight.dataSync(), T.mul(stored, 0.01 / 4).dataSync(), 1e-6);
    // Stored at std 1/0.01, so the effective weight has the He std 1/sqrt(fan-in).
    const sd = Math.sqrt(Array.from(stored.dataSync()).reduce((a, v) => a + v * v, 0) / 32);
    expect(sd).toBeGreaterThan(50);
    expect(sd).toBeLessThan(200);
  });
});

describe('minibatch standard deviation', () => {
  it('adds the group stddev averaged over features, image i in group i mod (N / G)', () => {
    expect([stddevGroup(8), stddevGroup(6), stddevGroup(5), stddevGroup(2)]).toEqual([4, 3, 1, 2]);
    const n = 6, c = 2, hw = 2;
    const x = randomF64([n, c, 1, hw]);
    const v = x.dataSync();
    const y = minibatchStddev(x);
    expect(y.shape).toEqual([n, c + 1, 1, hw]);
    // G = 3 images per group, N / G = 2 groups: {0, 2, 4} and {1, 3, 5}.
    const feature = [0, 1].map((group) => {
      let total = 0;
      for (let f = 0; f < c * hw; f++) {
        const members = [0, 1, 2].map((j) => v[(group + 2 * j) * c * hw + f]!);
        const m = members.reduce((a, b) => a + b) / 3;
        total += Math.sqrt(members.reduce((a, b) => a + (b - m) ** 2, 0) / 3 + 1e-8);
      }
      return total / (c * hw);
    });
    const out = y.dataSync();
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < hw; p++) expect(out[(i * (c + 1) + c) * hw + p]).toBeCloseTo(feature[i % 2]!, 12);
      for (let p = 0; p < c * hw; p++) expect(out[i * (c + 1) * hw + p]).toBe(v[i * c * hw + p]);
    }
  });
});

describe('penalty gradients (float64 central differences)', () => {
  it('R1 through a conv critic with the minibatch stddev feature', () => {
    const real = randomF64([4, 1, 4, 4]);
    const penalty = (w1: Tensor, w2: Tensor) => {
      const critic = (x: Tensor) => {
        const h = T.leakyRelu(T.conv2d(x, w1, null, { stride: 2, padding: 1 }), 0.2);
        return T.sum(T.mul(T.flatten(minibatchStddev(h, 2), 1), w2), 1);
      };
      return r1Penalty(critic, real, 10);
    };
    gradcheck(penalty, [randomF64([2, 1, 3, 3]), randomF64([3 * 2 * 2])]);
  });

  it('path length through a mapping layer and two modulated convs (the lengths are themselves gradients)', () => {
    const z = randomF64([2, 3]);
    const y = randomF64([2, 1, 3, 3]);
    const input = randomF64([1, 2, 3, 3]);
    const penalty = (a: Tensor, k1: Tensor, k2: Tensor) => {
      const w = T.tanh(T.matmul(z, a));
      const ws = T.expand(T.unsqueeze(w, 1), [2, 2, 2]);
      const [s1, s2] = T.split(ws, 1, 1).map((s) => T.add(T.squeeze(s, 1), 1));
      const h = T.leakyRelu(modulatedConv2d(T.expand(input, [2, 2, 3, 3]), k1, s1!, { padding: 1 }), 0.2);
      const images = modulatedConv2d(h, k2, s2!, { demodulate: false });
      return T.mean(T.square(T.sub(pathLengths(images, ws, y), 0.3)));
    };
    gradcheck(penalty, [randomF64([3, 2]), randomF64([2, 2, 3, 3]), randomF64([1, 2, 1, 1])], { atol: 1e-5, rtol: 1e-4 });
  });
});

describe('progressive growing', () => {
  it('fades each new stage in over half its span, from the step context', () => {
    const at = (step: number) => growthAt({ step, totalSteps: 300 }, 3);
    expect(at(0)).toEqual({ stage: 0, alpha: 1 });
    expect(at(99)).toEqual({ stage: 0, alpha: 1 });
    expect(at(100)).toEqual({ stage: 1, alpha: 0 });
    expect(at(125).alpha).toBeCloseTo(0.5, 12);
    expect(at(150)).toEqual({ stage: 1, alpha: 1 });
    expect(at(225)).toEqual({ stage: 2, alpha: 0.5 });
    expect(at(299)).toEqual({ stage: 2, alpha: 1 });
    // Past the run's end (a resumed run with more steps) it stays at the last stage.
    expect(at(1000)).toEqual({ stage: 2, alpha: 1 });
    expect(growthAt({ step: 4, totalSteps: 10 }, 3, 1).alpha).toBeCloseTo((4 - 10 / 3) / (10 / 3), 12);
  });
});

describe('progan', () => {
  it('blends a fading stage with the upsampled coarser one, in G, in the reals, and keeps the stage in its state', () => {
    T.manualSeed(0);
    const h = harness('progan', 'cpu', { config: { width: 2, zDim: 8 } });
    const model = h.model as Progan;
    const z = T.randn([2, 8]);
    const g = model.generator;
    const faded = g.forward(z, 1, 0.25);
    expect(faded.shape).toEqual([2, 1, 14, 14]);
    // With α = 0 the stage is the coarser image upsampled (nearest): 2x2 blocks of equal pixels.
    const old = g.forward(z, 1, 0).dataSync();
    expect(old[0]).toBe(old[1]);
    expect(old[0]).toBe(old[14]);
    close(faded.dataSync(), T.add(T.mul(g.forward(z, 1, 1), 0.25), T.mul(g.forward(z, 1, 0), 0.75)).dataSync(), 1e-6);
    const x = digits(2);
    close(realsAt(x, { stage: 0, alpha: 1 }).dataSync(), T.avgPool2d(T.avgPool2d(x, 2), 2).dataSync(), 1e-6);
    close(realsAt(x, { stage: 2, alpha: 0.5 }).dataSync(), T.add(T.mul(x, 0.5), T.mul(T.interpolate(T.avgPool2d(x, 2), { scaleFactor: 2 }), 0.5)).dataSync(), 1e-6);
    // A training step at step 150 of 300 is in stage 1, fully faded in; a loaded copy samples there.
    h.steps = 150;
    for (const l of Object.values(trainingStep(h, x, 300))) l.dispose();
    expect(model.growth).toEqual({ stage: 1, alpha: 1 });
    const copy = harness('progan', 'cpu', { config: { width: 2, zDim: 8 } }).model as Progan;
    copy.loadStateDict(model.stateDict());
    expect(copy.growth).toEqual({ stage: 1, alpha: 1 });
    disposeHarness(h);
    copy.dispose();
  });
});

const TINY = { width: 2, mappingLayers: 1, zDim: 8, wDim: 8 };
const digits = (n: number) => T.sub(T.mul(loadEmbeddedMnist({ limit: n }).images, 2), 1);

describe('stylegan', () => {
  it('mixes styles at a crossover layer and truncates w towards its running mean', () => {
    T.manualSeed(0);
    const h = harness('stylegan', 'cpu', { config: TINY });
    const g = (h.model as Stylegan).generator;
    const [w1, w2] = [T.randn([2, 8], f64), T.randn([2, 8], f64)];
    const ws = g.broadcast(w1, w2, 3);
    expect(ws.shape).toEqual([2, g.numWs, 8]);
    const rows = T.split(ws, 1, 1).map((t) => Array.from(T.squeeze(t, 1).dataSync()));
    rows.forEach((r, i) => expect(r).toEqual(Array.from((i < 3 ? w1 : w2).dataSync())));
    g.wAvg.assign_(T.full([8], 0.25));
    const z = T.randn([3, 8]);
    const mean = Array.from(g.map(z, 0).dataSync());
    close(mean, new Array(24).fill(0.25), 1e-7);
    close(g.map(z, 0.5).dataSync(), T.mul(T.add(g.map(z), 0.25), 0.5).dataSync(), 1e-6);
    disposeHarness(h);
  });

  it('gives genlab eval a w-space latent path for PPL: the EMA mapping of z, and its synthesis', async () => {
    T.manualSeed(0);
    const h = harness('stylegan', 'cpu', { config: TINY });
    const path = evaluableModel(h.entry, h.model, { ...h.entry.config, ...TINY }, 'cpu').latentPath!;
    expect(path.space).toBe('w');
    const z = Float64Array.from({ length: 16 }, (_, i) => Math.sin(i));
    const w = await path.sample!(z, 2);
    const ema = (h.model as Stylegan).ema;
    close(w, T.noGrad(() => ema.map(T.tensor(Float32Array.from(z), { shape: [2, 8] }))).dataSync(), 1e-6);
    const images = await path.decode(w, 2);
    expect(images.shape).toEqual([2, 1, 28, 28]);
    expect(images.dataSync().every((v) => v >= 0 && v <= 1)).toBe(true);
    disposeHarness(h);
  });

  it('the StyleGAN3-style variant trains a step and samples 28x28 in [-1, 1]', async () => {
    T.manualSeed(0);
    const h = harness('stylegan', 'cpu', { config: { ...TINY, variant: 'stylegan3' } });
    for (const l of Object.values(trainingStep(h, digits(4)))) expect(Number.isFinite(await l.item())).toBe(true);
    const s = h.model.sample(3);
    expect(s.shape).toEqual([3, 1, 28, 28]);
    expect(s.dataSync().every((v) => v >= -1 && v <= 1)).toBe(true);
    disposeHarness(h);
  });

  it('holds memory flat over steps with lazy R1 and path-length regularisation due every other step', () => {
    T.manualSeed(0);
    const h = harness('stylegan', 'cpu', { config: { ...TINY, r1Every: 2, plEvery: 2 } });
    const images = digits(4);
    const seen = new Set<string>();
    const step = () => {
      const losses = trainingStep(h, images);
      seen.add(Object.keys(losses).sort().join());
      for (const l of Object.values(losses)) l.dispose();
    };
    // Steps 0 and 1 create Adam's moments for both players; afterwards nothing may accumulate.
    step();
    step();
    const held = heldBytes();
    for (let i = 0; i < 4; i++) step();
    expect(heldBytes()).toBe(held);
    expect([...seen].sort()).toEqual(['d,g', 'd,g,gp,pl']);
    disposeHarness(h);
  });
});
