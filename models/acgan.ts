/**
 * Auxiliary-classifier GAN (docs/models.md "GANs": acgan; notes 003 "다양한 조건부 GANs": ACGAN):
 * the discriminator also says which class an image is, and G is rewarded for fakes of the class
 * it was asked for.
 *
 * Model: G's input is emb(y) ⊙ z, a class embedding multiplied elementwise with the noise (the
 * label scales the code rather than widening it), through the DCGAN generator. D is the DCGAN
 * trunk on the image alone with two linear heads: a real/fake logit and C class logits.
 * Loss: D minimises BCE(real -> 1, fake -> 0) + CE(class(x), y) + w·CE(class(G(z|y')), y'); G
 * minimises its adversarial loss (non-saturating by default, minimax selectable) +
 * CE(class(G(z|y')), y'). The paper has w = 1; the default here is w = 0 (`fakeClassWeight`): D's
 * classifier learns from real digits only. With w = 1, D's classifier also learns G's fakes as their
 * requested classes, so G can satisfy it without drawing the class: the no-GPU run stalled at 71%
 * of samples of the requested class; with w = 0 it reached 95% (README). The CE takes the class logits (log-softmax inside), never softmax
 * probabilities, so it stays finite when D is confident. Adam 2e-4, β1 0.5.
 * Sampling: pick y, draw z ~ N(0, I), run G(emb(y) ⊙ z) with the exponential moving average of G's
 * weights (decay 0.999, warmed up; `emaDecay: 0` uses G itself); the grid's row r shows class r.
 */
import * as T from '../src/index.js';
import { nn } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import {
  DcganDiscriminatorTrunk, DcganGenerator, GENERATOR_LOSSES, discriminatorLoss, ganAdam, generatorLoss, latent, randomLabels,
  type GeneratorLoss,
} from './blocks/gan.js';
import { adversarialRound, averagedCopy, deviceOf, evaluating, requireField, warmedEma } from './blocks/train.js';
import { gridLabels } from './cgan.js';
import type { GenerativeModel, SampleOptions, Training } from './protocol.js';
import { registerModel } from './registry.js';

export interface AcganConfig {
  zDim: number;
  classes: number;
  /** Channels at 14x14 of both DCGAN trunks. */
  width: number;
  generatorLoss: GeneratorLoss;
  /** Decay of the EMA of G's weights (embedding and generator) that sampling uses (0: none). */
  emaDecay: number;
  /**
   * Weight of D's class loss on fakes (1: the paper's L_C on real and fake). At 0 the auxiliary
   * classifier learns from real digits only, so G cannot pass a fake for its class by co-adapting
   * with a classifier that also learns from G's own images.
   */
  fakeClassWeight: number;
}

/** G(emb(y) ⊙ z) for fresh z ~ N(0, I), by a class embedding and a generator (trained or averaged). */
function imagesOf(label: nn.Embedding, generator: DcganGenerator, labels: Tensor): Tensor {
  const z = latent(labels.shape[0]!, label.weight.shape[1]!, labels.device);
  return generator.forward(T.mul(label.forward(labels), z));
}

export class Acgan extends nn.Module implements GenerativeModel {
  label: nn.Embedding;
  generator: DcganGenerator;
  trunk: DcganDiscriminatorTrunk;
  /** Real/fake logit. */
  source: nn.Linear;
  /** Class logits. */
  classifier: nn.Linear;
  /** The EMA of [label, generator], which `sample` draws from; absent when emaDecay is 0. */
  ema?: nn.ModuleList;

  constructor(readonly config: AcganConfig, device?: DeviceName) {
    super();
    const { zDim, classes, width } = config;
    this.generator = new DcganGenerator(zDim, width, device);
    this.trunk = new DcganDiscriminatorTrunk(1, width, device);
    this.source = new nn.Linear(this.trunk.features, 1, { device });
    this.classifier = new nn.Linear(this.trunk.features, classes, { device });
    nn.dcganInit_(this);
    // N(0, 1) entries (dcganInit_ leaves embeddings alone) keep emb(y) ⊙ z at z's scale.
    this.label = new nn.Embedding(classes, zDim, { device });
    const parts = () => new nn.ModuleList([new nn.Embedding(classes, zDim, { device }), new DcganGenerator(zDim, width, device)]);
    if (config.emaDecay > 0) this.ema = averagedCopy(this.generatorPart(), parts);
  }

