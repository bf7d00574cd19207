/**
 * Generative stochastic network (docs/models.md "Classical"; notes 002 §1.4, the classical models that
 * tie neural networks to maximum likelihood; Bengio et al. 2014, "Deep generative stochastic
 * networks trainable by backprop").
 *
 * Model: a Markov chain whose transition is "corrupt, then denoise": x̃ = C(x) flips each pixel to
 * 0 or 1 (salt-and-pepper noise) with probability `noise`, h = σ(W₁x̃ + b₁) is one hidden layer,
 * and P(x | h) is Bernoulli with logits W₂h + b₂. A denoiser trained this way defines a chain whose
 * stationary distribution estimates the data distribution.
 * Loss: walkback. From a data image x₀, run the chain `walkback` times, x_i ~ P(x | C(x_{i-1})),
 * and sum the binary cross-entropy of every step's reconstruction against x₀ (averaged over
 * steps and pixels): the walkback visits the spurious modes the chain would wander into and
 * teaches the model to pull them back to the data. The chain samples x_i are not differentiated
 * through. Adam.
 * Sampling: run the noisy chain from uniform noise for `sampleSteps` steps; the grid shows the
 * last step's P(x | h) means.
 */
import * as T from '../src/index.js';
import { nn, optim } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { bernoulli } from './rbm.js';
import { deviceOf, evaluating, minimize, requireField } from './blocks/train.js';
import type { GenerativeModel } from './protocol.js';
import { registerModel } from './registry.js';

export interface GsnConfig {
  hidden: number;
  walkback: number;
  /** Salt-and-pepper probability: the chance a pixel is replaced by a coin flip of 0 / 1. */
  noise: number;
  sampleSteps: number;
}

const PIXELS = 784;

/** Each value replaced, with probability p, by 0 or 1 with equal chance. */
export function saltAndPepper(x: Tensor, p: number): Tensor {
  return T.tidy(() => T.where(T.lt(T.randLike(x), p), T.cast(T.lt(T.randLike(x), 0.5), x.dtype), x));
}

export class Gsn extends nn.Module implements GenerativeModel {
  encoder: nn.Linear;
  decoder: nn.Linear;

  constructor(readonly config: GsnConfig, device?: DeviceName) {
    super();
    this.encoder = new nn.Linear(PIXELS, config.hidden, { device });
    this.decoder = new nn.Linear(config.hidden, PIXELS, { device });
  }

  /** Logits of P(x | h) after corrupting x [N, 784]. */
  forward(x: Tensor): Tensor {
    return this.decoder.forward(T.sigmoid(this.encoder.forward(saltAndPepper(x, this.config.noise))));
  }

  /** Walkback loss from data x₀ [N, 784]: mean over the chain's steps of BCE(step, x₀). */
  loss(x0: Tensor): Tensor {
    let x = x0;
    let total: Tensor | null = null;
    for (let i = 0; i < this.config.walkback; i++) {
      const logits = this.forward(x);
      const step = T.bceWithLogits(logits, x0);
      total = total ? T.add(total, step) : step;
      x = T.noGrad(() => bernoulli(T.sigmoid(logits.detach())));
    }
    return T.div(total!, this.config.walkback);
  }

  /** The last P(x | h) means [n, 1, 28, 28] of a chain of `sampleSteps` steps started at uniform noise. */
  sample(n: number): Tensor {
    return evaluating(this, () => {
      let x = bernoulli(T.full([n, PIXELS], 0.5, { device: deviceOf(this) }));
      let mean = x;
      for (let i = 0; i < this.config.sampleSteps; i++) {
        const next = T.tidy(() => {
          const m = T.sigmoid(this.forward(x));
          return { x: bernoulli(m), mean: m };
        });
        x.dispose();
        if (mean !== x) mean.dispose();
        ({ x, mean } = next);
      }
      return T.reshape(mean, [n, 1, 28, 28]);
    });
  }
}

export const gsn = registerModel({
  name: 'gsn',
  description: 'GSN: one hidden layer (1000), salt-and-pepper noise, walkback 4, BCE; samples by running the chain',
  notes: 'notes 002 §1.4',
  dataRange: [0, 1],
  fields: ['images'],
  config: { hidden: 1000, walkback: 4, noise: 0.4, sampleSteps: 200 } as GsnConfig,
  training: { batch: 64, lr: 1e-3, steps: 3000, sampleEvery: 1000 },
  withoutGpu: { config: { hidden: 500 }, steps: 1000, sampleEvery: 500 },
  build: (config, device) => new Gsn(config, device),
  train: (model, { lr }) => {
    const adam = new optim.Adam(model.parameters(), { lr });
    return {
      optimizers: { adam },
      step: (batch) => minimize(adam, () => ({ loss: model.loss(T.flatten(requireField(batch, 'images', 'gsn'), 1)) })),
    };
  },
});
