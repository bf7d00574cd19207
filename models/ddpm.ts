/**
 * DDPM, the denoising diffusion probabilistic model (docs/models.md "Diffusion": ddpm; notes 002
 * §4, notes 001 GANs §3-4).
 *
 * Forward diffusion (notes 002 §4): q(x_t | x_{t-1}) = N(√(1-β_t) x_{t-1}, β_t I), β linear from
 * 1e-4 to 0.02 over T = 1000 steps (cosine as an option), so q(x_t | x_0) = N(√ᾱ_t x_0, (1-ᾱ_t) I)
 * and `qSample` draws x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε in one step. No learning happens here.
 * Reverse denoising: p_θ(x_{t-1} | x_t) is Gaussian, its mean written through a U-Net ε_θ(x_t, t)
 * that predicts the noise (models/blocks/unet.ts: 28 → 14 → 7, GroupNorm, SiLU, sinusoidal time
 * embedding, attention at 7x7).
 * Loss (the notes' training algorithm): draw x_0, t ~ U{1..T}, ε ~ N(0, I); minimise
 * ‖ε - ε_θ(√ᾱ_t x_0 + √(1-ᾱ_t) ε, t)‖². Adam; an EMA of the weights (a second U-Net, saved in the
 * checkpoint) is what samples. By default (`output: 'velocity'`) the U-Net's output is read as
 * v = √ᾱ_t ε - √(1-ᾱ_t) x_0 and ε_θ = √(1-ᾱ_t) x_t + √ᾱ_t v_θ: the loss and samplers are unchanged,
 * but the net's error no longer reaches x̂_0 magnified by up to 160x at large t, which had left a
 * 600-step width-8 run's samples as pure noise (see models/blocks/diffusion.ts `UNetOutput`).
 * Sampling (the notes' sampling algorithm, `pSample`): x_T ~ N(0, I), then for t = T … 1
 * x_{t-1} = (x_t - β_t/√(1-ᾱ_t) ε_θ) / √α_t + σ_t z with σ_t = √β_t and z = 0 at the last step.
 * (The notes write the noise term α_t z; the paper's σ_t z is the one used.) `ddimSample`: DDIM's
 * deterministic (η = 0) or stochastic jumps over `steps` of the T steps, 10-50 steps instead of 1000.
 * The data are scaled to [-1, 1]; x̂_0 is clipped there during DDIM, samples at the end.
 * No likelihood: the variational bound is not implemented, so `logLikelihood` is absent.
 */
import * as T from '../src/index.js';
import { nn, optim } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import {
  BETA_SCHEDULES, NoiseSchedule, SAMPLERS, UNET_OUTPUTS, asEpsilon, ddimStep, denoise, emaDecayAt, epsilonLoss, pSample, type DiffusionConfig, type EpsilonModel,
} from './blocks/diffusion.js';
import { deviceOf, evaluating, minimize, requireField, updateEma } from './blocks/train.js';
import { UNet } from './blocks/unet.js';
import type { GenerativeModel, SampleOptions, Training } from './protocol.js';
import { registerModel } from './registry.js';

export interface DdpmConfig extends DiffusionConfig {
  /** `sample`'s default: 'ddim' with `steps`, or the full 'ancestral' chain. */
  sampler: 'ancestral' | 'ddim';
  /** DDIM's η (0: deterministic). */
  eta: number;
}

export class Ddpm extends nn.Module implements GenerativeModel {
  net: UNet;
  /** The exponential moving average of `net`'s weights: it samples. */
  ema: UNet;
  readonly schedule: NoiseSchedule;

  constructor(readonly config: DdpmConfig, device?: DeviceName) {
    super();
    const unet = { channels: 1, width: config.width, mults: config.mults, groups: config.groups, heads: config.heads };
    this.net = new UNet(unet, device);
    this.ema = new UNet(unet, device);
    this.ema.loadStateDict(this.net.stateDict());
    this.ema.requiresGrad_(false);
    this.schedule = new NoiseSchedule(config.timesteps, config.schedule);
  }

  /** ε_θ of the training weights, or of their average for sampling. */
  epsilon(average: boolean): EpsilonModel {
    const net = average ? this.ema : this.net;
    return asEpsilon(this.schedule, this.config.output, (x, t) => net.forward(x, t));
  }

  /** x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε (step indices t, int32 [N], from 0). */
  qSample(x0: Tensor, t: Tensor, noise: Tensor): Tensor {
    return this.schedule.qSample(x0, t, noise);
  }

  /** ‖ε - ε_θ(x_t, t)‖², mean over pixels and images. */
  loss(x0: Tensor): Tensor {
    return epsilonLoss(this.schedule, this.epsilon(false), x0);
  }

