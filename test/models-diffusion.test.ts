// The diffusion blocks against closed forms: the schedule's ᾱ, the moments of q(x_t | x_0), the
// posterior q(x_{t-1} | x_t, x_0) against Bayes' rule in float64, the samplers driven by the exact
// noise predictor of a known data distribution (a point mass, a Gaussian), DDIM's determinism at
// η = 0, classifier-free guidance's combination, and a tiny DDPM's loss falling on one image.
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { loadEmbeddedMnist } from '../src/node.js';
import { configOf, ddpm, latentDiffusion, latentDiffusionText, NoiseSchedule, denoise, gridCaptions, taskRecord, type EpsilonModel } from '../models/index.js';
import { AttentionBlock } from '../models/blocks/unet.js';
import { disposeHarness, harness, step } from './setup/models.js';
import { heldBytes, heldTensors } from './setup/memory.js';

const values = async (t: Tensor) => Array.from(await t.data());
const meanStd = (v: number[]) => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return [m, Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length)] as const;
};

describe('noise schedule', () => {
  it('linear β runs from 1e-4 to 0.02 and ᾱ (by cumprod) equals a float64 product loop', () => {
    for (const kind of ['linear', 'cosine'] as const) {
      const s = new NoiseSchedule(1000, kind);
      let product = 1;
      s.alphas.forEach((a, i) => {
        product *= a;
        expect(Math.abs(s.alphaBars[i]! - product)).toBeLessThan(1e-12 * Math.max(1, product) + 1e-300);
      });
      if (kind === 'linear') {
        expect(s.betas[0]).toBeCloseTo(1e-4, 12);
        expect(s.betas[999]).toBeCloseTo(0.02, 12);
        // After T steps almost nothing of x_0 is left: ᾱ_T ≈ 4e-5.
        expect(s.alphaBars[999]).toBeLessThan(1e-4);
      }
    }
  });

  it('the posterior mean and variance are those of Bayes\' rule, q(x_t | x_{t-1}) q(x_{t-1} | x_0)', () => {
    const s = new NoiseSchedule(1000, 'linear');
    for (const i of [1, 10, 400, 999]) {
      const [alpha, beta, prev] = [s.alphas[i]!, s.betas[i]!, s.alphaBars[i - 1]!];
      // The product of N(x_t; √α x_{t-1}, β) and N(x_{t-1}; √ᾱ_{t-1} x_0, 1-ᾱ_{t-1}), in x_{t-1}.
      const precision = alpha / beta + 1 / (1 - prev);
      const { c0, ct, variance } = s.posterior(i);
      expect(variance).toBeCloseTo(1 / precision, 14);
      expect(ct).toBeCloseTo(Math.sqrt(alpha) / beta / precision, 12);
      expect(c0).toBeCloseTo(Math.sqrt(prev) / (1 - prev) / precision, 12);
    }
  });

  it('q(x_t | x_0) has mean √ᾱ_t x_0 and variance 1 - ᾱ_t', async () => {
    T.manualSeed(3);
    const s = new NoiseSchedule(1000, 'linear');
    const n = 20000;
    for (const i of [50, 300, 900]) {
      const x0 = T.full([n, 1, 1, 1], 0.8);
      const xt = s.qSample(x0, T.full([n], i, { dtype: 'int32' }), T.randn([n, 1, 1, 1]));
      const [m, sd] = meanStd(await values(xt));
      const ab = s.alphaBars[i]!;
      expect(Math.abs(m - Math.sqrt(ab) * 0.8)).toBeLessThan(4 * Math.sqrt((1 - ab) / n) + 1e-6);
      expect(Math.abs(sd * sd - (1 - ab))).toBeLessThan(0.03 * (1 - ab) + 1e-6);
    }
  });
});

