/**
 * Discrete VAE (MODELS.md, "Autoencoders"; seed 002 section 2.4: the real-valued latent space
 * replaced by a discrete one, as the dVAE that tokenises images for DALL-E).
 *
 * Model: conv 4x4 s2 (28 -> 14) and conv 4x4 s2 (14 -> 7) with ReLU, then a 1x1 conv to logits over
 * a codebook of K tokens at each of the 7x7 positions: q(z|x) is a categorical per position. A
 * token is drawn with the Gumbel-softmax trick, hard (one-hot) in the forward pass and the soft
 * relaxation's gradient in the backward pass (straight-through). The one-hot picks a codebook
 * vector (a 1x1 conv without bias), and the decoder (conv 3x3, then transposed conv 4x4 s2 twice)
 * maps the 7x7 grid of vectors to pixel logits. The relaxation's temperature is annealed,
 * tau = max(tauMin, exp(-annealRate * step)) (Jang et al.), so gradients start smooth and become
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
import { registerModel, type Trainer } from './registry.js';

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

export class Dvae extends nn.Module {
  encoder: nn.Sequential;
  codebook: nn.Conv2d;
  decoder: nn.Sequential;
  /** Running p(z_ij = k) [K, 7, 7], the prior samples are drawn from. */
  tokenPrior!: Tensor;

  constructor(readonly config: DvaeConfig = { tokens: 512, embedding: 64, hidden: 64, tauMin: 0.5, annealRate: 1e-3 }, device?: DeviceName) {
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

  /** Negative ELBO terms per image (nats) with straight-through Gumbel-softmax tokens at temperature tau. */
  elbo(x: Tensor, tau: number): { loss: Tensor; reconstruction: Tensor; kl: Tensor; tokens: Tensor } {
    const logits = this.encode(x);
    const tokens = T.gumbelSoftmax(logits, { tau, hard: true, axis: 1 });
    const n = x.shape[0]!;
    const reconstruction = T.div(T.bceWithLogits(this.decode(tokens), x, { reduction: 'sum' }), n);
    const logQ = T.logSoftmax(logits, 1);
    const kl = T.add(T.div(T.sum(T.mul(T.exp(logQ), logQ)), n), 49 * Math.log(this.config.tokens));
    return { loss: T.add(reconstruction, kl), reconstruction, kl, tokens };
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

  /** Move the prior toward the batch's token frequencies. */
  updatePrior(tokens: Tensor): void {
    const next = T.noGrad(() => T.add(T.mul(this.tokenPrior, 1 - PRIOR_MOMENTUM), T.mul(T.mean(T.detach(tokens), 0), PRIOR_MOMENTUM)));
    this.tokenPrior.dispose();
    this.registerBuffer('tokenPrior', next);
  }
}

export function createDvae(opts: { device: DeviceName; lr: number; config: DvaeConfig }): Trainer {
  const model = new Dvae(opts.config, opts.device);
  const adam = new optim.Adam(model.parameters(), { lr: opts.lr });
  // Updates done so far: restored with the optimizer state on --resume, so the annealing continues.
  const stepsDone = () => adam.stateDict().state[0]?.step ?? 0;
  return {
    module: model,
    optimizers: { adam },
    trainStep(images) {
      const tau = model.tau(stepsDone());
      const terms = T.tidy(() => {
        adam.zeroGrad();
        const out = model.elbo(images, tau);
        out.loss.backward();
        adam.step();
        return out;
      });
      model.updatePrior(terms.tokens);
      terms.tokens.dispose();
      return { loss: terms.loss, reconstruction: terms.reconstruction, kl: terms.kl };
    },
    sample(n, real) {
      return T.noGrad(() => T.tidy(() => {
        const shown = T.slice(real, [{ stop: Math.floor(n / 4) }]);
        const rebuilt = T.sigmoid(model.decode(model.argmaxTokens(shown)));
        const prior = T.sigmoid(model.decode(model.sampleTokens(n - 2 * shown.shape[0]!)));
        return T.cat([shown, rebuilt, prior], 0);
      }));
    },
  };
}

registerModel<DvaeConfig>({
  name: 'dvae',
  description: 'Discrete VAE: 7x7 tokens over a 512-codebook, straight-through Gumbel-softmax, annealed tau; -ELBO in nats',
  dataRange: [0, 1],
  defaults: { batch: 64, lr: 1e-3, steps: 600, sampleEvery: 200 },
  withoutGpu: { config: { tokens: 128, hidden: 32 }, steps: 300, sampleEvery: 100 },
  config: { tokens: 512, embedding: 64, hidden: 64, tauMin: 0.5, annealRate: 1e-3 },
  create: createDvae,
});
