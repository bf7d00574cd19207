/**
 * Conditional GAN (MODELS.md "GANs": cgan; seed 003 "조건부 생성 모델", seed 000 §7): a DCGAN
 * whose generator and discriminator both see the class label y.
 *
 * Model: a label embedding is concatenated to z (G's input is [z, emb_G(y)]) and, as a 28x28
 * plane, to D's input image as a second channel (D sees [x, emb_D(y)]). G and D are the DCGAN
 * trunks of models/blocks/gan.ts.
 * Loss: the conditional game min_G max_D E log D(x|y) + E log(1 - D(G(z|y)|y)), as BCE-with-logits
 * for D on real pairs (x, y) -> 1 and fake pairs (G(z|y'), y') -> 0 with y' drawn uniformly; the
 * notes' "조건을 만족하지 않으면 0": D learns the pair, not just the image. G: non-saturating by
 * default, minimax selectable. Adam 2e-4, β1 0.5.
 * Sampling: pick the class y, draw z ~ N(0, I), run G(z|y); the grid's row r shows class r.
 */
import * as T from '../src/index.js';
import { nn } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import {
  DcganDiscriminatorTrunk, DcganGenerator, adversarialStep, discriminatorLoss, ganAdam, generatorLoss, latent, randomLabels, sampleWith,
  type GeneratorLoss,
} from './blocks/gan.js';
import { registerModel, type Trainer } from './registry.js';

export interface CganConfig {
  zDim: number;
  classes: number;
  /** Size of the label embedding concatenated to z. */
  labelDim: number;
  /** Channels at 14x14 of both DCGAN trunks. */
  width: number;
  generatorLoss: GeneratorLoss;
}

export class Cgan extends nn.Module {
  generatorLabel: nn.Embedding;
  generator: DcganGenerator;
  /** One 28x28 plane per class, D's second input channel. */
  discriminatorLabel: nn.Embedding;
  discriminator: nn.Sequential;

  constructor(readonly config: CganConfig = { zDim: 100, classes: 10, labelDim: 16, width: 64, generatorLoss: 'non-saturating' }, device?: DeviceName) {
    super();
    const { zDim, classes, labelDim, width } = config;
    this.generator = new DcganGenerator(zDim + labelDim, width, device);
    const trunk = new DcganDiscriminatorTrunk(2, width, device);
    this.discriminator = new nn.Sequential(trunk, new nn.Linear(trunk.features, 1, { device }));
    nn.dcganInit_(this);
    // After dcganInit_ (which leaves embeddings alone): N(0, 1) codes, on the scale of z.
    this.generatorLabel = new nn.Embedding(classes, labelDim, { device });
    this.discriminatorLabel = new nn.Embedding(classes, 28 * 28, { device });
  }

  /** Images [N, 1, 28, 28] of the classes `labels` (int32 [N]). */
  generateClasses(labels: Tensor): Tensor {
    const z = latent(labels.shape[0]!, this.config.zDim, labels.device);
    return this.generator.forward(T.cat([z, this.generatorLabel.forward(labels)], 1));
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

  generatorPart(): nn.Module {
    return new nn.ModuleList([this.generatorLabel, this.generator]);
  }
}

/** Labels of an n-image grid: row r (of 8) is class r mod `classes`. */
export const gridLabels = (n: number, classes: number, device: DeviceName): Tensor =>
  T.tensor(Int32Array.from({ length: n }, (_, i) => Math.floor(i / 8) % classes), { dtype: 'int32', device });

export function createCgan(opts: { device: DeviceName; lr: number; config: CganConfig }): Trainer {
  const model = new Cgan(opts.config, opts.device);
  const d = model.discriminatorPart();
  const g = model.generatorPart();
  const optD = ganAdam(d, opts.lr);
  const optG = ganAdam(g, opts.lr);
  return {
    module: model,
    optimizers: { d: optD, g: optG },
    trainStep(images, labels) {
      if (!labels) throw new T.ArgumentError('cgan: the dataset has no labels to condition on');
      return T.tidy(() => {
        const fakeLabels = randomLabels(images.shape[0]!, model.config.classes, images.device);
        const fake = model.generateClasses(fakeLabels);
        return adversarialStep({
          d, optD, optG,
          dLoss: () => discriminatorLoss(model.discriminate(images, labels), model.discriminate(fake.detach(), fakeLabels)),
          gLoss: () => generatorLoss(model.discriminate(fake, fakeLabels), model.config.generatorLoss),
        });
      });
    },
    sample: (n) => sampleWith(g, () => model.generateClasses(gridLabels(n, model.config.classes, opts.device))),
  };
}

registerModel<CganConfig>({
  name: 'cgan',
  description: 'conditional DCGAN: label embedding concatenated to z and to D\'s input; grid row r = class r',
  dataRange: [-1, 1],
  defaults: { batch: 64, lr: 2e-4, steps: 1500, sampleEvery: 250 },
  // MODELS.md's width 64 takes ~5 s a step without a GPU; width 16 draws recognisable samples in minutes.
  withoutGpu: { config: { width: 16 }, steps: 1000, sampleEvery: 250 },
  config: { zDim: 100, classes: 10, labelDim: 16, width: 64, generatorLoss: 'non-saturating' },
  create: createCgan,
});
