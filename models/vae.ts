/**
 * Variational autoencoder (notes 002 §2.3, the Keras MNIST VAE, with the ELBO of §2.2).
 *
 * Model: the conv encoder of notes 002 §2 with two dense heads, μ and log σ² of the posterior
 * q(z|x) = N(μ, diag σ²) over a 32-d code, and the mirrored conv decoder giving the logits of a
 * Bernoulli likelihood p(x|z) per pixel. z = μ + σ·ε (the reparameterisation) keeps the sample
 * differentiable in μ and σ. `arch: 'mlp'` swaps in the fully connected nets of Kingma and
 * Welling's paper (blocks/image-nets.ts): the equations below are the same.
 * Loss: the negative ELBO per image in nats, -E_q log p(x|z) + KL(q(z|x) || N(0, I)): the BCE
 * summed over the 784 pixels plus the closed-form Gaussian KL, averaged over the batch; Adam.
 * Images are binarised by sampling each pixel from its intensity afresh every step (dynamic
 * binarisation), so the likelihood is that of binary MNIST and the data never repeat exactly.
 * The seed draws ε with standard deviation 0.1; this uses N(0, I), the one that makes the loss an
 * ELBO.
 * Likelihood: `logLikelihood` is the importance-weighted bound of Burda et al. with k posterior
 * samples, log (1/k) Σ p(x, z_i) / q(z_i|x), which is the ELBO at k = 1 and tightens toward
 * log p(x) as k grows.
 * Sampling: z ~ N(0, I) through the decoder, showing the Bernoulli means; the grid adds the seed's
 * interpolations, decoding (1 - α) z_a + α z_b between the posterior means of two digits.
 */
import * as T from '../src/index.js';
import { nn, optim } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { SEED_CHANNELS, interpolationRows } from './blocks/conv-autoencoder.js';
import { IMAGE_NET_ARCHS, imageNets, type ImageNetArch } from './blocks/image-nets.js';
import { evaluating, minimize, requireField } from './blocks/train.js';
import type { Batch, GenerativeModel, Training } from './protocol.js';
import { registerModel } from './registry.js';

export interface VaeConfig {
  latent: number;
  /** 'conv': the conv encoder and decoder of notes 002 §2; 'mlp': fully connected ones. */
  arch: ImageNetArch;
  /** conv: encoder widths (the decoder mirrors them). */
  channels: number[];
  /** mlp: hidden layer sizes of the encoder (the decoder mirrors them). */
  hidden: number[];
}

export interface ElboTerms {
  /** -ELBO per image, nats. */
  loss: Tensor;
  /** -E_q log p(x|z) per image, nats. */
  reconstruction: Tensor;
  /** KL(q(z|x) || p(z)) per image, nats. */
  kl: Tensor;
}

const LOG_2PI = Math.log(2 * Math.PI);

export class Vae extends nn.Module implements GenerativeModel {
  encoder: nn.Sequential;
  fcMu: nn.Linear;
  fcLogVar: nn.Linear;
  decoder: nn.Sequential;

  constructor(readonly config: VaeConfig, device?: DeviceName) {
    super();
    const nets = imageNets(config.arch ?? 'conv', config, device);
    this.encoder = nets.encoder;
    this.decoder = nets.decoder;
    this.fcMu = new nn.Linear(nets.features, config.latent, { device });
    this.fcLogVar = new nn.Linear(nets.features, config.latent, { device });
  }

  /** Posterior mean and log-variance [N, latent] of images [N, 1, 28, 28]. */
  encode(x: Tensor): { mu: Tensor; logVar: Tensor } {
    const h = this.encoder.forward(x);
    return { mu: this.fcMu.forward(h), logVar: this.fcLogVar.forward(h) };
  }

  /** Bernoulli logits [N, 1, 28, 28] of codes [N, latent]. */
  decode(z: Tensor): Tensor {
    return this.decoder.forward(z);
  }

  /** The Bernoulli means [N, 1, 28, 28] decoded from the posterior means of images. */
  reconstruct(x: Tensor): Tensor {
    return T.sigmoid(this.decode(this.encode(x).mu));
  }

  /** z = μ + σ·ε, ε ~ N(0, I). */
  reparameterize(mu: Tensor, logVar: Tensor): Tensor {
    return T.add(mu, T.mul(T.exp(T.mul(logVar, 0.5)), T.randnLike(mu)));
  }

  /** The negative ELBO of binary images x (batch means), with one reparameterised sample of z per image. */
  elbo(x: Tensor): ElboTerms {
    const { mu, logVar } = this.encode(x);
    const reconstruction = T.div(T.bceWithLogits(this.decode(this.reparameterize(mu, logVar)), x, { reduction: 'sum' }), x.shape[0]!);
    const kl = T.klDivGaussian(mu, logVar);
    return { loss: T.add(reconstruction, kl), reconstruction, kl };
  }

