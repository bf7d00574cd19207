/**
 * Discrete VAE (docs/models.md, "Autoencoders"; notes 002 §2.4: the real-valued latent space
 * replaced by a discrete one, as the dVAE that tokenises images for DALL-E).
 *
 * Model: conv 4x4 s2 (28 -> 14) and conv 4x4 s2 (14 -> 7) with ReLU, then a 1x1 conv to logits over
 * a codebook of K tokens at each of the 7x7 positions: q(z|x) is a categorical per position. A
 * token is drawn with the Gumbel-softmax trick, hard (one-hot) in the forward pass and the soft
 * relaxation's gradient in the backward pass (straight-through). The one-hot picks a codebook
 * vector (a 1x1 conv without bias), and the decoder (conv 3x3, then transposed conv 4x4 s2 twice)
 * maps the 7x7 grid of vectors to pixel logits. The relaxation's temperature is annealed,
 * tau = max(tauMin, exp(-annealRate * step)) (Jang et al.), with the step from the training context, so gradients start smooth and become
 * faithful to the hard sample.
 * Loss: the negative ELBO per image in nats: BCE summed over pixels (intensities as soft targets)
 * plus KL(q(z|x) || uniform) = sum over positions of sum_k q_k log q_k + log K; Adam.
 * Sampling: tokens drawn from a prior over tokens and decoded. The prior is the one-position
 * marginal of q, p(z_ij = k), kept as a running average of the tokens the encoder picks (a
 * factorised stand-in for the autoregressive prior of image-gpt). The grid shows digits, their
 * reconstructions from the argmax tokens, then prior samples.
 */
import * as T from '../src/index.js';
import { nn, optim } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { evaluating, minimize, requireField } from './blocks/train.js';
import type { Batch, GenerativeModel, Training } from './protocol.js';
import { registerModel } from './registry.js';

export interface DvaeConfig {
  /** Codebook size K. */
  tokens: number;
  /** Codebook vector size. */
  embedding: number;
  /** Width of the first conv (the second has twice as many channels). */
  hidden: number;
  tauMin: number;
  annealRate: number;
}

/** Weight of the newest batch in the running token prior. */
const PRIOR_MOMENTUM = 0.01;

export class Dvae extends nn.Module implements GenerativeModel {
  encoder: nn.Sequential;
  codebook: nn.Conv2d;
  decoder: nn.Sequential;
  /** Running p(z_ij = k) [K, 7, 7], the prior samples are drawn from. */
  tokenPrior!: Tensor;

  constructor(readonly config: DvaeConfig, device?: DeviceName) {
    super();
    const { tokens, embedding, hidden } = config;
    const down = (cin: number, cout: number) => new nn.Conv2d(cin, cout, 4, { stride: 2, padding: 1, device });
    const up = (cin: number, cout: number) => new nn.ConvTranspose2d(cin, cout, 4, { stride: 2, padding: 1, device });
    this.encoder = new nn.Sequential(down(1, hidden), new nn.ReLU(), down(hidden, 2 * hidden), new nn.ReLU(), new nn.Conv2d(2 * hidden, tokens, 1, { device }));
    this.codebook = new nn.Conv2d(tokens, embedding, 1, { bias: false, device });
    this.decoder = new nn.Sequential(
      new nn.Conv2d(embedding, 2 * hidden, 3, { padding: 1, device }), new nn.ReLU(), up(2 * hidden, hidden), new nn.ReLU(), up(hidden, 1),
    );
    this.registerBuffer('tokenPrior', T.full([tokens, 7, 7], 1 / tokens, { device }));
  }

  /** Token logits [N, K, 7, 7] of images [N, 1, 28, 28]. */
  encode(x: Tensor): Tensor {
    return this.encoder.forward(x);
  }

  /** Pixel logits [N, 1, 28, 28] of one-hot (or relaxed) tokens [N, K, 7, 7]. */
  decode(tokens: Tensor): Tensor {
    return this.decoder.forward(this.codebook.forward(tokens));
  }

  /** Relaxation temperature after `step` updates. */
  tau(step: number): number {
    return Math.max(this.config.tauMin, Math.exp(-this.config.annealRate * step));
  }