describe('samplers with the exact noise predictor', () => {
  const s = new NoiseSchedule(1000, 'linear');
  // Data N(m, v): x_t ~ N(√ᾱ m, ᾱ v + 1 - ᾱ), and E[ε | x_t] = √(1-ᾱ) (x_t - √ᾱ m) / (ᾱ v + 1 - ᾱ).
  const gaussianEps = (m: number, v: number): EpsilonModel => (x, t) => {
    const ab = s.gather(s.alphaBars, t, x);
    return T.div(T.mul(T.sqrt(T.sub(1, ab)), T.sub(x, T.mul(T.sqrt(ab), m))), T.add(T.mul(ab, v), T.sub(1, ab)));
  };

  it('a point mass c is recovered exactly by ancestral sampling and by DDIM (η = 0, 10 steps)', async () => {
    T.manualSeed(1);
    const eps = gaussianEps(0.3, 0);
    const xT = T.randn([64, 1, 1, 1]);
    for (const opts of [{ sampler: 'ancestral', steps: 1000, eta: 0 }, { sampler: 'ddim', steps: 10, eta: 0 }] as const) {
      for (const v of await values(denoise(s, eps, xT, opts))) expect(v).toBeCloseTo(0.3, 4);
    }
  });

  // DDIM in 50 deterministic steps loses ~8% of the spread (0.277 for 0.3, measured): a
  // discretisation error of the few-step sampler, inside the tolerance below.
  it('ancestral, DDIM with η = 1 over all steps, and DDIM with η = 0 in 50 steps all draw N(m, v)', async () => {
    T.manualSeed(2);
    const [m, v] = [0.5, 0.09];
    const xT = T.randn([4000, 1, 1, 1]);
    for (const opts of [{ sampler: 'ancestral', steps: 1000, eta: 0 }, { sampler: 'ddim', steps: 1000, eta: 1 }, { sampler: 'ddim', steps: 50, eta: 0 }] as const) {
      const [mean, sd] = meanStd(await values(denoise(s, gaussianEps(m, v), xT, opts)));
      expect(Math.abs(mean - m)).toBeLessThan(0.03);
      expect(Math.abs(sd - Math.sqrt(v))).toBeLessThan(0.03);
    }
  });

  it('DDIM with η = 0 is deterministic given x_T; with η = 1 it is not', async () => {
    const xT = T.randn([16, 1, 1, 1]);
    const run = async (seed: number, eta: number) => {
      T.manualSeed(seed);
      return values(denoise(s, gaussianEps(0, 1), xT, { sampler: 'ddim', steps: 20, eta }));
    };
    expect(await run(1, 0)).toEqual(await run(2, 0));
    expect(await run(1, 1)).not.toEqual(await run(2, 1));
  });
});

describe('the U-Net output read as ε or as v', () => {
  it('ε from the exact velocity v = √ᾱ ε - √(1-ᾱ) x_0 is the drawn ε', async () => {
    T.manualSeed(6);
    const s = new NoiseSchedule(1000, 'linear');
    const [x0, noise] = [T.randn([4, 1, 3, 3], { dtype: 'float64' }), T.randn([4, 1, 3, 3], { dtype: 'float64' })];
    const t = T.tensor([0, 300, 800, 999], { dtype: 'int32' });
    const ab = s.gather(s.alphaBars, t, x0);
    const v = T.sub(T.mul(T.sqrt(ab), noise), T.mul(T.sqrt(T.sub(1, ab)), x0));
    const [got, want] = [await values(s.epsilonFromVelocity(s.qSample(x0, t, noise), t, v)), await values(noise)];
    got.forEach((g, k) => expect(g).toBeCloseTo(want[k]!, 5));
  });

  // What left the no-GPU ddpm's samples as noise: x̂_0 = (x_t - √(1-ᾱ_t) ε_θ) / √ᾱ_t multiplies
  // the net's ε error by up to 160 at t = T, and a briefly trained net's error at large t was
  // 60-2700x the ε-MSE of the trivial per-pixel Gaussian predictor (0.025 against 1e-5 to 4e-4
  // at t = 800-999 after 300 steps). Read as v, the same net's ε at t = T is exact up to √ᾱ_T.
  it('an untrained ddpm reading its output as v predicts ε at the noisiest step (x̂_0 in the data range); read as ε it does not', async () => {
    T.manualSeed(7);
    const x0 = T.sub(T.mul(T.slice(loadEmbeddedMnist({ limit: 4 }).images, [{ stop: 4 }]), 2), 1);
    const noise = T.randnLike(x0);
    const mse = async (output: 'epsilon' | 'velocity') => {
      const model = ddpm.build(configOf(ddpm, { output, width: 4, mults: [1, 2], groups: 2, heads: 0 }), 'cpu');
      const t = T.full([4], 999, { dtype: 'int32' });
      const xt = model.qSample(x0, t, noise);
      const eps = model.epsilon(true)(xt, t);
      const ab = model.schedule.alphaBars[999]!;
      const x0Error = T.div(T.mul(T.sub(eps, noise), Math.sqrt(1 - ab)), Math.sqrt(ab));
      const result = [await T.mean(T.square(T.sub(eps, noise))).item(), Math.sqrt(await T.mean(T.square(x0Error)).item())];
      model.dispose();
      return result;
    };
    const [velocity, velocityX0] = await mse('velocity');
    const [epsilon, epsilonX0] = await mse('epsilon');
    // The trivial predictor ε = √(1-ᾱ) x_t has ε-MSE ≈ ᾱ_T E[x_0²] ≈ 3e-5 here.
    expect(velocity).toBeLessThan(1e-4);
    expect(velocityX0).toBeLessThan(1.5);
    expect(epsilon).toBeGreaterThan(1e-2);
    expect(epsilonX0).toBeGreaterThan(10);
  });
});

