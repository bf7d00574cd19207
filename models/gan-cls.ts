/**
 * GAN-CLS and GAN-INT (Reed et al. 2016, "Generative adversarial text to image synthesis";
 * docs/models.md "Image-to-image and text-to-image GANs": gan-cls; notes 003 Text to image:
 * GAN-CLS and GAN-INT-CLS), on the `captions` task (models/tasks): "a thick slanted seven" -> a
 * digit drawn so.
 *
 * Model: a text encoder (blocks/text.ts: embeddings + GRU) gives a caption code φ(t). G compresses
 * it by a linear layer and LeakyReLU to `condDim`, concatenates it to z and runs the DCGAN
 * generator. D's trunk takes the image 28 -> 14 -> 7; its own compression of φ(t) is tiled over
 * the 7x7 map and depth-concatenated, then a 1x1 conv (BN, LeakyReLU) and a 7x7 conv give one
 * logit, as the paper's D does at 4x4. The paper's text encoder was trained beforehand (a joint
 * embedding with images); here it is learned with D, whose matching-aware loss is what makes it
 * read the caption, and G conditions on its detached code as on a fixed encoder.
 * Loss (`variant`): 'gan' is the plain conditional game. '-cls' adds the matching-aware term: D
 * also sees real images with mismatched captions (one of digit, thickness or slant changed) as
 * fake, L_D = BCE(D(x, φ(t)), 1) + ½[BCE(D(x, φ(t̂)), 0) + BCE(D(G(z, φ(t)), φ(t)), 0)].
 * 'int' adds to G's loss the fakes of interpolated codes βφ(t1) + (1 - β)φ(t2) (t2: the batch's
 * captions rolled by one; β = `beta`), which D must also believe: points between captions, for
 * which there is no real image. Non-saturating G, Adam 2e-4 (β1 0.5).
 * Sampling: z ~ N(0, I) and the captions (the grid's: row r digit r mod 10, columns cycling
 * thin/thick x upright/slanted; or `sources.tokens`) through G in eval mode.
 */
import * as T from '../src/index.js';
import { nn } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { DcganGenerator, discriminatorLoss, ganAdam, generatorLoss, latent } from './blocks/gan.js';
import { TextEncoder, captionsToDraw, mismatchedTokens } from './blocks/text.js';
import { adversarialRound, evaluating, requireField } from './blocks/train.js';
import type { GenerativeModel, SampleOptions, Training } from './protocol.js';
import { registerModel } from './registry.js';

export type GanClsVariant = 'gan' | 'gan-cls' | 'gan-int' | 'gan-int-cls';
export const GAN_CLS_VARIANTS: readonly GanClsVariant[] = ['gan', 'gan-cls', 'gan-int', 'gan-int-cls'];

export interface GanClsConfig {
  task: 'captions';
  variant: GanClsVariant;
  zDim: number;
  /** Token embedding size and the GRU's state (the caption code φ). */
  embedDim: number;
  textDim: number;
  /** The compressed code G and D each concatenate. */
  condDim: number;
  /** Channels at 14x14 of G and D (twice as many at 7x7). */
  width: number;
  /** GAN-INT's β: codes βφ(t1) + (1 - β)φ(t2). */
  beta: number;
}

/** The compression of a caption code both players apply: linear, LeakyReLU(0.2). */
const compression = (textDim: number, condDim: number, device?: DeviceName) => new nn.Sequential(new nn.Linear(textDim, condDim, { device }), new nn.LeakyReLU(0.2));

/** D(x, φ): the image's 7x7 features with the compressed code tiled over them, to one logit. */
export class TextConditionedDiscriminator extends nn.Module {
  trunk: nn.Sequential;
  condition: nn.Sequential;
  head: nn.Sequential;

  constructor(width: number, textDim: number, condDim: number, device?: DeviceName) {
    super();
    this.trunk = new nn.Sequential(
      new nn.Conv2d(1, width, 4, { stride: 2, padding: 1, device }), new nn.LeakyReLU(0.2),
      new nn.Conv2d(width, 2 * width, 4, { stride: 2, padding: 1, bias: false, device }), new nn.BatchNorm2d(2 * width, { device }), new nn.LeakyReLU(0.2),
    );
    this.condition = compression(textDim, condDim, device);
    this.head = new nn.Sequential(
      new nn.Conv2d(2 * width + condDim, 2 * width, 1, { bias: false, device }), new nn.BatchNorm2d(2 * width, { device }), new nn.LeakyReLU(0.2),
      new nn.Conv2d(2 * width, 1, 7, { device }), new nn.Flatten(),
    );
  }

  /** Logits [N, 1] that images [N, 1, 28, 28] match the caption codes [N, textDim]. */
  forward(images: Tensor, code: Tensor): Tensor {
    const h = this.trunk.forward(images);
    const [n, , s] = h.shape as [number, number, number];
    const c = this.condition.forward(code);
    const tiled = T.expand(T.reshape(c, [n, c.shape[1]!, 1, 1]), [n, c.shape[1]!, s, s]);
    return this.head.forward(T.cat([h, tiled], 1));
  }
}

export class GanCls extends nn.Module implements GenerativeModel {
  text: TextEncoder;
  generatorCondition: nn.Sequential;
  generator: DcganGenerator;
  discriminator: TextConditionedDiscriminator;

