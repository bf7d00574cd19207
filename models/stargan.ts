/**
 * StarGAN, one generator for translation among several domains (docs/models.md "Translation":
 * stargan; notes 003 "Image to image: StarGAN"), on the `attributes` task (models/tasks): each
 * digit drawn thick, thin, italic, inverted or rotated, its label the domain.
 *
 * Model: G(x, c) is CycleGAN's ResNet generator whose input is the image with the target domain
 * c's one-hot broadcast to k extra channels, so one network serves every pair of domains (k
 * domains would need k(k - 1) CycleGAN generators). D has a trunk 28 -> 14 -> 7 (4x4 stride-2
 * convs, LeakyReLU 0.01, no normalisation, which the gradient penalty assumes) and two heads: D_src,
 * a 7x7 map of patch critic scores, and D_cls, a 7x7 conv to the k domain logits (the auxiliary
 * classifier).
 * Loss (Choi et al.), with targets c' the batch's labels permuted (as the reference code does):
 *   D: -E D_src(x) + E D_src(G(x, c')) + λ_gp E(‖∇D_src(x̂)‖ - 1)² + λ_cls CE(D_cls(x), c)
 *   G: -E D_src(G(x, c')) + λ_cls CE(D_cls(G(x, c')), c') + λ_rec ‖x - G(G(x, c'), c)‖₁
 * with λ_cls 1, λ_rec 10, λ_gp 10, 5 critic steps per G step, Adam 1e-4 (β 0.5, 0.999). D learns
 * the domains from real images only, G makes images D classifies as c', and the cycle back to c
 * keeps the digit. The domains here are exclusive, so the classifier is a softmax cross entropy
 * over them (the paper's form for one exclusive label set; its per-attribute BCE is for CelebA's
 * independent attributes).
 * Sampling: the n kept sources (the last batch's images), or the first n of `sources.images`, the
 * i-th translated to domain i mod k; the preview shows rows of 8 of the batch's images, each
 * followed by a row of their translations to each domain.
 */
import * as T from '../src/index.js';
import { nn } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { ganAdam } from './blocks/gan.js';
import { adversarialRound, evaluating, requireField } from './blocks/train.js';
import { SourceBank, l1, tripletRows } from './blocks/translation.js';
import { ResnetGenerator } from './cyclegan.js';
import type { Batch, GenerativeModel, SampleOptions, Training } from './protocol.js';
import { registerModel } from './registry.js';
import { ATTRIBUTES } from './tasks/index.js';

export interface StarganConfig {
  task: 'attributes';
  /** Channels at 28x28 (twice as many at 14x14) in G and D. */
  width: number;
  /** Residual blocks at 14x14 in G. */
  blocks: number;
  clsWeight: number;
  recWeight: number;
  gpWeight: number;
  /** Critic steps per generator step. */
  criticSteps: number;
}

/** D's two heads on a shared trunk: patch critic scores [N, 1, 7, 7] and domain logits [N, k]. */
export class StarDiscriminator extends nn.Module {
  trunk: nn.Sequential;
  sourceHead: nn.Conv2d;
  domainHead: nn.Conv2d;

  constructor(width: number, readonly domains: number, device?: DeviceName) {
    super();
    const w = width;
    this.trunk = new nn.Sequential(
      new nn.Conv2d(1, w, 4, { stride: 2, padding: 1, device }), new nn.LeakyReLU(0.01),
      new nn.Conv2d(w, 2 * w, 4, { stride: 2, padding: 1, device }), new nn.LeakyReLU(0.01),
    );
    this.sourceHead = new nn.Conv2d(2 * w, 1, 3, { padding: 1, device });
    // A kernel the size of the 7x7 map: one logit per domain from the whole image.
    this.domainHead = new nn.Conv2d(2 * w, domains, 7, { device });
  }

  forward(x: Tensor): { source: Tensor; domains: Tensor } {
    const h = this.trunk.forward(x);
    return { source: this.sourceHead.forward(h), domains: T.reshape(this.domainHead.forward(h), [x.shape[0]!, this.domains]) };
  }
}

export class Stargan extends nn.Module implements GenerativeModel {
  generator: ResnetGenerator;
  discriminator: StarDiscriminator;
  bank: SourceBank;
  readonly domains = ATTRIBUTES.length;

  constructor(readonly config: StarganConfig, device?: DeviceName) {
    super();
    this.generator = new ResnetGenerator(config.width, config.blocks, device, 1 + this.domains);
    this.discriminator = new StarDiscriminator(config.width, this.domains, device);
    this.bank = new SourceBank(64, [1, 28, 28], device);
  }

