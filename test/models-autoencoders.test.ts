// The autoencoder family of models/ (autoencoder, denoising-ae, vae, dvae) on narrow versions of
// their networks: training moves the loss, samples are images, checkpoints round-trip, the CPU and
// WebGPU backends take the same step, and the VAE's KL is the closed-form Gaussian KL.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { loadEmbeddedMnist, loadSafetensors, saveSafetensors } from '../src/node.js';
import { Vae, vae } from '../models/index.js';
import { harness, stepLoss, type Harness } from './setup/models.js';

const NARROW = [4, 8, 8, 8];
/** Small configurations of each model (by test name): the same layers, a fraction of the channels. */
const SMALL: Record<string, { model: string; config: object }> = {
  autoencoder: { model: 'autoencoder', config: { channels: NARROW } },
  'denoising-ae': { model: 'denoising-ae', config: { channels: NARROW } },
  vae: { model: 'vae', config: { channels: NARROW } },
  'vae arch=mlp': { model: 'vae', config: { arch: 'mlp', hidden: [24, 12] } },
  dvae: { model: 'dvae', config: { tokens: 16, embedding: 8, hidden: 8 } },
};

function trainer(name: string, device: DeviceName = 'cpu', lr = 3e-3): Harness {
  const { model, config } = SMALL[name]!;
  return harness(model, device, { lr, config });
}

let digits: Tensor;
beforeAll(() => {
  digits = loadEmbeddedMnist({ limit: 16 }).images;
});

describe.each(Object.keys(SMALL))('%s', (name) => {
  it('a few steps on a small batch lower the loss', async () => {
    T.manualSeed(1);
    const t = trainer(name, 'cpu', 1e-2);
    const batch = T.slice(digits, [{ stop: 8 }]);
    const losses: number[] = [];
    for (let i = 0; i < 6; i++) {
      // The same noise (binarisation, reparameterisation, Gumbel, corruption) every step, so the
      // losses differ only through the weights.
      T.manualSeed(7);
      losses.push(await stepLoss(t, batch));
    }
    expect(losses.at(-1)!).toBeLessThan(0.9 * losses[0]!);
  });

  it('samples are n images in [0, 1]', async () => {
    T.manualSeed(2);
    const t = trainer(name);
    for (const n of [16, 5]) {
      // sample(n) draws from the model; preview shows it at work on n real digits.
      for (const images of [t.model.sample(n), t.model.preview!({ images: T.slice(digits, [{ stop: n }]) })]) {
        expect(images.shape).toEqual([n, 1, 28, 28]);
        const values = await images.data();
        expect(values.every((v) => v >= 0 && v <= 1)).toBe(true);
        images.dispose();
      }
    }
  });

  it('the state dict round-trips through safetensors', async () => {
    T.manualSeed(3);
    const a = trainer(name);
    await stepLoss(a, digits);
    const path = join(mkdtempSync(join(tmpdir(), 'genlab-ae-')), 'model.safetensors');
    await saveSafetensors(path, a.model.stateDict());
    const b = trainer(name);
    b.model.loadStateDict(loadSafetensors(path).tensors);
    const saved = a.model.stateDict();
    for (const [key, value] of Object.entries(b.model.stateDict())) {
      expect(Array.from(await value.data()), key).toEqual(Array.from(await saved[key]!.data()));
    }
    // Same weights, same seed: the same samples.
    T.manualSeed(4);
    const fromA = await a.model.sample(8).data();
    T.manualSeed(4);
    expect(Array.from(await b.model.sample(8).data())).toEqual(Array.from(fromA));
  });

  it('CPU and WebGPU take the same training step from the same seed', async () => {
    await T.initWebGPU();
    const run = async (device: DeviceName) => {
      T.manualSeed(5);
      const t = trainer(name, device);
      const batch = await digits.to(device);
      // The second loss is computed with the weights the first step updated.
      return [await stepLoss(t, batch), await stepLoss(t, batch)];
    };
    const cpu = await run('cpu');
    const gpu = await run('webgpu');
    for (let i = 0; i < 2; i++) expect(Math.abs(gpu[i]! - cpu[i]!)).toBeLessThanOrEqual(1e-3 * Math.abs(cpu[i]!) + 1e-5);
  });
});

describe('vae', () => {
  /** KL(N(mu, exp(logVar)) || N(0, I)) by hand in float64, averaged over rows. */
  function gaussianKl(mu: ArrayLike<number>, logVar: ArrayLike<number>, rows: number): number {
    let kl = 0;
    for (let i = 0; i < mu.length; i++) kl += 0.5 * (mu[i]! ** 2 + Math.exp(logVar[i]!) - 1 - logVar[i]!);
    return kl / rows;
  }

  it('the KL term equals the analytic Gaussian KL', async () => {
    const mu = [0.3, -1.2, 0, 2.5, -0.7, 0.1];
    const logVar = [-0.5, 0.8, 0, -2, 1.5, 0.2];
    const kl = T.klDivGaussian(T.tensor(mu, { shape: [2, 3], dtype: 'float64' }), T.tensor(logVar, { shape: [2, 3], dtype: 'float64' }));
    expect(await kl.item()).toBeCloseTo(gaussianKl(mu, logVar, 2), 12);

    // The model's own KL term, against the same formula on its encoder's outputs.
    T.manualSeed(6);
    const model = new Vae({ ...vae.config, latent: 5, channels: NARROW });
    const posterior = model.encode(digits);
    const terms = model.elbo(digits);
    const expected = gaussianKl(await posterior.mu.data(), await posterior.logVar.data(), digits.shape[0]!);
    expect(await terms.kl.item()).toBeCloseTo(expected, 4);
    expect(await terms.loss.item()).toBeCloseTo((await terms.reconstruction.item()) + (await terms.kl.item()), 3);
  });
});