describe('models', () => {
  it('classifier-free guidance is ε(∅) + s (ε(y) - ε(∅)), from one batched pass', async () => {
    T.manualSeed(4);
    const model = latentDiffusion.build(configOf(latentDiffusion, { width: 8, groups: 4, heads: 1 }), 'cpu');
    const z = T.randn([3, 4, 7, 7]);
    const t = T.tensor([5, 500, 900], { dtype: 'int32' });
    const y = T.tensor([1, 7, 3], { dtype: 'int32' });
    const none = T.full([3], 10, { dtype: 'int32' });
    const [cond, uncond] = [model.epsilon(y, 1, true)(z, t), model.epsilon(none, 1, true)(z, t)];
    const guided = await values(model.epsilon(y, 3, true)(z, t));
    const expected = await values(T.add(uncond, T.mul(T.sub(cond, uncond), 3)));
    guided.forEach((g, k) => expect(g).toBeCloseTo(expected[k]!, 4));
    model.dispose();
  });

  it("the trajectory grid's rows run from x_T to the sample DDIM draws from it (η = 0)", async () => {
    const model = ddpm.build(configOf(ddpm, { timesteps: 100, width: 4, mults: [1, 2], groups: 2, heads: 0, steps: 10 }), 'cpu');
    T.manualSeed(11);
    const grid = model.trajectory!(2, 5);
    T.manualSeed(11);
    const xT = T.randn([2, 1, 28, 28]);
    const x0 = model.sample(2, { xT });
    expect(grid.shape).toEqual([10, 1, 28, 28]);
    const rows = T.reshape(grid, [2, 5, 784]);
    const column = async (c: number) => values(T.reshape(T.slice(rows, [{}, { start: c, stop: c + 1 }]), [2, 1, 28, 28]));
    expect(await column(0)).toEqual(await values(xT));
    expect(await column(4)).toEqual(await values(x0));
    // The middle columns are the chain on its way: each nearer x_0 than the one before.
    const distance = async (c: number) => (await column(c)).reduce((a, v, i) => a + (v - (x0Values[i] ?? 0)) ** 2, 0);
    const x0Values = await values(x0);
    const d = [await distance(1), await distance(2), await distance(3)];
    expect(d[0]).toBeGreaterThan(d[1]!);
    expect(d[1]).toBeGreaterThan(d[2]!);
  });

  it('cross-attention to a single token adds one vector at every position, out_proj(W_v c + b_v): a class embedding', async () => {
    T.manualSeed(4);
    const block = new AttentionBlock(8, 2, 4, 'cpu', 6);
    const x = T.randn([2, 8, 3, 5]);
    const c = T.randn([2, 1, 6]);
    const added = T.sub(block.forward(x, c), block.forward(x));
    const attention = block.crossAttention!;
    const bias = T.slice(attention.inProjBias!, [{ start: 16, stop: 24 }]);
    const value = T.add(T.matmul(T.reshape(c, [2, 6]), T.transpose(attention.vProjWeight!, 0, 1)), bias);
    const expected = attention.outProj.forward(value);
    const got = await values(added);
    const want = await values(expected);
    for (let n = 0; n < 2; n++) {
      for (let ch = 0; ch < 8; ch++) {
        for (let p = 0; p < 15; p++) expect(got[(n * 8 + ch) * 15 + p]).toBeCloseTo(want[n * 8 + ch]!, 5);
      }
    }
    // With two different tokens the positions read different mixtures: no longer one vector.
    const two = await values(T.sub(block.forward(x, T.randn([2, 2, 6])), block.forward(x)));
    expect(Math.abs(two[0]! - two[1]!) + Math.abs(two[1]! - two[2]!)).toBeGreaterThan(1e-6);
  });

  it("captions: guidance is ε(∅) + s (ε(c) - ε(∅)) from one batched pass, and a dropped caption reads ∅", async () => {
    const model = latentDiffusionText.build(configOf(latentDiffusionText, { autoencoderWidth: 4, width: 8, groups: 4, heads: 1, embedDim: 4, textDim: 8, timesteps: 100 }), 'cpu');
    T.manualSeed(2);
    const net = model.net;
    const tokens = gridCaptions(3, 'cpu');
    const z = T.randn([3, 4, 7, 7]);
    const t = T.tensor([5, 50, 99], { dtype: 'int32' });
    const context = net.context(tokens);
    const guided = await values(model.epsilon(net, context, 3)(z, t));
    const conditional = await values(model.epsilon(net, context, 1)(z, t));
    const unconditional = await values(model.epsilon(net, net.none(3), 1)(z, t));
    guided.forEach((g, i) => expect(g).toBeCloseTo(unconditional[i]! + 3 * (conditional[i]! - unconditional[i]!), 4));
    const dropped = net.context(tokens, T.tensor([true, false, true], { dtype: 'bool' }));
    const rows = (x: T.Tensor, r: number) => values(T.slice(x, [{ start: r, stop: r + 1 }]));
    expect(await rows(dropped, 0)).toEqual(await values(net.nullWords));
    expect(await rows(dropped, 1)).toEqual(await rows(context, 1));
  });

  it('a tiny DDPM trained on one digit: 60 steps halve its ε-loss', async () => {
    T.manualSeed(5);
    // emaDecay 0: the sampling weights are the trained ones (an average would lag a 60-step run).
    const model = ddpm.build(configOf(ddpm, { output: 'epsilon', timesteps: 100, width: 4, mults: [1, 2], groups: 2, heads: 0, steps: 10, emaDecay: 0 }), 'cpu');
    const training = ddpm.train(model, { lr: 5e-3 });
    const digit = T.sub(T.mul(T.slice(loadEmbeddedMnist({ limit: 1 }).images, [{ start: 0, stop: 1 }]), 2), 1);
    const batch = { images: T.expand(digit, [4, 1, 28, 28]) };
    const losses: number[] = [];
    for (let step = 0; step < 60; step++) {
      const { loss } = training.step(batch, { step, totalSteps: 60 });
      losses.push(await loss!.item());
      loss!.dispose();
    }
    const [first, last] = [meanStd(losses.slice(0, 10))[0], meanStd(losses.slice(-10))[0]];
    // Measured: 0.94 -> 0.31 (far from fitting the digit: its DDIM samples are still noise-like).
    expect(last).toBeLessThan(first / 2);
    model.dispose();
  }, 180_000);
});