  /** G(x, c): `x` [N, 1, H, W] translated to domains `c` (int32 [N]), given as one-hot planes. */
  translate(x: Tensor, c: Tensor): Tensor {
    const [n, , h, w] = x.shape as [number, number, number, number];
    const planes = T.expand(T.reshape(T.oneHot(c, this.domains, { dtype: 'float32' }), [n, this.domains, 1, 1]), [n, this.domains, h, w]);
    return this.generator.forward(T.cat([x, planes], 1));
  }

  /** Domains 0, 1, ..., k - 1, 0, ... for n rows. */
  cycleDomains(n: number): Tensor {
    return T.tensor(Int32Array.from({ length: n }, (_, i) => i % this.domains), { shape: [n], dtype: 'int32', device: this.bank.sources.device });
  }

  sample(n: number, options: SampleOptions = {}): Tensor {
    return evaluating(this.generator, () => this.translate(this.bank.take(n, options.sources, 'images', 'stargan'), this.cycleDomains(n)));
  }

  /** Rows of 8 of the batch's images, then of their translations to each domain in ATTRIBUTES order; as many images as the batch's. */
  preview(batch: Batch): Tensor {
    const x = requireField(batch, 'images', 'stargan');
    const n = x.shape[0]!;
    return evaluating(this.generator, () => {
      const rows = ATTRIBUTES.map((_, d) => this.translate(x, T.full([n], d, { dtype: 'int32', device: x.device })));
      return tripletRows([x, ...rows], 8);
    });
  }
}

function starganTraining(model: Stargan, lr: number): Training {
  const d = model.discriminator;
  const optD = ganAdam(d, lr);
  const optG = ganAdam(model.generator, lr);
  const { clsWeight, recWeight, gpWeight, criticSteps } = model.config;
  return {
    optimizers: { d: optD, g: optG },
    step(batch, context) {
      const x = requireField(batch, 'images', 'stargan');
      const c = requireField(batch, 'labels', 'stargan');
      model.bank.remember(x);
      return T.tidy(() => {
        const target = T.indexSelect(c, 0, T.randperm(x.shape[0]!, { device: x.device }));
        const fake = model.translate(x, target);
        const critic = (images: Tensor) => d.forward(images).source;
        let cls: Tensor | undefined;
        let rec: Tensor | undefined;
        const losses = adversarialRound({
          critic: d, optD, optG, criticSteps,
          dLoss: () => {
            const real = d.forward(x);
            const wasserstein = T.sub(T.mean(critic(fake.detach())), T.mean(real.source));
            return T.add(wasserstein, T.mul(T.crossEntropy(real.domains, c), clsWeight));
          },
          gLoss: () => {
            const judged = d.forward(fake);
            const classified = T.crossEntropy(judged.domains, target);
            const cycled = l1(model.translate(fake, c), x);
            [cls, rec] = [T.keep(classified.detach()), T.keep(cycled.detach())];
            return T.add(T.neg(T.mean(judged.source)), T.add(T.mul(classified, clsWeight), T.mul(cycled, recWeight)));
          },
          penalty: { kind: 'wgan-gp', weight: gpWeight, critic, real: x, fake: () => fake },
        }, context);
        // How well the fakes pass as their target domain first: the translation's own measure.
        return { cls: cls!, rec: rec!, ...losses };
      });
    },
  };
}

export const stargan = registerModel({
  name: 'stargan',
  description: 'StarGAN: one ResNet G with the target domain broadcast as channels, D with patch critic + domain classifier, WGAN-GP + CE + 10 cycle L1; attributes task',
  notes: 'notes 003 (image to image: StarGAN)',
  dataRange: [-1, 1],
  fields: ['images', 'labels'],
  task: (config) => config.task,
  config: { task: 'attributes', width: 16, blocks: 3, clsWeight: 1, recWeight: 10, gpWeight: 10, criticSteps: 5 } as StarganConfig,
  choices: { task: ['attributes'] },
  training: { batch: 16, lr: 1e-4, steps: 5000, sampleEvery: 500 },
  // Five critic steps, each with a double backward for the penalty, dominate a CPU step: one here.
  withoutGpu: { config: { width: 8, blocks: 2, criticSteps: 1 }, steps: 1000, sampleEvery: 250 },
  build: (config, device) => new Stargan(config, device),
  train: (model, { lr }) => starganTraining(model, lr),
});