  /** One ancestral step x_t → x_{t-1} at step index i with the averaged weights. */
  pSample(x: Tensor, i: number): Tensor {
    return pSample(this.schedule, this.epsilon(true), x, i);
  }

  /** One DDIM step from step index i to `next` (-1: to x_0). */
  ddimSample(x: Tensor, i: number, next: number, eta = this.config.eta): Tensor {
    return ddimStep(this.schedule, this.epsilon(true), x, i, next, eta, 1);
  }

  /**
   * x_T ~ N(0, I) denoised to x_0 in [-1, 1]: DDIM with `options.steps` (default config.steps), or
   * the 1000-step ancestral chain with `sampler: 'ancestral'`. `xT` fixes the starting noise.
   */
  sample(n: number, options: SampleOptions & { sampler?: 'ancestral' | 'ddim'; eta?: number; xT?: Tensor; onStep?: (x: Tensor, i: number) => void } = {}): Tensor {
    return evaluating(this, () => {
      const xT = options.xT ?? T.randn([n, 1, 28, 28], { device: deviceOf(this.net) });
      const sampler = options.sampler ?? this.config.sampler;
      const x0 = denoise(this.schedule, this.epsilon(true), xT, {
        sampler, steps: options.steps ?? this.config.steps, eta: options.eta ?? this.config.eta, clip: 1, onStep: options.onStep,
      });
      return T.clamp(x0, -1, 1);
    });
  }

  /**
   * The reverse process as the notes draw it: one row per sample, x_T on the left to x_0 on the right,
   * `columns` images of the sampler's chain (DDIM's config.steps steps, or the ancestral T) at evenly spaced points;
   * [n·columns, 1, 28, 28] (fewer columns when the chain is shorter).
   */
  trajectory(n: number, columns = 8): Tensor {
    const length = this.config.sampler === 'ancestral' ? this.config.timesteps : this.schedule.stride(this.config.steps).length;
    const shown = Math.min(columns, length + 1);
    // Between x_T (first column) and x_0 (last), the chain after step round(c·length/(shown-1)) - 1;
    // kept out of sample()'s tidy scope, which frees every other intermediate.
    const wanted = new Set(Array.from({ length: shown - 2 }, (_, c) => Math.round(((c + 1) * length) / (shown - 1)) - 1));
    const xT = T.randn([n, 1, 28, 28], { device: deviceOf(this.net) });
    const kept: Tensor[] = [T.clone(xT)];
    let k = 0;
    const x0 = this.sample(n, { xT, onStep: (x) => void (wanted.has(k++) && kept.push(T.keep(T.clamp(x, -1, 1)))) });
    kept.push(x0);
    xT.dispose();
    // [columns, n, ...] → [n, columns, ...]: a row per sample.
    const grid = T.tidy(() => T.reshape(T.transpose(T.stack(kept), 0, 1), [n * shown, 1, 28, 28]));
    for (const t of kept) t.dispose();
    return grid;
  }
}

function ddpmTraining(model: Ddpm, lr: number): Training {
  const adam = new optim.Adam(model.net.parameters(), { lr });
  return {
    optimizers: { adam },
    step: (batch, { step }) => {
      const losses = minimize(adam, () => ({ loss: model.loss(requireField(batch, 'images', 'ddpm')) }));
      updateEma(model.ema, model.net, emaDecayAt(model.config.emaDecay, step));
      return losses;
    },
  };
}

export const ddpm = registerModel({
  name: 'ddpm',
  description: 'DDPM: U-Net 28->14->7 (GroupNorm, SiLU, time embedding, attention at 7x7) predicting ε, linear β over T=1000; EMA weights; DDIM or ancestral sampling',
  notes: 'notes 002 §4, notes 001 GANs §3-4',
  dataRange: [-1, 1],
  fields: ['images'],
  config: {
    timesteps: 1000, schedule: 'linear', output: 'velocity', width: 32, mults: [1, 2, 2], groups: 8, heads: 4, emaDecay: 0.999, sampler: 'ddim', steps: 50, eta: 0,
  } as DdpmConfig,
  choices: { schedule: BETA_SCHEDULES, sampler: SAMPLERS, output: UNET_OUTPUTS },
  training: { batch: 32, lr: 5e-4, steps: 20000, sampleEvery: 2000 },
  // Without a GPU: width 16 (groups 4, heads 2), an EMA of 0.995 (0.999 lags a run this short), batch 32 and
  // 1,500 steps: ~40 min with the wasm backend on 2 shared cores (FID 174.9 at N = 300, floor 7.45; width 8 with
  // 300 steps drew stroke fragments, not digits).
  withoutGpu: { config: { width: 16, groups: 4, heads: 2, emaDecay: 0.995 }, steps: 1500, sampleEvery: 500 },
  build: (config, device) => new Ddpm(config, device),
  train: (model, { lr }) => ddpmTraining(model, lr),
});
