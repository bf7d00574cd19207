/**
 * Latent diffusion from captions (docs/models.md "Diffusion": latent-diffusion-text; notes 001 GANs
 * §5, where the condition enters the U-Net through cross-attention, and notes 002 §6 on models that
 * draw images from text), on the captions task ("a thick slanted seven", models/tasks/captions.ts).
 *
 * The three steps of `latent-diffusion`, with a caption in place of the class:
 * 1. compress: the same KL autoencoder to a 4x7x7 latent, trained first, then frozen;
 * 2. diffuse in the latent space, the U-Net reading the caption: a small text encoder (token
 *    embeddings and a GRU, models/blocks/text.ts) gives one feature per word, every attention block
 *    of the U-Net cross-attends from each latent position to those words (models/blocks/unet.ts),
 *    and the words' mean joins the time embedding. The text encoder trains with the U-Net.
 *    Classifier-free guidance as before: with probability `dropCaption` the words are replaced by a
 *    learned "no caption" sequence ∅, and sampling follows ε̃ = ε_θ(z_t, t, ∅) + s·(ε_θ(z_t, t, c) - ε_θ(z_t, t, ∅));
 * 3. decode the DDIM sample.
 * Loss: the autoencoder's negative ELBO, then the ε-MSE in latent space (the U-Net's output read
 * as v, as in ddpm). The batch record is { images in [0, 1], tokens }; the grid's row r draws digit
 * r mod 10 and its columns cycle thin/thick x upright/slanted (scripts/caption-score.ts measures how
 * often the digit and both attributes come out as the caption says).
 */
import * as T from '../src/index.js';
import { nn, optim } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { KlAutoencoder, LATENT_CHANNELS } from './blocks/diffusion-autoencoder.js';
import { BETA_SCHEDULES, NoiseSchedule, UNET_OUTPUTS, asEpsilon, denoise, emaDecayAt, epsilonLoss, type DiffusionConfig, type EpsilonModel } from './blocks/diffusion.js';
import { TextEncoder, captionsToDraw } from './blocks/text.js';
import { deviceOf, evaluating, minimize, requireField, updateEma } from './blocks/train.js';
import { UNet } from './blocks/unet.js';
import { CAPTION_LENGTH } from './tasks/captions.js';
import { autoencoderStep } from './latent-diffusion.js';
import type { GenerativeModel, SampleOptions, Training } from './protocol.js';
import { registerModel } from './registry.js';

export interface LatentDiffusionTextConfig extends DiffusionConfig {
  task: 'captions';
  /** Autoencoder channels (2x at 14x14 and 7x7). */
  autoencoderWidth: number;
  klWeight: number;
  /** Steps that train the autoencoder before it is frozen and the diffusion trains. */
  autoencoderSteps: number;
  /** Token embedding size, and the GRU's state: the width of each word's feature. */
  embedDim: number;
  textDim: number;
  /** Probability of replacing a caption by ∅ in training (classifier-free guidance). */
  dropCaption: number;
  /** Guidance scale s of `sample` (1: conditional, no guidance). */
  guidance: number;
}

/** The trained part of step 2: the text encoder, the null caption ∅ and the U-Net (the EMA copies all three). */
export class CaptionDenoiser extends nn.Module {
  text: TextEncoder;
  /** ∅: the word features of "no caption", learned. */
  nullWords: nn.Parameter;
  unet: UNet;

  constructor(config: LatentDiffusionTextConfig, device?: DeviceName) {
    super();
    this.text = new TextEncoder(config.embedDim, config.textDim, device);
    this.nullWords = new nn.Parameter(T.mul(T.randn([1, CAPTION_LENGTH, config.textDim], { device }), 0.1));
    this.unet = new UNet({ channels: LATENT_CHANNELS, width: config.width, mults: config.mults, groups: config.groups, heads: config.heads, contextDim: config.textDim }, device);
  }

  /** The words of `tokens` [N, L] as context [N, L, textDim]; rows where `drop` (bool [N]) is set get ∅. */
  context(tokens: Tensor, drop?: Tensor): Tensor {
    const { words } = this.text.forward(tokens);
    if (!drop) return words;
    return T.where(T.reshape(drop, [tokens.shape[0]!, 1, 1]), this.nullWords, words);
  }

  /** ∅ for n captions [n, L, textDim]. */
  none(n: number): Tensor {
    return T.expand(this.nullWords, [n, CAPTION_LENGTH, this.nullWords.shape[2]!]);
  }
}

export class LatentDiffusionText extends nn.Module implements GenerativeModel {
  autoencoder: KlAutoencoder;
  net: CaptionDenoiser;
  ema: CaptionDenoiser;
  declare latentScale: Tensor;
  readonly schedule: NoiseSchedule;