  /** log (1/k) Σ_i p(x, z_i) / q(z_i|x) per image [N] for binary x, z_i ~ q(z|x): the ELBO at k = 1. */
  importanceWeightedBound(x: Tensor, k: number): Tensor {
    const { mu, logVar } = this.encode(x);
    // log N(z; m, diag e^lv) summed over the code; the prior is m = 0, lv = 0.
    const logNormal = (z: Tensor, m?: Tensor, lv?: Tensor) => {
      const squared = m && lv ? T.add(T.div(T.square(T.sub(z, m)), T.exp(lv)), lv) : T.square(z);
      return T.mul(T.sum(T.add(squared, LOG_2PI), 1), -0.5);
    };
    // One tidy per sample: only its [N, 1] log-weight outlives it, so k = 1,000 holds k small
    // tensors rather than k decoders' activations.
    const logWeights = Array.from({ length: k }, () => T.tidy(() => {
      const z = this.reparameterize(mu, logVar);
      const logLikelihood = T.neg(T.sum(T.bceWithLogits(this.decode(z), x, { reduction: 'none' }), [1, 2, 3]));
      return T.unsqueeze(T.sub(T.add(logLikelihood, logNormal(z)), logNormal(z, mu, logVar)), 1);
    }));
    return T.sub(T.logsumexp(T.cat(logWeights, 1), 1), Math.log(k));
  }

  /** Decoded means along the straight line between the posterior means of images a and b [1, 1, 28, 28]. */
  interpolate(a: Tensor, b: Tensor, alphas: readonly number[]): Tensor {
    const za = this.encode(a).mu;
    const zb = this.encode(b).mu;
    const alpha = T.tensor(alphas, { shape: [alphas.length, 1], device: a.device });
    return T.sigmoid(this.decode(T.add(T.mul(za, T.sub(1, alpha)), T.mul(zb, alpha))));
  }

  /** z ~ N(0, I) through the decoder: the Bernoulli means. */
  sample(n: number): Tensor {
    return evaluating(this, () => T.sigmoid(this.decode(T.randn([n, this.config.latent], { device: this.fcMu.weight.device }))));
  }

  /** Prior samples in the top half, then (as in the seed) interpolations between pairs of digits. */
  preview({ images }: Batch): Tensor {
    const n = images!.shape[0]!;
    const rows = Math.floor(n / 16);
    return evaluating(this, () => T.cat([this.sample(n - 8 * rows), ...interpolationRows((a, b, al) => this.interpolate(a, b, al), images!, rows)], 0));
  }

  /** The importance-weighted bound (k samples, default 1: the ELBO) of the batch binarised as in training, nats per image. */
  logLikelihood({ images }: Batch, options: { samples?: number } = {}): Tensor {
    return evaluating(this, () => this.importanceWeightedBound(binarize(images!), options.samples ?? 1));
  }
}

/** Each pixel is 1 with probability equal to its intensity. */
export const binarize = (x: Tensor): Tensor => T.cast(T.lt(T.randLike(x), x), x.dtype);

/** The seed's interpolation weights, 0.0, 0.1, ..., 1.0. */
export const SEED_ALPHAS = Array.from({ length: 11 }, (_, i) => i / 10);

function vaeTraining(model: Vae, lr: number): Training {
  const adam = new optim.Adam(model.parameters(), { lr });
  return {
    optimizers: { adam },
    step: (batch) => minimize(adam, () => ({ ...model.elbo(binarize(requireField(batch, 'images', 'vae'))) })),
  };
}

export const vae = registerModel({
  name: 'vae',
  description: 'Conv VAE of notes 002 (z=32; arch=mlp: fully connected): -ELBO in nats (BCE-sum + KL) on dynamically binarised digits',
  notes: 'notes 002 §2.2-2.3',
  dataRange: [0, 1],
  fields: ['images'],
  config: { latent: 32, arch: 'conv', channels: [...SEED_CHANNELS], hidden: [512, 256] } as VaeConfig,
  choices: { arch: IMAGE_NET_ARCHS },
  training: { batch: 64, lr: 1e-3, steps: 600, sampleEvery: 200 },
  // The conv nets of the notes at half width (16-32-32-32): 4,000 steps, 14 min on one wasm thread
  // beside another run (2-core machine, load 8, 2026-12-02); the full widths take ~1.3 s a step there.
  withoutGpu: { config: { channels: [16, 32, 32, 32] }, steps: 4000, sampleEvery: 1000 },
  build: (config, device) => new Vae(config, device),
  train: (model, { lr }) => vaeTraining(model, lr),
});
