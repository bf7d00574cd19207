/**
 * Latent diffusion, class-conditional, with classifier-free guidance (docs/models.md "Diffusion":
 * latent-diffusion; notes 001 GANs §5, the diffusion of notes 002 §4 run in a latent space).
 *
 * The notes' three steps:
 * 1. compress: a KL-regularised autoencoder (models/blocks/diffusion-autoencoder.ts) maps a digit to
 *    a 4x7x7 latent (16x fewer numbers than 28x28 pixels, ×4 channels). It is trained first, for
 *    `autoencoderSteps` steps, on its negative ELBO, and then frozen; while it trains it also
 *    tracks the spread of its latents, and the diffusion works on z / spread (unit scale, as Rombach
 *    et al.'s scale factor).
 * 2. diffuse in the latent space exactly as DDPM does (models/blocks/diffusion.ts):
 *    z_t = √ᾱ_t z_0 + √(1-ᾱ_t) ε and a U-Net (7 → 4, attention at 4x4) regresses ε, conditioned
 *    on the class y by an embedding added to the time embedding (its output read as v, as in ddpm) (with one class token, what
 *    cross-attention would compute). Classifier-free guidance (Ho and Salimans): during training y
 *    is replaced by a "no class" token with probability `dropLabel`, so the same network learns
 *    ε_θ(z_t, t, y) and ε_θ(z_t, t, ∅); sampling follows
 *    ε̃ = ε_θ(z_t, t, ∅) + s·(ε_θ(z_t, t, y) - ε_θ(z_t, t, ∅)), the guidance scale s trading
 *    diversity for fidelity to the class (s = 1: plain conditional sampling).
 * 3. decode: DDIM (η = 0, `steps` steps) from z_T ~ N(0, I) to z_0, then the decoder's Bernoulli
 *    means. An EMA of the U-Net's weights samples.
 * The batch record is { images in [0, 1], labels }; the grid's row r shows class r. No `preview`:
 * the training grids are samples (the autoencoder's reconstructions were readable at step 500).
 */
import * as T from '../src/index.js';
import { nn, optim } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { gridLabels } from './cgan.js';
import { KlAutoencoder, LATENT_CHANNELS } from './blocks/diffusion-autoencoder.js';
import { BETA_SCHEDULES, NoiseSchedule, UNET_OUTPUTS, asEpsilon, denoise, emaDecayAt, epsilonLoss, type DiffusionConfig, type EpsilonModel } from './blocks/diffusion.js';
import { deviceOf, evaluating, minimize, requireField, updateEma } from './blocks/train.js';
import { UNet } from './blocks/unet.js';
import type { GenerativeModel, SampleOptions, Training } from './protocol.js';
import { registerModel } from './registry.js';

/** The diffusion settings of DDPM (models/blocks/diffusion.ts), with the U-Net at 7x7 (7 → 4 for two levels). */
export interface LatentDiffusionConfig extends DiffusionConfig {
  classes: number;
  /** Autoencoder channels (2x at 14x14 and 7x7). */
  autoencoderWidth: number;
  /** Weight of the KL term in the autoencoder's loss. */
  klWeight: number;
  /** Steps that train the autoencoder before it is frozen and the diffusion trains. */
  autoencoderSteps: number;
  /** Probability of replacing the label by the null token in training (classifier-free guidance). */
  dropLabel: number;
  /** Guidance scale s of `sample` (1: conditional, no guidance). */
  guidance: number;
}

export class LatentDiffusion extends nn.Module implements GenerativeModel {
  autoencoder: KlAutoencoder;
  net: UNet;
  ema: UNet;
  /** 1 / the standard deviation of the latents, measured while the autoencoder trains. */
  declare latentScale: Tensor;
  readonly schedule: NoiseSchedule;

  constructor(readonly config: LatentDiffusionConfig, device?: DeviceName) {
    super();
    this.autoencoder = new KlAutoencoder(config.autoencoderWidth, device);
    const unet = { channels: LATENT_CHANNELS, width: config.width, mults: config.mults, groups: config.groups, heads: config.heads, classes: config.classes };
    this.net = new UNet(unet, device);
    this.ema = new UNet(unet, device);
    this.ema.loadStateDict(this.net.stateDict());
    this.ema.requiresGrad_(false);
    this.registerBuffer('latentScale', T.ones([], { device }));
    this.schedule = new NoiseSchedule(config.timesteps, config.schedule);
  }

  /** Unit-scale latents z_0 [N, 4, 7, 7] of images in [0, 1], one draw from q(z|x), no gradient. */
  latents(x: Tensor): Tensor {
    return T.noGrad(() => T.mul(this.autoencoder.sampleLatent(x), this.latentScale));
  }

  /** Images [N, 1, 28, 28] in [0, 1] (the Bernoulli means) of unit-scale latents. */
  decodeLatents(z: Tensor): Tensor {
    return T.sigmoid(this.autoencoder.decode(T.div(z, this.latentScale)));
  }

