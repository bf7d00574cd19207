/**
 * Projection-discriminator GAN (docs/models.md "GANs": projgan; notes 003 *Conditional generative
 * models*: ProjGAN, one of the ways a discriminator takes the condition; Miyato and Koyama 2018).
 *
 * Model: D(x, y) = ψ(φ(x)) + emb(y)ᵀφ(x). The label enters D as an inner product with D's
 * features rather than as an extra input channel (cgan) or a classifier head (acgan): under a
 * log-linear model of p(y|x) this is the form the optimal conditional D takes. φ is a small conv
 * trunk with spectral norm on every weight and no batch norm; G is the DCGAN generator with
 * conditional batch norm (per-class γ_y, β_y). Blocks in models/blocks/projection.ts.
 * Loss: hinge. D: E max(0, 1 - D(x, y)) + E max(0, 1 + D(G(z, y'), y')), y' uniform; G:
 * -E D(G(z, y'), y'). One D step per G step; Adam 2e-4, β (0.5, 0.999) (SN-GAN's setting with one
 * D step).
 * Sampling: pick y, draw z ~ N(0, I), run G(z, y) in eval mode; the grid's row r shows class r.
 */
import * as T from '../src/index.js';
import { nn, optim } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { emaDecayAt } from './blocks/diffusion.js';
import { hingeDiscriminatorLoss, hingeGeneratorLoss, randomLabels } from './blocks/gan.js';
import { ProjectionGan, type ProjectionGanConfig } from './blocks/projection.js';
import { adversarialRound, requireField, type AdversarialParts } from './blocks/train.js';
import type { Training } from './protocol.js';
import { registerModel } from './registry.js';

export type ProjganConfig = ProjectionGanConfig;

/** The optimizers of a projection GAN and the one-D-step hinge round; `extra` adds terms (contragan) and an EMA. */
export interface ProjectionRound {
  optD: optim.Optimizer;
  optG: optim.Optimizer;
  /** Added to D's hinge loss, from D's features on real images and their labels. */
  dExtra?: (features: Tensor, labels: Tensor) => Tensor;
  /** Added to G's hinge loss, from D's features on the fakes and their labels. */
  gExtra?: (features: Tensor, labels: Tensor) => Tensor;
  /** G's EMA; its decay is warmed up by `emaDecayAt`, so the average soon forgets its random start. */
  ema?: AdversarialParts['ema'];
}

export function projectionTraining(model: ProjectionGan, round: ProjectionRound, name: string): Training {
  const { optD, optG } = round;
  return {
    optimizers: { d: optD, g: optG },
    step(batch, context) {
      const images = requireField(batch, 'images', name);
      const labels = requireField(batch, 'labels', name);
      return T.tidy(() => {
        const fakeLabels = randomLabels(images.shape[0]!, model.config.classes, images.device);
        const fake = model.generateClasses(fakeLabels);
        return adversarialRound({
          critic: model.discriminatorPart(), optD, optG,
          ema: round.ema && { ...round.ema, decay: emaDecayAt(round.ema.decay, context.step) },
          dLoss: () => {
            // Real and fake through φ as one batch: one pass (and one power iteration) per step.
            const n = images.shape[0]!;
            const features = model.trunk.forward(T.cat([images, fake.detach()], 0));
            const [real] = T.split(features, n, 0);
            const [realLogits, fakeLogits] = T.split(model.projectionLogits(features, T.cat([labels, fakeLabels], 0)), n, 0);
            const hinge = hingeDiscriminatorLoss(realLogits!, fakeLogits!);
            return round.dExtra ? T.add(hinge, round.dExtra(real, labels)) : hinge;
          },
          gLoss: () => {
            const forged = model.trunk.forward(fake);
            const hinge = hingeGeneratorLoss(model.projectionLogits(forged, fakeLabels));
            return round.gExtra ? T.add(hinge, round.gExtra(forged, fakeLabels)) : hinge;
          },
        }, context);
      });
    },
  };
}

/** Adam over a module's parameters with the β its paper names. */
export const adamWith = (module: nn.Module, lr: number, betas: [number, number]): optim.Adam => new optim.Adam(module.parameters(), { lr, betas });

export const projgan = registerModel({
  name: 'projgan',
  description: 'Projection discriminator D = psi(phi(x)) + emb(y)^T phi(x) with spectral norm, conditional-BN generator, hinge; grid row r = class r',
  notes: 'notes 003 (conditional GANs: ProjGAN)',
  dataRange: [-1, 1],
  fields: ['images', 'labels'],
  config: { zDim: 100, classes: 10, width: 64 } as ProjganConfig,
  training: { batch: 64, lr: 2e-4, steps: 2500, sampleEvery: 250 },
  // Width 16, as the other conditional GANs' light runs.
  withoutGpu: { config: { width: 16 }, steps: 2500, sampleEvery: 500 },
  build: (config, device: DeviceName) => new ProjectionGan(config, device),
  train: (model, { lr }) => projectionTraining(model, {
    optD: adamWith(model.discriminatorPart(), lr, [0.5, 0.999]), optG: adamWith(model.generator, lr, [0.5, 0.999]),
  }, 'projgan'),
});