  constructor(readonly config: GanClsConfig, device?: DeviceName) {
    super();
    const { zDim, embedDim, textDim, condDim, width } = config;
    this.generatorCondition = compression(textDim, condDim, device);
    this.generator = new DcganGenerator(zDim + condDim, width, device);
    this.discriminator = new TextConditionedDiscriminator(width, textDim, condDim, device);
    nn.dcganInit_(this);
    this.text = new TextEncoder(embedDim, textDim, device);
  }

  /** The caption codes φ(t) [N, textDim] of tokens int32 [N, 4]. */
  encode(tokens: Tensor): Tensor {
    return this.text.forward(tokens).code;
  }

  /** G(z, φ): images [N, 1, 28, 28] from caption codes (fresh z by default). */
  generate(code: Tensor, z = latent(code.shape[0]!, this.config.zDim, code.device)): Tensor {
    return this.generator.forward(T.cat([z, this.generatorCondition.forward(code)], 1));
  }

  /** G's modules: its optimizer's and the sampling mode's. */
  generatorPart(): nn.Module {
    return new nn.ModuleList([this.generatorCondition, this.generator]);
  }

  /** D's modules, the text encoder with them (D's loss trains it). */
  discriminatorPart(): nn.Module {
    return new nn.ModuleList([this.text, this.discriminator]);
  }

  sample(n: number, options: SampleOptions = {}): Tensor {
    return evaluating(this, () => this.generate(this.encode(captionsToDraw(n, this.text.embedding.weight.device, options.sources))));
  }
}

/** BCE-with-logits of every logit against `target` (0 or 1). */
const bce = (logits: Tensor, target: number) => T.bceWithLogits(logits, T.fullLike(logits, target));

/** D's matching-aware loss: real/matching -> 1, and the mean of real/mismatched and fake/matching -> 0. */
export function matchingAwareLoss(real: Tensor, mismatched: Tensor, fake: Tensor): Tensor {
  return T.add(bce(real, 1), T.mul(T.add(bce(mismatched, 0), bce(fake, 0)), 0.5));
}

/** βa + (1 - β)b with b = `code` rolled by one row: codes between each caption and the next one's. */
export function interpolatedCodes(code: Tensor, beta: number): Tensor {
  return T.add(T.mul(code, beta), T.mul(T.roll(code, 1, 0), 1 - beta));
}

function ganClsTraining(model: GanCls, lr: number): Training {
  const d = model.discriminatorPart();
  const optD = ganAdam(d, lr);
  const optG = ganAdam(model.generatorPart(), lr);
  const { variant, beta } = model.config;
  const matching = variant.endsWith('cls');
  const interpolating = variant.startsWith('gan-int');
  return {
    optimizers: { d: optD, g: optG },
    step(batch, context) {
      const x = requireField(batch, 'images', 'gan-cls');
      const tokens = requireField(batch, 'tokens', 'gan-cls');
      return T.tidy(() => {
        const wrong = mismatchedTokens(tokens);
        const fake = model.generate(T.noGrad(() => model.encode(tokens)));
        let mismatch: Tensor | undefined;
        const losses = adversarialRound({
          critic: d, optD, optG,
          dLoss: () => {
            const code = model.encode(tokens);
            const [real, faked] = [model.discriminator.forward(x, code), model.discriminator.forward(fake.detach(), code)];
            if (!matching) return discriminatorLoss(real, faked);
            const mismatched = model.discriminator.forward(x, model.encode(wrong));
            mismatch = T.keep(T.mean(T.sigmoid(mismatched)).detach());
            return matchingAwareLoss(real, mismatched, faked);
          },
          gLoss: () => {
            const code = model.encode(tokens).detach();
            const adversarial = generatorLoss(model.discriminator.forward(fake, code), 'non-saturating');
            if (!interpolating) return adversarial;
            const between = interpolatedCodes(code, beta);
            return T.add(adversarial, generatorLoss(model.discriminator.forward(model.generate(between), between), 'non-saturating'));
          },
        }, context);
        // D's belief in mismatched pairs first: how well it reads the captions.
        return mismatch ? { mismatch, ...losses } : losses;
      });
    },
  };
}

export const ganCls = registerModel({
  name: 'gan-cls',
  description: 'GAN-CLS / GAN-INT: GRU caption encoder, code concatenated to z (DCGAN G) and tiled into D at 7x7; matching-aware loss on mismatched captions, interpolated codes for G; captions task',
  notes: 'notes 003 (text to image: GAN-CLS, GAN-INT-CLS)',
  dataRange: [-1, 1],
  fields: ['images', 'tokens'],
  task: (config) => config.task,
  config: { task: 'captions', variant: 'gan-int-cls', zDim: 64, embedDim: 32, textDim: 64, condDim: 32, width: 32, beta: 0.5 } as GanClsConfig,
  choices: { task: ['captions'], variant: GAN_CLS_VARIANTS },
  training: { batch: 64, lr: 2e-4, steps: 5000, sampleEvery: 500 },
  withoutGpu: { config: { width: 16 }, steps: 3000, sampleEvery: 500 },
  build: (config, device) => new GanCls(config, device),
  train: (model, { lr }) => ganClsTraining(model, lr),
});
