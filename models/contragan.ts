/**
 * ContraGAN (docs/models.md "GANs": contragan; notes 003 *Conditional generative models*:
 * ContraGAN; Kang and Park 2020): the projection GAN (projgan) plus the 2C conditional contrastive
 * loss, which asks D's embeddings of images of one class to lie close to their class's embedding
 * (data-to-class) and to each other (data-to-data), and an EMA of G's weights for sampling.
 *
 * Model: as projgan (models/blocks/projection.ts), with a spectrally normalised linear head
 * l(x) = W φ(x) into a `embedDim`-dimensional space and a class embedding e(y) there.
 * Loss: with cosine similarities s(a, b) = aᵀb / (‖a‖‖b‖) and temperature t, for example i of a
 * batch, 2C is
 *   -log [ (exp(s(l_i, e_yi)/t) + Σ_{k≠i, y_k=y_i} exp(s(l_i, l_k)/t))
 *        / (exp(s(l_i, e_yi)/t) + Σ_{k≠i} exp(s(l_i, l_k)/t)) ],
 * averaged over the batch. D minimises hinge + λ·2C on the real images with their labels; G
 * minimises its hinge loss + λ·2C on its fakes with the labels it was asked for. Other images of
 * the same class count as positives, so the batch must hold several per class (batch ≥ 64).
 * Sampling: through the EMA of G (decay warmed up as the diffusion models' EMA); row r = class r.
 */
import * as T from '../src/index.js';
import { nn } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { ConditionalGenerator, ProjectionGan, warmSpectralNorm, type ProjectionGanConfig } from './blocks/projection.js';
import { adamWith, projectionTraining } from './projgan.js';
import { registerModel } from './registry.js';

export interface ContraganConfig extends ProjectionGanConfig {
  /** Size of the contrastive embedding space. */
  embedDim: number;
  /** t in exp(s/t). */
  temperature: number;
  /** λ, the weight of 2C in both players' losses. */
  contrastiveWeight: number;
  /** Decay of G's EMA (warmed up over the first steps). */
  emaDecay: number;
}

/**
 * The 2C loss of embeddings `l` [N, d] against their class embeddings `e` [N, d] (row i is
 * e(y_i)), for labels [N] and temperature t. Each example's data-to-class pair is always a
 * positive; same-class examples are positives, every other example a negative.
 */
export function conditionalContrastiveLoss(l: Tensor, e: Tensor, labels: Tensor, temperature: number): Tensor {
  const n = l.shape[0]!;
  const [ln, en] = [T.normalize(l, { axis: 1 }), T.normalize(e, { axis: 1 })];
  const toClass = T.div(T.sum(T.mul(ln, en), 1, true), temperature);
  const toData = T.div(T.matmul(ln, T.transpose(ln, 0, 1)), temperature);
  const others = T.logicalNot(T.eq(T.eye(n, n, { device: l.device }), 1));
  const sameClass = T.logicalAnd(T.eq(T.unsqueeze(labels, 1), T.unsqueeze(labels, 0)), others);
  // exp(-1e9) = 0: masked pairs drop out of the log-sum-exp.
  const logSumOver = (mask: Tensor) => T.logsumexp(T.cat([toClass, T.where(mask, toData, -1e9)], 1), 1);
  return T.mean(T.sub(logSumOver(others), logSumOver(sameClass)));
}

export class ContraGan extends ProjectionGan {
  embedder: nn.Linear;
  classEmbedding: nn.Embedding;
  /** The EMA of G's weights (and BN statistics), which `sample` draws from. */
  ema: ConditionalGenerator;

  constructor(override readonly config: ContraganConfig, device?: DeviceName) {
    super(config, device);
    this.embedder = nn.spectralNorm(new nn.Linear(this.trunk.features, config.embedDim, { device }));
    warmSpectralNorm(this.embedder);
    this.classEmbedding = new nn.Embedding(config.classes, config.embedDim, { device });
    this.ema = new ConditionalGenerator(config.zDim, config.classes, config.width, {}, device);
    this.ema.loadStateDict(this.generator.stateDict());
    this.ema.requiresGrad_(false);
  }

  /** 2C of D's features [N, F] for `labels`. */
  contrastive(features: Tensor, labels: Tensor): Tensor {
    const { temperature, contrastiveWeight } = this.config;
    const loss = conditionalContrastiveLoss(this.embedder.forward(features), this.classEmbedding.forward(labels), labels, temperature);
    return T.mul(loss, contrastiveWeight);
  }

  override discriminatorPart(): nn.Module {
    return new nn.ModuleList([this.trunk, this.head, this.projection, this.embedder, this.classEmbedding]);
  }

  override samplingGenerator(): ConditionalGenerator {
    return this.ema;
  }
}

export const contragan = registerModel({
  name: 'contragan',
  description: 'ContraGAN: projection discriminator + 2C conditional contrastive loss (data-to-class, data-to-data), hinge, G EMA; grid row r = class r',
  notes: 'notes 003 (conditional GANs: ContraGAN)',
  dataRange: [-1, 1],
  fields: ['images', 'labels'],
  config: { zDim: 100, classes: 10, width: 64, embedDim: 128, temperature: 1, contrastiveWeight: 1, emaDecay: 0.999 } as ContraganConfig,
  training: { batch: 64, lr: 2e-4, steps: 2500, sampleEvery: 250 },
  withoutGpu: { config: { width: 16 }, steps: 2500, sampleEvery: 500 },
  build: (config, device) => new ContraGan(config, device),
  train: (model, { lr }) => projectionTraining(model, {
    optD: adamWith(model.discriminatorPart(), lr, [0.5, 0.999]),
    optG: adamWith(model.generator, lr, [0.5, 0.999]),
    dExtra: (features, labels) => model.contrastive(features, labels),
    gExtra: (features, labels) => model.contrastive(features, labels),
    ema: { average: model.ema, source: model.generator, decay: model.config.emaDecay },
  }, 'contragan'),
});