  generateClasses(labels: Tensor): Tensor {
    return imagesOf(this.label, this.generator, labels);
  }

  /** D's two heads on images: the real/fake logits [N, 1] and the class logits [N, C]. */
  discriminate(images: Tensor): { source: Tensor; classes: Tensor } {
    const h = this.trunk.forward(images);
    return { source: this.source.forward(h), classes: this.classifier.forward(h) };
  }

  discriminatorPart(): nn.Module {
    return new nn.ModuleList([this.trunk, this.source, this.classifier]);
  }

  generatorPart(): nn.ModuleList {
    return new nn.ModuleList([this.label, this.generator]);
  }

  /** G(emb(y) ⊙ z) by G's EMA (or G) in eval mode for the classes `labels` (default: row r of 8 is class r). */
  sample(n: number, options: SampleOptions = {}): Tensor {
    const parts = this.ema ?? this.generatorPart();
    const [label, generator] = [parts.at(0) as nn.Embedding, parts.at(1) as DcganGenerator];
    return evaluating(parts, () => imagesOf(label, generator, options.labels ?? gridLabels(n, this.config.classes, deviceOf(this))));
  }
}

function acganTraining(model: Acgan, lr: number): Training {
  const d = model.discriminatorPart();
  const optD = ganAdam(d, lr);
  const optG = ganAdam(model.generatorPart(), lr);
  return {
    optimizers: { d: optD, g: optG },
    step(batch, context) {
      const images = requireField(batch, 'images', 'acgan');
      const labels = requireField(batch, 'labels', 'acgan');
      return T.tidy(() => {
        const fakeLabels = randomLabels(images.shape[0]!, model.config.classes, images.device);
        const fake = model.generateClasses(fakeLabels);
        let classLoss: Tensor | undefined;
        const losses = adversarialRound({
          critic: d, optD, optG,
          dLoss: () => {
            const real = model.discriminate(images);
            const forged = model.discriminate(fake.detach());
            const realClass = T.crossEntropy(real.classes, labels);
            // Kept past the D step's scope for the report (detached: the report holds no graph).
            classLoss = T.keep(realClass.detach());
            const fakeClass = model.config.fakeClassWeight > 0 ? T.mul(T.crossEntropy(forged.classes, fakeLabels), model.config.fakeClassWeight) : T.zerosLike(realClass);
            return T.add(discriminatorLoss(real.source, forged.source), T.add(realClass, fakeClass));
          },
          gLoss: () => {
            const forged = model.discriminate(fake);
            return T.add(generatorLoss(forged.source, model.config.generatorLoss), T.crossEntropy(forged.classes, fakeLabels));
          },
          ...warmedEma(model.ema, model.generatorPart(), model.config.emaDecay, context.step),
        }, context);
        // The class loss on real digits: how well D's auxiliary classifier has learnt the labels.
        return { ...losses, cls: classLoss! };
      });
    },
  };
}

export const acgan = registerModel({
  name: 'acgan',
  description: 'AC-GAN: G(emb(y) * z), D with real/fake and class heads, BCE + CE; grid row r = class r',
  notes: 'notes 003 (conditional GANs: ACGAN)',
  dataRange: [-1, 1],
  fields: ['images', 'labels'],
  config: { zDim: 100, classes: 10, width: 64, generatorLoss: 'non-saturating', emaDecay: 0.999, fakeClassWeight: 0 } as AcganConfig,
  choices: { generatorLoss: GENERATOR_LOSSES },
  training: { batch: 64, lr: 2e-4, steps: 2500, sampleEvery: 250 },
  // Width 64 takes ~5 s a step without a GPU. Width 16 with G's EMA, D's classifier on real digits
  // only: the requested class in 91% of samples at step 3,500 and 95% at 7,000 (N = 1,000, genlab
  // train --eval-every; 2-core machine, 2026-12-02): 7,000 steps, 9.5 min on one wasm thread at
  // load ~3. With the paper's fakeClassWeight 1 the same run stalled at ~71% from step 4,000.
  withoutGpu: { config: { width: 16 }, steps: 7000, sampleEvery: 1000 },
  build: (config, device) => new Acgan(config, device),
  train: (model, { lr }) => acganTraining(model, lr),
});
