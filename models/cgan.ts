/**
 * Conditional GAN (docs/models.md "GANs": cgan; notes 003 "조건부 생성 모델", notes 000 §7): a DCGAN
 * whose generator and discriminator both see the class label y.
 *
 * Model: a label embedding is concatenated to z (G's input is [z, emb_G(y)]) and, as a 28x28
 * plane, to D's input image as a second channel (D sees [x, emb_D(y)]). G and D are the DCGAN
 * trunks of models/blocks/gan.ts.
 * Loss: the conditional game min_G max_D E log D(x|y) + E log(1 - D(G(z|y)|y)), as BCE-with-logits
 * for D on real pairs (x, y) -> 1 and fake pairs (G(z|y'), y') -> 0 with y' drawn uniformly; the
 * notes' "조건을 만족하지 않으면 0": D learns the pair, not just the image. G: non-saturating by
 * default, minimax selectable. Adam 2e-4, β1 0.5.
 * Mode seeking (Mao et al. 2019, MSGAN): without it G learned to ignore z, drawing one image per
 * class (measured here: every row of the grid a copy of one digit). The DCGAN is spared this
 * because D's batch norm sees a whole fake batch, and a batch of copies has no variance; in a
 * batch of ten classes the classes themselves supply that variance, so D no longer notices. The
 * fix pairs the fakes, G(z1|y) and G(z2|y) with the same y, and adds to G's loss
 * λ / (mean|G(z1|y) - G(z2|y)| / mean|z1 - z2|): images that differ less than their codes cost G.
 * `modeSeeking: 0` trains the plain cGAN.
 * Sampling: pick the class y, draw z ~ N(0, I), run G(z|y) with the exponential moving average of
 * G's weights (decay 0.999, warmed up; `emaDecay: 0` uses G itself); the grid's row r shows class r.
 */
import * as T from '../src/index.js';
import { nn } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import {
  DcganDiscriminatorTrunk, DcganGenerator, GENERATOR_LOSSES, discriminatorLoss, ganAdam, generatorLoss, latent, randomLabels,
  type GeneratorLoss,
} from './blocks/gan.js';
import { adversarialRound, averagedCopy, deviceOf, evaluating, requireField, warmedEma } from './blocks/train.js';
import type { GenerativeModel, SampleOptions, Training } from './protocol.js';
import { registerModel } from './registry.js';

export interface CganConfig {
  zDim: number;
  classes: number;
  /** Size of the label embedding concatenated to z. */
  labelDim: number;
  /** Channels at 14x14 of both DCGAN trunks. */
  width: number;
  generatorLoss: GeneratorLoss;
  /** Weight λ of the mode-seeking term (0: off). */
  modeSeeking: number;
  /** Decay of the EMA of G's weights (label embedding and generator) that sampling uses (0: none). */
  emaDecay: number;
}

/** G(z|y): the codes `z` with the label embedding concatenated, through the generator (trained or averaged). */
function imagesOf(label: nn.Embedding, generator: DcganGenerator, labels: Tensor, z: Tensor): Tensor {
  return generator.forward(T.cat([z, label.forward(labels)], 1));
}

export class Cgan extends nn.Module implements GenerativeModel {
  generatorLabel: nn.Embedding;
  generator: DcganGenerator;
  /** One 28x28 plane per class, D's second input channel. */
  discriminatorLabel: nn.Embedding;
  discriminator: nn.Sequential;
  /** The EMA of [generatorLabel, generator], which `sample` draws from; absent when emaDecay is 0. */
  ema?: nn.ModuleList;

  constructor(readonly config: CganConfig, device?: DeviceName) {
    super();
    const { zDim, classes, labelDim, width } = config;
    this.generator = new DcganGenerator(zDim + labelDim, width, device);
    const trunk = new DcganDiscriminatorTrunk(2, width, device);
    this.discriminator = new nn.Sequential(trunk, new nn.Linear(trunk.features, 1, { device }));
    nn.dcganInit_(this);
    // After dcganInit_ (which leaves embeddings alone): N(0, 1) codes, on the scale of z.
    this.generatorLabel = new nn.Embedding(classes, labelDim, { device });
    this.discriminatorLabel = new nn.Embedding(classes, 28 * 28, { device });
    const parts = () => new nn.ModuleList([new nn.Embedding(classes, labelDim, { device }), new DcganGenerator(zDim + labelDim, width, device)]);
    if (config.emaDecay > 0) this.ema = averagedCopy(this.generatorPart(), parts);
  }

  /** Images [N, 1, 28, 28] of the classes `labels` (int32 [N]) from the codes `z` [N, zDim] (fresh noise by default). */
  generateClasses(labels: Tensor, z = latent(labels.shape[0]!, this.config.zDim, labels.device)): Tensor {
    return imagesOf(this.generatorLabel, this.generator, labels, z);
  }

  /** D's logits [N, 1] that (images, labels) is a real pair. */
  discriminate(images: Tensor, labels: Tensor): Tensor {
    const plane = T.reshape(this.discriminatorLabel.forward(labels), [labels.shape[0]!, 1, 28, 28]);
    return this.discriminator.forward(T.cat([images, plane], 1));
  }

