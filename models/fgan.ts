/**
 * f-GAN (docs/models.md "GANs": fgan; notes 003 *GANs*: f-GANs generalise the GAN objective to
 * other divergences, in the search for objectives that train more easily; Nowozin et al. 2016).
 *
 * An f-divergence D_f(P‖Q) = ∫ q f(p/q) with f convex, f(1) = 0, has the variational lower bound
 * D_f(P‖Q) ≥ sup_T E_P[T(x)] − E_Q[f*(T(x))], with f*(t) = sup_u ut − f(u) the convex conjugate.
 * D outputs a raw value v and T = g_f(v), where the output activation g_f maps onto the domain of
 * f*. Per divergence (the paper's Table 2 and 6):
 *
 *   name          f(u)                               g_f(v)             f*(t)
 *   kl            u log u                            v                  exp(t − 1)
 *   reverse-kl    −log u                             −exp(−v)           −1 − log(−t)
 *   pearson       (u − 1)²                           v                  t²/4 + t
 *   hellinger     (√u − 1)²                          1 − exp(−v)        t / (1 − t)
 *   js            −(u+1) log((1+u)/2) + u log u      log 2 − softplus(−v)  −log(2 − exp(t))
 *   tv            |u − 1| / 2                        tanh(v) / 2        t   (|t| ≤ 1/2)
 *
 * Model: the DCGAN generator and discriminator trunks (models/blocks/gan.ts), D with one linear
 * output v. Loss: D maximises the bound F = E_P[g_f(v)] − E_Q[f*(g_f(v))] (minimises −F); G
 * minimises −E_Q[g_f(v(G(z)))], the paper's alternative G step (the analogue of the
 * non-saturating loss). f*(g_f(v)) is computed in closed form from v, which stays finite where
 * the composition would not (e.g. js: softplus(v) − log 2). The step also reports F, D's estimate
 * of the divergence. Adam 2e-4, β1 0.5. Sampling: z ~ N(0, I) through G in eval mode.
 */
import * as T from '../src/index.js';
import { nn } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { DcganDiscriminatorTrunk, DcganGenerator, ganAdam, latent } from './blocks/gan.js';
import { adversarialRound, deviceOf, evaluating, requireField } from './blocks/train.js';
import type { GenerativeModel, Training } from './protocol.js';
import { registerModel } from './registry.js';

export type Divergence = 'kl' | 'reverse-kl' | 'pearson' | 'hellinger' | 'js' | 'tv';
export const DIVERGENCES: readonly Divergence[] = ['kl', 'reverse-kl', 'pearson', 'hellinger', 'js', 'tv'];

/** One f-divergence: f on numbers (for checks), g_f and f* on tensors, and f*(g_f(v)) fused. */
export interface FDivergence {
  f(u: number): number;
  activation(v: Tensor): Tensor;
  conjugate(t: Tensor): Tensor;
  /** f*(g_f(v)), algebraically simplified so it stays finite for every v. */
  conjugateOfActivation(v: Tensor): Tensor;
}

const LN2 = Math.LN2;

export const F_DIVERGENCES: Record<Divergence, FDivergence> = {
  kl: {
    f: (u) => (u === 0 ? 0 : u * Math.log(u)),
    activation: (v) => v,
    conjugate: (t) => T.exp(T.sub(t, 1)),
    conjugateOfActivation: (v) => T.exp(T.sub(v, 1)),
  },
  'reverse-kl': {
    f: (u) => -Math.log(u),
    activation: (v) => T.neg(T.exp(T.neg(v))),
    conjugate: (t) => T.sub(-1, T.log(T.neg(t))),
    conjugateOfActivation: (v) => T.sub(v, 1),
  },
  pearson: {
    f: (u) => (u - 1) ** 2,
    activation: (v) => v,
    conjugate: (t) => T.add(T.div(T.square(t), 4), t),
    conjugateOfActivation: (v) => T.add(T.div(T.square(v), 4), v),
  },
  hellinger: {
    f: (u) => (Math.sqrt(u) - 1) ** 2,
    activation: (v) => T.sub(1, T.exp(T.neg(v))),
    conjugate: (t) => T.div(t, T.sub(1, t)),
    // (1 − e^{−v}) / e^{−v} = e^v − 1.
    conjugateOfActivation: (v) => T.expm1(v),
  },
  js: {
    f: (u) => -(u + 1) * Math.log((1 + u) / 2) + (u === 0 ? 0 : u * Math.log(u)),
    activation: (v) => T.sub(LN2, T.softplus(T.neg(v))),
    conjugate: (t) => T.neg(T.log(T.sub(2, T.exp(t)))),
    // −log(2 − 2σ(v)) = −log 2 − log σ(−v) = softplus(v) − log 2.
    conjugateOfActivation: (v) => T.sub(T.softplus(v), LN2),
  },
  tv: {
    f: (u) => Math.abs(u - 1) / 2,
    activation: (v) => T.div(T.tanh(v), 2),
    conjugate: (t) => t,
    conjugateOfActivation: (v) => T.div(T.tanh(v), 2),
  },
};

