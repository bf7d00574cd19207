/**
 * MoCo, momentum contrast (docs/models.md "Representation learning": moco; notes 004 §1.2 MOCO,
 * in its v2 form: an MLP projection head and SimCLR's augmentations).
 *
 * Model: a query encoder f_q (the small CNN and an MLP head) trained by gradient descent, and a
 * momentum (key) encoder f_k of the same shape that is never back-propagated: after each step
 * W_k ← m·W_k + (1 - m)·W_q (the notes' W_momentum ← 0.99·W_momentum + 0.01·W_encoder, m = 0.99).
 * A FIFO queue of the K most recent keys holds the negatives, so the batch can stay small (the
 * notes: it was made to avoid SimCLR's huge batches).
 * Loss: InfoNCE with temperature τ: the query of one view of an image against the key of another
 * view (the positive) and the queue (the negatives); then the batch's keys are enqueued and the
 * oldest dropped. No labels. The representation is f_q's encoder; `genlab eval` judges it by a
 * linear probe and k-NN. An encoder: no `sample`.
 *
 * Why the batch's other keys are negatives too (`batchNegatives`, on by default): the small
 * GroupNorm CNN starts nearly collapsed (every image's z within cos 0.99 of every other's), and
 * with the queue as the only negatives a collapsed encoder has a shortcut: the positive key is
 * the only one made by this step's key encoder, the queue's were made by older ones, so turning
 * the one shared output direction a little every step makes the positive the most similar key
 * without telling images apart. Measured on the digits (width 8, batch 64, queue 2,048, 150
 * steps): q·k⁺ equal to q·(another image's fresh key), q·(queue) falling with the key's age from
 * 0.1 to -0.5, and a linear probe of 41% against 64% for the random encoder. ResNet MoCo escapes
 * this through batch norm's spread of features (and meets the related leak that shuffling BN
 * stops); here keys of the same step as the positive take the recency cue away, as MoCo v3's
 * in-batch keys do, and a short queue (512 in the light run: 8 steps of keys) keeps the
 * negatives from the encoder's recent past.
 */
import * as T from '../src/index.js';
import { nn, optim } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { GLOBAL_VIEW, augment, twoViews, viewsGrid } from './blocks/augment.js';
import { ConvEncoder, assignBuffer, enqueued, infoNce, mlpHead } from './blocks/selfsup.js';
import { minimize, requireField, updateEma } from './blocks/train.js';
import type { Batch, EncoderModel, Training } from './protocol.js';
import { registerModel } from './registry.js';

export interface MocoConfig {
  width: number;
  projection: number;
  /** Keys in the queue of negatives. */
  queue: number;
  temperature: number;
  /** m of the momentum encoder's update. */
  momentum: number;
  /** Whether the batch's other keys are negatives beside the queue's (see the docstring). */
  batchNegatives: boolean;
}

/** An encoder and its projection head: the query branch, or its momentum copy. */
export class ProjectedEncoder extends nn.Module {
  encoder: ConvEncoder;
  head: nn.Sequential;

  constructor(width: number, hidden: number, outputs: number, device?: DeviceName, head?: (features: number) => nn.Sequential) {
    super();
    this.encoder = new ConvEncoder(width, device);
    this.head = head ? head(this.encoder.features) : mlpHead(this.encoder.features, hidden, outputs, device);
  }

  forward(x: Tensor): Tensor {
    return this.head.forward(this.encoder.forward(x));
  }

  /** A copy with the same weights and no gradients (the momentum / teacher branch). */
  frozenCopy(make: () => ProjectedEncoder): ProjectedEncoder {
    const copy = make();
    copy.loadStateDict(this.stateDict());
    copy.requiresGrad_(false);
    return copy;
  }
}

export class Moco extends nn.Module implements EncoderModel {
  query: ProjectedEncoder;
  key: ProjectedEncoder;
  /** The queue of negatives [K, projection], unit rows, newest first. */
  queue!: Tensor;
  readonly featureDim: number;

  constructor(readonly config: MocoConfig, device?: DeviceName) {
    super();
    const make = () => new ProjectedEncoder(config.width, 4 * config.width, config.projection, device);
    this.query = make();
    this.key = this.query.frozenCopy(make);
    this.featureDim = this.query.encoder.features;
    // Random unit keys until real ones push them out (as MoCo starts).
    this.registerBuffer('queue', T.tidy(() => T.normalize(T.randn([config.queue, config.projection], { device }), { axis: 1 })));
  }

  encode(images: Tensor): Tensor {
    return this.query.encoder.forward(images);
  }

  /** InfoNCE of the queries of one view against the momentum keys of another; returns the keys too, for the queue. */
  loss(images: Tensor): { loss: Tensor; keys: Tensor } {
    const [a, b] = twoViews(images);
    const keys = T.noGrad(() => this.key.forward(b));
    return { loss: infoNce(this.query.forward(a), keys, this.queue, this.config.temperature, this.config.batchNegatives), keys };
  }

  /** After the query's step: the momentum update of the key encoder, then the batch's keys into the queue. */
  afterStep(keys: Tensor): void {
    updateEma(this.key, this.query, this.config.momentum);
    assignBuffer(this.queue, T.tidy(() => enqueued(this.queue, keys)));
  }

  preview(batch: Batch): Tensor {
    return viewsGrid(requireField(batch, 'images', 'moco'), (x) => augment(x, GLOBAL_VIEW));
  }
}

export const moco = registerModel({
  name: 'moco',
  description: 'MoCo v2: query encoder + momentum (EMA) key encoder, FIFO queue of negatives, InfoNCE (an encoder: linear probe, k-NN)',
  notes: 'notes 004 §1.2',
  dataRange: [0, 1],
  fields: ['images'],
  config: { width: 32, projection: 64, queue: 4096, temperature: 0.2, momentum: 0.99, batchNegatives: true } as MocoConfig,
  training: { batch: 128, lr: 1e-3, steps: 3000, sampleEvery: 500 },
  withoutGpu: { config: { width: 8, queue: 512 }, steps: 300, sampleEvery: 100 },
  build: (config, device) => new Moco(config, device),
  train: (model, { lr }): Training => {
    const adam = new optim.Adam(model.query.parameters(), { lr });
    return {
      optimizers: { adam },
      step(batch) {
        const { loss, keys } = minimize(adam, () => model.loss(requireField(batch, 'images', 'moco')));
        model.afterStep(keys);
        keys.dispose();
        return { loss };
      },
    };
  },
});