  /** D's modules and parameters, for its optimizer and for freezing it during G's step. */
  discriminatorPart(): nn.Module {
    return new nn.ModuleList([this.discriminatorLabel, this.discriminator]);
  }

  generatorPart(): nn.ModuleList {
    return new nn.ModuleList([this.generatorLabel, this.generator]);
  }

  /** G(z|y) by G's EMA (or G) in eval mode for the classes `labels` (default: row r of 8 is class r). */
  sample(n: number, options: SampleOptions = {}): Tensor {
    const parts = this.ema ?? this.generatorPart();
    return evaluating(parts, () => {
      const labels = options.labels ?? gridLabels(n, this.config.classes, deviceOf(this));
      return imagesOf(parts.at(0) as nn.Embedding, parts.at(1) as DcganGenerator, labels, latent(labels.shape[0]!, this.config.zDim, labels.device));
    });
  }
}

/**
 * MSGAN's mode-seeking term for a fake batch whose second part repeats the labels of its first:
 * image i and image i + `offset` share a class and differ only in z. Returns λ / (ratio + 1e-5),
 * ratio = mean|ΔG| / mean|Δz|, or null when the batch holds no pair.
 */
export function modeSeekingLoss(fake: Tensor, z: Tensor, offset: number, lambda: number): Tensor | null {
  const pairs = fake.shape[0]! - offset;
  if (pairs <= 0 || lambda === 0) return null;
  const first = { stop: pairs }, second = { start: offset };
  const imageGap = T.mean(T.abs(T.sub(T.slice(fake, [first]), T.slice(fake, [second]))));
  const codeGap = T.mean(T.abs(T.sub(T.slice(z, [first]), T.slice(z, [second]))));
  return T.mul(T.reciprocal(T.add(T.div(imageGap, codeGap), 1e-5)), lambda);
}

/** Labels of an n-image grid: row r (of 8) is class r mod `classes`. */
export const gridLabels = (n: number, classes: number, device: DeviceName): Tensor =>
  T.tensor(Int32Array.from({ length: n }, (_, i) => Math.floor(i / 8) % classes), { dtype: 'int32', device });

/** One round of the conditional game, with the mode-seeking term in G's loss. */
function cganTraining(model: Cgan, lr: number): Training {
  const d = model.discriminatorPart();
  const optD = ganAdam(d, lr);
  const optG = ganAdam(model.generatorPart(), lr);
  return {
    optimizers: { d: optD, g: optG },
    step(batch, context) {
      const images = requireField(batch, 'images', 'cgan');
      const labels = requireField(batch, 'labels', 'cgan');
      return T.tidy(() => {
        // The fakes come in pairs for the mode-seeking term: labels y for the first ⌈n/2⌉, then
        // the same labels again (uniform either way, as the real labels are).
        const n = images.shape[0]!;
        const offset = Math.ceil(n / 2);
        const y = randomLabels(offset, model.config.classes, images.device);
        const fakeLabels = T.slice(T.cat([y, y], 0), [{ stop: n }]);
        const z = latent(n, model.config.zDim, images.device);
        const fake = model.generateClasses(fakeLabels, z);
        return adversarialRound({
          critic: d, optD, optG,
          dLoss: () => discriminatorLoss(model.discriminate(images, labels), model.discriminate(fake.detach(), fakeLabels)),
          gLoss: () => {
            const adversarial = generatorLoss(model.discriminate(fake, fakeLabels), model.config.generatorLoss);
            // `?? 0`: checkpoints written before the term existed resume as the plain cGAN they were.
            const modeSeeking = modeSeekingLoss(fake, z, offset, model.config.modeSeeking ?? 0);
            return modeSeeking ? T.add(adversarial, modeSeeking) : adversarial;
          },
          ...warmedEma(model.ema, model.generatorPart(), model.config.emaDecay, context.step),
        }, context);
      });
    },
  };
}

export const cgan = registerModel({
  name: 'cgan',
  description: 'conditional DCGAN: label embedding concatenated to z and to D\'s input, MSGAN mode-seeking term; grid row r = class r',
  notes: 'notes 003 (conditional generative models)',
  dataRange: [-1, 1],
  fields: ['images', 'labels'],
  config: { zDim: 100, classes: 10, labelDim: 16, width: 64, generatorLoss: 'non-saturating', modeSeeking: 1, emaDecay: 0.999 } as CganConfig,
  choices: { generatorLoss: GENERATOR_LOSSES },
  training: { batch: 64, lr: 2e-4, steps: 2500, sampleEvery: 250 },
  // Width 64 takes ~5 s a step without a GPU. Width 16 with G's EMA, 10,000 steps: the requested
  // class in 50% of samples at step 2,500, 79% at 5,000, 88% at 7,500 and 92% at 10,000 (FID 10.5
  // against 3.87 at N = 1,000; genlab train --eval-every, 2-core machine, 2026-12-02): 19 min on one
  // wasm thread at load ~4.
  withoutGpu: { config: { width: 16 }, steps: 10000, sampleEvery: 2000 },
  build: (config, device) => new Cgan(config, device),
  train: (model, { lr }) => cganTraining(model, lr),
});