  constructor(readonly config: LatentDiffusionTextConfig, device?: DeviceName) {
    super();
    this.autoencoder = new KlAutoencoder(config.autoencoderWidth, device);
    this.net = new CaptionDenoiser(config, device);
    this.ema = new CaptionDenoiser(config, device);
    this.ema.loadStateDict(this.net.stateDict());
    this.ema.requiresGrad_(false);
    this.registerBuffer('latentScale', T.ones([], { device }));
    this.schedule = new NoiseSchedule(config.timesteps, config.schedule);
  }

  /** Unit-scale latents z_0 [N, 4, 7, 7] of images in [0, 1], one draw from q(z|x), no gradient. */
  latents(x: Tensor): Tensor {
    return T.noGrad(() => T.mul(this.autoencoder.sampleLatent(x), this.latentScale));
  }

  /** ε_θ(z_t, t, c) for the context c; guided by scale s when s ≠ 1 (one batched pass for c and ∅). */
  epsilon(net: CaptionDenoiser, context: Tensor, guidance: number): EpsilonModel {
    if (guidance === 1) return asEpsilon(this.schedule, this.config.output, (z, t) => net.unet.forward(z, t, undefined, context));
    const both = T.cat([context, net.none(context.shape[0]!)], 0);
    return asEpsilon(this.schedule, this.config.output, (z, t) => {
      const [conditional, unconditional] = T.split(net.unet.forward(T.cat([z, z], 0), T.cat([t, t], 0), undefined, both), z.shape[0]!, 0);
      return T.add(unconditional!, T.mul(T.sub(conditional!, unconditional!), guidance));
    });
  }

  /** The diffusion loss on a batch: captions replaced by ∅ with probability `dropCaption`. */
  loss(images: Tensor, tokens: Tensor): Tensor {
    const drop = T.lt(T.rand([tokens.shape[0]!], { device: tokens.device }), this.config.dropCaption);
    return epsilonLoss(this.schedule, this.epsilon(this.net, this.net.context(tokens, drop), 1), this.latents(images));
  }

  /** DDIM in the latent space from the captions `sources.tokens` (default: the grid's), then decoding. */
  sample(n: number, options: SampleOptions & { guidance?: number } = {}): Tensor {
    return evaluating(this, () => {
      const device = deviceOf(this.autoencoder);
      const context = this.ema.context(captionsToDraw(n, device, options.sources));
      const eps = this.epsilon(this.ema, context, options.guidance ?? this.config.guidance);
      const z = denoise(this.schedule, eps, T.randn([n, LATENT_CHANNELS, 7, 7], { device }), { sampler: 'ddim', steps: options.steps ?? this.config.steps, eta: 0 });
      return T.sigmoid(this.autoencoder.decode(T.div(z, this.latentScale)));
    });
  }
}

function latentDiffusionTextTraining(model: LatentDiffusionText, lr: number): Training {
  const autoencoder = new optim.Adam(model.autoencoder.parameters(), { lr });
  const denoiser = new optim.Adam(model.net.parameters(), { lr });
  return {
    optimizers: { autoencoder, denoiser },
    step: (batch, { step }) => {
      const images = requireField(batch, 'images', 'latent-diffusion-text');
      if (step < model.config.autoencoderSteps) return autoencoderStep(model, autoencoder, images, step);
      const losses = minimize(denoiser, () => ({ loss: model.loss(images, requireField(batch, 'tokens', 'latent-diffusion-text')) }));
      updateEma(model.ema, model.net, emaDecayAt(model.config.emaDecay, step - model.config.autoencoderSteps));
      return losses;
    },
  };
}

export const latentDiffusionText = registerModel({
  name: 'latent-diffusion-text',
  description: 'Latent diffusion from captions: KL autoencoder to 4x7x7, GRU text encoder, U-Net cross-attending to the words, classifier-free guidance; captions task',
  notes: 'notes 001 GANs §5, notes 002 §6',
  dataRange: [0, 1],
  fields: ['images', 'tokens'],
  task: (config) => config.task,
  config: {
    task: 'captions', autoencoderWidth: 16, klWeight: 0.1, autoencoderSteps: 1000, timesteps: 1000, schedule: 'linear', output: 'velocity', width: 32, mults: [1, 2],
    groups: 8, heads: 2, embedDim: 32, textDim: 64, dropCaption: 0.1, guidance: 2, steps: 50, emaDecay: 0.999,
  } as LatentDiffusionTextConfig,
  choices: { task: ['captions'], schedule: BETA_SCHEDULES, output: UNET_OUTPUTS },
  training: { batch: 64, lr: 1e-3, steps: 10000, sampleEvery: 1000 },
  // Without a GPU: latent-diffusion's light settings, with more diffusion steps for the attributes.
  withoutGpu: { config: { autoencoderWidth: 8, autoencoderSteps: 300, steps: 20, emaDecay: 0.995 }, steps: 2000, sampleEvery: 500 },
  build: (config, device) => new LatentDiffusionText(config, device),
  train: (model, { lr }) => latentDiffusionTextTraining(model, lr),
});
