/**
 * Restricted Boltzmann machine (docs/models.md "Classical"; notes 002 §1.4, the RBM as the first meeting
 * of neural networks and maximum likelihood).
 *
 * Model: 784 binary visible units v and 256 binary hidden units h with energy
 * E(v, h) = -bᵀv - cᵀh - hᵀWv and p(v, h) ∝ exp(-E). Summing h out gives the free energy
 * F(v) = -bᵀv - Σ_j softplus(W_j v + c_j), p(v) ∝ exp(-F(v)), and the conditionals factorise:
 * p(h_j = 1 | v) = σ(W_j v + c_j), p(v_i = 1 | h) = σ(W_iᵀ h + b_i).
 * Loss: the log-likelihood gradient is E_data[∇F] - E_model[∇F]; contrastive divergence (CD-k)
 * estimates the model term from k Gibbs steps started at the data, persistent CD from chains
 * carried over between steps. Training minimises mean F(v_data) - mean F(v_chain) with the chain
 * held fixed, whose gradient is exactly that estimate; SGD with momentum. Data are binarised by
 * sampling each pixel from its intensity. The reported loss is the one-step reconstruction
 * error |x - E[v | E[h | x]]|² per pixel (falls as the model learns), then that free-energy gap.
 * Sampling: a long Gibbs chain v -> h -> v from uniform noise (`sample`), or, for the grid, from
 * binarised data digits (`preview`); both show p(v | h) at the end.
 */
import * as T from '../src/index.js';
import { nn, optim } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { minimize, requireField } from './blocks/train.js';
import type { Batch, GenerativeModel, Training } from './protocol.js';
import { registerModel } from './registry.js';

export interface RbmConfig {
  hidden: number;
  /** Gibbs steps per training step (the k of CD-k). */
  k: number;
  persistent: boolean;
  /** Gibbs steps of the sampling chain. */
  sampleSteps: number;
}

const VISIBLE = 784;

/** Binary units drawn with probabilities p. */
export function bernoulli(p: Tensor): Tensor {
  return T.tidy(() => T.cast(T.lt(T.randLike(p), p), p.dtype));
}

export class Rbm extends nn.Module implements GenerativeModel {
  weight: nn.Parameter;
  visibleBias: nn.Parameter;
  hiddenBias: nn.Parameter;
  /** The persistent chains (training state, not part of the model). */
  chain!: Tensor | null;

  constructor(readonly config: RbmConfig, device?: DeviceName) {
    super();
    this.weight = new nn.Parameter(T.mul(T.randn([config.hidden, VISIBLE], { device }), 0.01));
    this.visibleBias = new nn.Parameter(T.zeros([VISIBLE], { device }));
    this.hiddenBias = new nn.Parameter(T.zeros([config.hidden], { device }));
    this.registerBuffer('chain', null, false);
  }

  hiddenProbability(v: Tensor): Tensor {
    return T.sigmoid(T.add(T.matmul(v, T.transpose(this.weight)), this.hiddenBias));
  }

  visibleProbability(h: Tensor): Tensor {
    return T.sigmoid(T.add(T.matmul(h, this.weight), this.visibleBias));
  }

  /** F(v) per row of v [N, 784]. */
  freeEnergy(v: Tensor): Tensor {
    const hidden = T.sum(T.softplus(T.add(T.matmul(v, T.transpose(this.weight)), this.hiddenBias)), -1);
    return T.neg(T.add(T.sum(T.mul(v, this.visibleBias), -1), hidden));
  }

  /** `steps` rounds of block Gibbs sampling from v0; returns the last v and p(v | h). */
  gibbs(v0: Tensor, steps: number): { v: Tensor; mean: Tensor } {
    return T.noGrad(() => {
      let state = { v: v0, mean: v0 };
      for (let i = 0; i < steps; i++) {
        const prev = state;
        state = T.tidy(() => {
          const mean = this.visibleProbability(bernoulli(this.hiddenProbability(prev.v)));
          return { v: bernoulli(mean), mean };
        });
        if (prev.v !== v0) {
          prev.v.dispose();
          prev.mean.dispose();
        }
      }
      return state;
    });
  }

  /** Mean F(data) - F(chain) for binary v [N, 784], and the new end of the negative chain. */
  contrastiveDivergence(v: Tensor): { loss: Tensor; chainEnd: Tensor } {
    const start = this.config.persistent && this.chain?.shape[0] === v.shape[0] ? this.chain : v;
    const { v: chainEnd } = this.gibbs(start, this.config.k);
    const loss = T.sub(T.mean(this.freeEnergy(v)), T.mean(this.freeEnergy(chainEnd)));
    return { loss, chainEnd };
  }

  /** One-step mean-field reconstruction error per pixel of x [N, 784]. */
  reconstructionError(x: Tensor): Tensor {
    return T.noGrad(() => T.tidy(() => T.mseLoss(this.visibleProbability(this.hiddenProbability(x)), x)));
  }

  /**
   * n samples p(v | h) [n, 1, 28, 28] at the end of a Gibbs chain of `sampleSteps` steps started at
   * `start` [n, 784] (binary digits), or at uniform noise without one.
   */
  chainSamples(n: number, start?: Tensor): Tensor {
    return T.tidy(() => {
      const v0 = start ?? bernoulli(T.full([n, VISIBLE], 0.5, { device: this.weight.device }));
      return T.reshape(this.gibbs(v0, this.config.sampleSteps).mean, [n, 1, 28, 28]);
    });
  }

  /** Chains from uniform noise: with no data to start from, they tend to fall into one deep basin of the energy. */
  sample(n: number): Tensor {
    return this.chainSamples(n);
  }

  /**
   * The grid starts the chains at binarised data digits instead, as Hinton's practical guide and
   * the deeplearning.net RBM tutorial do: 1,000 steps take them far from their start, and what
   * they become shows the model's modes.
   */
  preview({ images }: Batch): Tensor {
    return T.tidy(() => this.chainSamples(images!.shape[0]!, bernoulli(T.flatten(images!, 1))));
  }
}

function rbmTraining(model: Rbm, lr: number): Training {
  const sgd = new optim.SGD(model.parameters(), { lr, momentum: 0.5 });
  return {
    optimizers: { sgd },
    step(batch) {
      const x = T.flatten(requireField(batch, 'images', 'rbm'), 1);
      const { loss, chainEnd } = minimize(sgd, () => model.contrastiveDivergence(bernoulli(x)));
      const reconstruction = model.reconstructionError(x);
      x.dispose();
      if (model.config.persistent) {
        model.chain?.dispose();
        model.registerBuffer('chain', chainEnd, false);
      } else chainEnd.dispose();
      return { reconstruction, freeEnergyGap: loss };
    },
  };
}

export const rbm = registerModel({
  name: 'rbm',
  description: 'RBM 784 binary visible x 256 hidden, persistent CD-1, long Gibbs chain sampling',
  notes: 'notes 002 §1.4',
  dataRange: [0, 1],
  fields: ['images'],
  config: { hidden: 256, k: 1, persistent: true, sampleSteps: 1000 } as RbmConfig,
  training: { batch: 64, lr: 0.05, steps: 3000, sampleEvery: 1000 },
  build: (config, device) => new Rbm(config, device),
  train: (model, { lr }) => rbmTraining(model, lr),
});