  /** Negative ELBO terms per image [N] (nats) with straight-through Gumbel-softmax tokens at temperature tau. */
  elboPerImage(x: Tensor, tau: number): { loss: Tensor; reconstruction: Tensor; kl: Tensor; tokens: Tensor } {
    const logits = this.encode(x);
    const tokens = T.gumbelSoftmax(logits, { tau, hard: true, axis: 1 });
    const reconstruction = T.sum(T.bceWithLogits(this.decode(tokens), x, { reduction: 'none' }), [1, 2, 3]);
    const logQ = T.logSoftmax(logits, 1);
    const kl = T.add(T.sum(T.mul(T.exp(logQ), logQ), [1, 2, 3]), 49 * Math.log(this.config.tokens));
    return { loss: T.add(reconstruction, kl), reconstruction, kl, tokens };
  }

  /** The same terms as batch means. */
  elbo(x: Tensor, tau: number): { loss: Tensor; reconstruction: Tensor; kl: Tensor; tokens: Tensor } {
    const terms = this.elboPerImage(x, tau);
    return { loss: T.mean(terms.loss), reconstruction: T.mean(terms.reconstruction), kl: T.mean(terms.kl), tokens: terms.tokens };
  }

  /** One-hot [N, K, 7, 7] of the most likely token at each position. */
  argmaxTokens(x: Tensor): Tensor {
    return T.permute(T.oneHot(T.argmax(this.encode(x), 1), this.config.tokens, { dtype: 'float32' }), [0, 3, 1, 2]);
  }

  /** n token grids drawn from the running prior, one-hot [n, K, 7, 7]. */
  sampleTokens(n: number): Tensor {
    const perPosition = T.reshape(T.permute(this.tokenPrior, [1, 2, 0]), [49, this.config.tokens]);
    const drawn = T.reshape(T.permute(T.multinomial(perPosition, n, { replacement: true }), [1, 0]), [n, 7, 7]);
    return T.permute(T.oneHot(drawn, this.config.tokens, { dtype: 'float32' }), [0, 3, 1, 2]);
  }

  /** Tokens drawn from the running prior, decoded: the Bernoulli means. */
  sample(n: number): Tensor {
    return evaluating(this, () => T.sigmoid(this.decode(this.sampleTokens(n))));
  }

  /** Digits, their reconstructions from the argmax tokens, then prior samples. */
  preview({ images }: Batch): Tensor {
    const n = images!.shape[0]!;
    return evaluating(this, () => {
      const shown = T.slice(images!, [{ stop: Math.floor(n / 4) }]);
      const rebuilt = this.reconstruct(shown);
      return T.cat([shown, rebuilt, this.sample(n - 2 * shown.shape[0]!)], 0);
    });
  }

  /** Images decoded from their argmax tokens, as Bernoulli means in [0, 1]. */
  reconstruct(x: Tensor): Tensor {
    return T.sigmoid(this.decode(this.argmaxTokens(x)));
  }

  /** The ELBO per image in nats, with hard tokens at the final temperature (intensities as soft targets, as in training). */
  logLikelihood({ images }: Batch): Tensor {
    return evaluating(this, () => T.neg(this.elboPerImage(images!, this.config.tauMin).loss));
  }

  /** Move the prior toward the batch's token frequencies. */
  updatePrior(tokens: Tensor): void {
    const next = T.noGrad(() => T.add(T.mul(this.tokenPrior, 1 - PRIOR_MOMENTUM), T.mul(T.mean(T.detach(tokens), 0), PRIOR_MOMENTUM)));
    this.tokenPrior.dispose();
    this.registerBuffer('tokenPrior', next);
  }
}

function dvaeTraining(model: Dvae, lr: number): Training {
  const adam = new optim.Adam(model.parameters(), { lr });
  return {
    optimizers: { adam },
    step(batch, { step }) {
      const images = requireField(batch, 'images', 'dvae');
      const { tokens, ...losses } = minimize(adam, () => model.elbo(images, model.tau(step)));
      model.updatePrior(tokens);
      tokens.dispose();
      return losses;
    },
  };
}

export const dvae = registerModel({
  name: 'dvae',
  description: 'Discrete VAE: 7x7 tokens over a 512-codebook, straight-through Gumbel-softmax, annealed tau; -ELBO in nats',
  notes: 'notes 002 §2.4',
  dataRange: [0, 1],
  fields: ['images'],
  config: { tokens: 512, embedding: 64, hidden: 64, tauMin: 0.5, annealRate: 1e-3 } as DvaeConfig,
  training: { batch: 64, lr: 1e-3, steps: 600, sampleEvery: 200 },
  withoutGpu: { config: { tokens: 128, hidden: 32 }, steps: 1000, sampleEvery: 500 },
  build: (config, device) => new Dvae(config, device),
  train: (model, { lr }) => dvaeTraining(model, lr),
});