describe('one training step agrees on CPU, wasm and WebGPU', () => {
  // From the same seed: the same t, ε and dropped labels on every device (the generators are the
  // same counter-based streams), so the losses and the updated weights must agree.
  const TINY: Record<string, object> = {
    ddpm: { width: 4, mults: [1, 2], groups: 2, heads: 1 },
    'latent-diffusion': { autoencoderWidth: 4, autoencoderSteps: 0, width: 8, groups: 4, heads: 1 },
  };
  it.each(Object.keys(TINY))('%s', async (name) => {
    const data = loadEmbeddedMnist({ limit: 4 });
    const run = async (device: 'cpu' | 'wasm' | 'webgpu') => {
      if (device === 'wasm') await T.initWasm();
      if (device === 'webgpu') await T.initWebGPU();
      T.manualSeed(0);
      const h = harness(name, device, { config: TINY[name] });
      const range = h.entry.dataRange[0] === -1 ? T.sub(T.mul(data.images, 2), 1) : data.images;
      const losses = step(h, { images: await range.to(device), labels: await data.labels.to(device) });
      const loss = await Object.values(losses)[0]!.item();
      const first = (h.model as unknown as { net: { input: { weight: Tensor } } }).net.input.weight;
      const weight = Array.from(await first.data());
      disposeHarness(h);
      return { loss, weight };
    };
    const cpu = await run('cpu');
    for (const device of ['wasm', 'webgpu'] as const) {
      const other = await run(device);
      expect(Math.abs(other.loss - cpu.loss), `${name} loss on ${device}`).toBeLessThan(1e-4 * (1 + Math.abs(cpu.loss)));
      cpu.weight.forEach((v, i) => expect(Math.abs(other.weight[i]! - v), `${name} weight ${i} on ${device}`).toBeLessThan(1e-4));
    }
  }, 300_000);
});

describe('memory stays flat', () => {
  it.each([
    ['ddpm', { width: 4, mults: [1, 2], groups: 2, heads: 1, steps: 3 }],
    ['latent-diffusion-text', { autoencoderWidth: 4, autoencoderSteps: 2, width: 8, groups: 4, heads: 1, embedDim: 4, textDim: 8, steps: 3 }],
  ] as const)('%s: training steps (EMA updates, dropped conditions) and sampling leave no tensors behind', async (name, config) => {
    T.manualSeed(0);
    const data = loadEmbeddedMnist({ limit: 4 });
    const h = harness(name, 'cpu', { config });
    const batch = name === 'ddpm'
      ? { images: T.sub(T.mul(data.images, 2), 1) }
      : taskRecord('captions', data.images, 0, [0, 1], data.labels);
    const round = () => {
      for (const loss of Object.values(step(h, batch))) loss.dispose();
      h.model.sample(2).dispose();
    };
    // Past the autoencoder stage, optimizer state and lazily made buffers.
    for (let i = 0; i < 4; i++) round();
    const [bytes, tensors] = [heldBytes(), heldTensors()];
    for (let i = 0; i < 4; i++) round();
    expect(heldBytes()).toBe(bytes);
    expect(heldTensors()).toBe(tensors);
    disposeHarness(h);
  }, 120_000);
});
