/**
 * pix2pix, paired image-to-image translation with a conditional GAN (docs/models.md "Translation":
 * pix2pix; notes 003 "Image-to-image translation: pix2pix"), on the synthetic paired tasks
 * (models/tasks): `edges` (outline -> digit) or `occluded` (digit with a grey square -> digit).
 *
 * Model: G is the U-Net 28 -> 14 -> 7 with skips (blocks/translation.ts); D is a PatchGAN on the
 * pair (source, image) stacked as channels, a 7x7 map of logits. D judges whether an image is a
 * real target *for this source*, so it is conditional.
 * Loss (Isola et al.): D minimises ½[BCE(D(x, y) -> 1) + BCE(D(x, G(x)) -> 0)] (halved, to slow D
 * relative to G, as the paper); G minimises BCE(D(x, G(x)) -> 1) + λ‖y - G(x)‖₁ with λ = 100: the L1
 * term alone gives the blurry mean, the patch loss sharpens it. No z: the paper found the noise
 * ignored and gives dropout as the only randomness; here G is deterministic. Adam 2e-4, β1 0.5.
 * Sampling: translates n kept sources (the last training batch's; blocks/translation.ts), or the
 * first n of a given record's `source` (`genlab eval`: the held-out digits').
 */
import * as T from '../src/index.js';
import { nn } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { discriminatorLoss, ganAdam } from './blocks/gan.js';
import { adversarialRound, evaluating, requireField } from './blocks/train.js';
import { PatchDiscriminator, SourceBank, UNet28, l1, tripletRows } from './blocks/translation.js';
import type { Batch, GenerativeModel, SampleOptions, Training } from './protocol.js';
import { registerModel } from './registry.js';

export interface Pix2pixConfig {
  task: 'edges' | 'occluded';
  /** Channels at 14x14 in G and D (twice as many at 7x7). */
  width: number;
  /** λ, the weight of the L1 term. */
  l1Weight: number;
}

export class Pix2pix extends nn.Module implements GenerativeModel {
  generator: UNet28;
  discriminator: PatchDiscriminator;
  bank: SourceBank;

  constructor(readonly config: Pix2pixConfig, device?: DeviceName) {
    super();
    this.generator = new UNet28(1, config.width, 1, device);
    this.discriminator = new PatchDiscriminator(2, config.width, 'batch', device);
    nn.dcganInit_(this);
    this.bank = new SourceBank(64, [1, 28, 28], device);
  }

  translate(source: Tensor): Tensor {
    return this.generator.forward(source);
  }

  /** D's patch logits for `image` as a translation of `source`. */
  judge(source: Tensor, image: Tensor): Tensor {
    return this.discriminator.forward(T.cat([source, image], 1));
  }

  /** G(x) for n kept sources (or the first n of `sources.source`), in eval mode. */
  sample(n: number, options: SampleOptions = {}): Tensor {
    return evaluating(this.generator, () => this.translate(this.bank.take(n, options.sources, 'source', 'pix2pix')));
  }

  /** Rows of sources, their translations and the targets. */
  preview(batch: Batch): Tensor {
    const source = requireField(batch, 'source', 'pix2pix');
    const target = requireField(batch, 'target', 'pix2pix');
    return evaluating(this.generator, () => tripletRows([source, this.translate(source), target]));
  }
}

function pix2pixTraining(model: Pix2pix, lr: number): Training {
  const d = model.discriminator;
  const optD = ganAdam(d, lr);
  const optG = ganAdam(model.generator, lr);
  return {
    optimizers: { d: optD, g: optG },
    step(batch, context) {
      const source = requireField(batch, 'source', 'pix2pix');
      const target = requireField(batch, 'target', 'pix2pix');
      model.bank.remember(source);
      return T.tidy(() => {
        const fake = model.translate(source);
        let reconstruction: Tensor | undefined;
        const losses = adversarialRound({
          critic: d, optD, optG,
          dLoss: () => T.mul(discriminatorLoss(model.judge(source, target), model.judge(source, fake.detach())), 0.5),
          gLoss: () => {
            const logits = model.judge(source, fake);
            const distance = l1(fake, target);
            reconstruction = T.keep(distance.detach());
            return T.add(T.bceWithLogits(logits, T.onesLike(logits)), T.mul(distance, model.config.l1Weight));
          },
        }, context);
        // The L1 distance to the targets (in the [-1, 1] range) first: the number to watch.
        return { l1: reconstruction!, ...losses };
      });
    },
  };
}

export const pix2pix = registerModel({
  name: 'pix2pix',
  description: 'pix2pix: U-Net 28->14->7 with skips, PatchGAN on (source, image), BCE + 100 L1; paired edges/occluded -> digit',
  notes: 'notes 003 (image-to-image translation: pix2pix)',
  dataRange: [-1, 1],
  fields: ['source', 'target'],
  task: (config) => config.task,
  config: { task: 'edges', width: 32, l1Weight: 100 } as Pix2pixConfig,
  choices: { task: ['edges', 'occluded'] },
  training: { batch: 32, lr: 2e-4, steps: 3000, sampleEvery: 500 },
  // Width 32 takes ~1 s a step on two CPU cores (wasm); width 16 reached held-out L1 0.016 in 2,000 steps (55 minutes at load 21-35, 0.6 steps/s).
  withoutGpu: { config: { width: 16 }, steps: 2000, sampleEvery: 250 },
  build: (config, device) => new Pix2pix(config, device),
  train: (model, { lr }) => pix2pixTraining(model, lr),
});