/** The variational bound F = E_P[g_f(v_real)] − E_Q[f*(g_f(v_fake))], D's estimate of D_f(P‖Q). */
export function variationalBound(divergence: FDivergence, realV: Tensor, fakeV: Tensor): Tensor {
  return T.sub(T.mean(divergence.activation(realV)), T.mean(divergence.conjugateOfActivation(fakeV)));
}

export interface FganConfig {
  zDim: number;
  /** Channels at 14x14 of both DCGAN trunks. */
  width: number;
  divergence: Divergence;
}

export class Fgan extends nn.Module implements GenerativeModel {
  generator: DcganGenerator;
  discriminator: nn.Sequential;

  constructor(readonly config: FganConfig, device?: DeviceName) {
    super();
    this.generator = new DcganGenerator(config.zDim, config.width, device);
    const trunk = new DcganDiscriminatorTrunk(1, config.width, device);
    this.discriminator = new nn.Sequential(trunk, new nn.Linear(trunk.features, 1, { device }));
    nn.dcganInit_(this);
  }

  get divergence(): FDivergence {
    return F_DIVERGENCES[this.config.divergence];
  }

  generate(n: number): Tensor {
    return this.generator.forward(latent(n, this.config.zDim, deviceOf(this.generator)));
  }

  sample(n: number): Tensor {
    return evaluating(this.generator, () => this.generate(n));
  }
}

function fganTraining(model: Fgan, lr: number): Training {
  const d = model.discriminator;
  const optD = ganAdam(d, lr);
  const optG = ganAdam(model.generator, lr);
  return {
    optimizers: { d: optD, g: optG },
    step(batch, context) {
      const real = requireField(batch, 'images', 'fgan');
      return T.tidy(() => {
        const fake = model.generate(real.shape[0]!);
        let bound: Tensor | undefined;
        const losses = adversarialRound({
          critic: d, optD, optG,
          dLoss: () => {
            const f = variationalBound(model.divergence, d.forward(real), d.forward(fake.detach()));
            bound = T.keep(f.detach());
            return T.neg(f);
          },
          gLoss: () => T.neg(T.mean(model.divergence.activation(d.forward(fake)))),
        }, context);
        return { ...losses, divergence: bound! };
      });
    },
  };
}

export const fgan = registerModel({
  name: 'fgan',
  description: 'f-GAN: DCGAN trunks trained on the variational bound of an f-divergence (kl, reverse-kl, pearson, hellinger, js, tv)',
  notes: 'notes 003 (GANs: f-GANs)',
  dataRange: [-1, 1],
  fields: ['images'],
  config: { zDim: 100, width: 64, divergence: 'js' } as FganConfig,
  choices: { divergence: DIVERGENCES },
  training: { batch: 64, lr: 2e-4, steps: 1500, sampleEvery: 250 },
  // As dcgan's light run: width 16 draws digit strokes in 1,000 steps.
  withoutGpu: { config: { width: 16 }, steps: 1000, sampleEvery: 250 },
  build: (config, device) => new Fgan(config, device),
  train: (model, { lr }) => fganTraining(model, lr),
});
