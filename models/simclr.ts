/**
 * SimCLR, contrastive learning of visual representations (docs/models.md "Representation
 * learning": simclr; notes 004 §1.1 SimCLR).
 *
 * Model: two random views of each image (augment.ts: resized crop with a small rotation and
 * shear, intensity jitter, blur, erasing) go through one small CNN encoder (4w features after a
 * global average) and an MLP projection head to z. Loss: NT-Xent with temperature τ over the 2N
 * views, the notes' 2N x 2N similarity matrix: the two views of an image are pulled together,
 * views of other images pushed apart (notes: "유사한 쌍은 서로 당기고, 비유사한 쌍은 서로 밀어낸다").
 * The notes' caveat holds: it wants large batches, since the batch is where the negatives come from.
 * No labels. The representation is the encoder's output (the head is dropped, as in the paper);
 * `genlab eval` judges it by a linear probe and k-NN. An encoder: no `sample`.
 */
import { nn, optim } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { GLOBAL_VIEW, twoViews, viewsGrid, augment } from './blocks/augment.js';
import { ConvEncoder, mlpHead, ntXent } from './blocks/selfsup.js';
import { minimize, requireField } from './blocks/train.js';
import type { Batch, EncoderModel, Training } from './protocol.js';
import { registerModel } from './registry.js';

export interface SimclrConfig {
  /** Encoder width w: channels w, 2w, 4w, 4w; 4w features. */
  width: number;
  /** Size of the projection z the loss compares. */
  projection: number;
  temperature: number;
}

export class Simclr extends nn.Module implements EncoderModel {
  encoder: ConvEncoder;
  head: nn.Sequential;
  readonly featureDim: number;

  constructor(readonly config: SimclrConfig, device?: DeviceName) {
    super();
    this.encoder = new ConvEncoder(config.width, device);
    this.featureDim = this.encoder.features;
    this.head = mlpHead(this.featureDim, this.featureDim, config.projection, device);
  }

  encode(images: Tensor): Tensor {
    return this.encoder.forward(images);
  }

  /** z = g(f(x)): what NT-Xent compares. */
  project(views: Tensor): Tensor {
    return this.head.forward(this.encode(views));
  }

  /** NT-Xent of two fresh views of each image. */
  loss(images: Tensor): Tensor {
    const [a, b] = twoViews(images);
    return ntXent(this.project(a), this.project(b), this.config.temperature);
  }

  preview(batch: Batch): Tensor {
    return viewsGrid(requireField(batch, 'images', 'simclr'), (x) => augment(x, GLOBAL_VIEW));
  }
}

export const simclr = registerModel({
  name: 'simclr',
  description: 'SimCLR: two augmented views, CNN encoder + MLP projection, NT-Xent over 2N views (an encoder: linear probe, k-NN)',
  notes: 'notes 004 §1.1',
  dataRange: [0, 1],
  fields: ['images'],
  config: { width: 32, projection: 64, temperature: 0.2 } as SimclrConfig,
  training: { batch: 128, lr: 1e-3, steps: 3000, sampleEvery: 500 },
  // Width 8 (32 features) takes ~0.5 s a step at batch 128 on an idle 2-core CPU (wasm); the machine shared by many runs gives it a tenth of that.
  withoutGpu: { config: { width: 8 }, steps: 300, sampleEvery: 100 },
  build: (config, device) => new Simclr(config, device),
  train: (model, { lr }): Training => {
    const adam = new optim.Adam(model.parameters(), { lr });
    return { optimizers: { adam }, step: (batch) => minimize(adam, () => ({ loss: model.loss(requireField(batch, 'images', 'simclr')) })) };
  },
});