  /** ε_θ(z_t, t, y) with the labels y; guided by scale s when s ≠ 1 (one batched pass for both terms). */
  epsilon(labels: Tensor, guidance: number, average: boolean): EpsilonModel {
    const net = average ? this.ema : this.net;
    if (guidance === 1) return asEpsilon(this.schedule, this.config.output, (z, t) => net.forward(z, t, labels));
    const none = T.fullLike(labels, this.config.classes);
    // Guidance combines the outputs with weights summing to 1, so it commutes with reading them as v.
    return asEpsilon(this.schedule, this.config.output, (z, t) => {
      const [conditional, unconditional] = T.split(net.forward(T.cat([z, z], 0), T.cat([t, t], 0), T.cat([labels, none], 0)), z.shape[0]!, 0);
      return T.add(unconditional!, T.mul(T.sub(conditional!, unconditional!), guidance));
    });
  }

  /** The diffusion loss on a batch: labels dropped to the null token with probability `dropLabel`. */
  loss(images: Tensor, labels: Tensor): Tensor {
    const dropped = T.where(T.lt(T.rand([labels.shape[0]!], { device: labels.device }), this.config.dropLabel), T.fullLike(labels, this.config.classes), labels);
    return epsilonLoss(this.schedule, this.epsilon(dropped, 1, false), this.latents(images));
  }

  /** DDIM in the latent space, then decoding; row r of 8 is class r unless `labels` are given. */
  sample(n: number, options: SampleOptions & { guidance?: number } = {}): Tensor {
    return evaluating(this, () => {
      const device = deviceOf(this.net);
      const labels = options.labels ?? gridLabels(n, this.config.classes, device);
      const zT = T.randn([n, LATENT_CHANNELS, 7, 7], { device });
      const eps = this.epsilon(labels, options.guidance ?? this.config.guidance, true);
      return this.decodeLatents(denoise(this.schedule, eps, zT, { sampler: 'ddim', steps: options.steps ?? this.config.steps, eta: 0 }));
    });
  }
}

/** What the autoencoder stage needs of a latent diffusion model (the class- and the caption-conditional one). */
export interface LatentStage {
  autoencoder: KlAutoencoder;
  latentScale: Tensor;
  config: { klWeight: number };
}

/**
 * Step 1, compress: one step of the autoencoder on its negative ELBO, and the latents' spread
 * (1 / the std of the posterior means) as a running average over these steps.
 */
export function autoencoderStep(model: LatentStage, optimizer: optim.Optimizer, images: Tensor, step: number): Record<string, Tensor> {
  const losses = minimize(optimizer, () => model.autoencoder.loss(images, model.config.klWeight));
  T.noGrad(() => {
    const measured = T.tidy(() => T.reciprocal(T.add(T.std(model.autoencoder.encode(images).mu), 1e-6)));
    const next = step === 0 ? measured : T.tidy(() => T.add(T.mul(model.latentScale, 0.9), T.mul(measured, 0.1)));
    model.latentScale.assign_(next);
    for (const t of new Set([measured, next])) t.dispose();
  });
  return losses;
}

function latentDiffusionTraining(model: LatentDiffusion, lr: number): Training {
  const autoencoder = new optim.Adam(model.autoencoder.parameters(), { lr });
  const unet = new optim.Adam(model.net.parameters(), { lr });
  return {
    optimizers: { autoencoder, unet },
    step: (batch, { step }) => {
      const images = requireField(batch, 'images', 'latent-diffusion');
      if (step < model.config.autoencoderSteps) return autoencoderStep(model, autoencoder, images, step);
      const labels = requireField(batch, 'labels', 'latent-diffusion');
      const losses = minimize(unet, () => ({ loss: model.loss(images, labels) }));
      updateEma(model.ema, model.net, emaDecayAt(model.config.emaDecay, step - model.config.autoencoderSteps));
      return losses;
    },
  };
}

export const latentDiffusion = registerModel({
  name: 'latent-diffusion',
  description: 'Latent diffusion: KL autoencoder to 4x7x7, class-conditional latent U-Net, classifier-free guidance, DDIM then decode',
  notes: 'notes 001 GANs §5, notes 002 §4',
  dataRange: [0, 1],
  fields: ['images', 'labels'],
  config: {
    classes: 10, autoencoderWidth: 16, klWeight: 0.1, autoencoderSteps: 1000, timesteps: 1000, schedule: 'linear', output: 'velocity', width: 32, mults: [1, 2],
    groups: 8, heads: 2, dropLabel: 0.1, guidance: 2, steps: 50, emaDecay: 0.999,
  } as LatentDiffusionConfig,
  choices: { schedule: BETA_SCHEDULES, output: UNET_OUTPUTS },
  training: { batch: 64, lr: 1e-3, steps: 10000, sampleEvery: 1000 },
  // Without a GPU (wasm, load average 21-25): ~0.5 autoencoder steps/s, ~0.2 diffusion steps/s.
  withoutGpu: { config: { autoencoderWidth: 8, autoencoderSteps: 300, width: 32, steps: 20, emaDecay: 0.995 }, steps: 1000, sampleEvery: 500 },
  build: (config, device) => new LatentDiffusion(config, device),
  train: (model, { lr }) => latentDiffusionTraining(model, lr),
});
