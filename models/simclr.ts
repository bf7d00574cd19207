/**
 * SimCLR, contrastive learning of visual representations (docs/models.md "Representation
 * learning": simclr; notes 004 §1.1 SimCLR).
 *
 * Model: two random views of each image (augment.ts: resized crop with a small rotation and
 * shear, intensity jitter, blur, erasing) go through one small CNN encoder (4w features after a
 * global average; or, with `encoder: 'vit'`, a ViT over 4x4 patches whose class token gives the
 * 4w features, models/blocks/vit.ts) and an MLP projection head to z. Loss: NT-Xent with temperature τ over the 2N
 * views, the notes' 2N x 2N similarity matrix: the two views of an image are pulled together,
 * views of other images pushed apart (notes: "유사한 쌍은 서로 당기고, 비유사한 쌍은 서로 밀어낸다").
 * The notes' caveat holds: it wants large batches, since the batch is where the negatives come from.
 * No labels. The representation is the encoder's output (the head is dropped, as in the paper);
 * `genlab eval` judges it by a linear probe and k-NN. An encoder: no `sample`.
 *
 * Default recipe: width 32, batch 128, Adam 1e-3, τ = 0.2, 3,000 steps. Without a GPU: width 16
 * (64 features, 69k parameters), batch 128, 600 steps (8.5 passes over the 9,000 digits), about
 * 40 minutes of wasm on one thread of the shared 2-core machine: held-out linear probe 95.3%
 * against 77.0% for a random encoder (README). Width 8 for 600 steps at batch 64 reached 91.1%.
 */
import { nn, optim } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { GLOBAL_VIEW, twoViews, viewsGrid, augment } from './blocks/augment.js';
import { ConvEncoder, mlpHead, ntXent } from './blocks/selfsup.js';
import { VitEncoder } from './blocks/vit.js';
import { minimize, requireField } from './blocks/train.js';
import type { Batch, EncoderModel, Training } from './protocol.js';
import { registerModel } from './registry.js';

export interface SimclrConfig {
  /** The encoder: the small CNN, or a ViT over 4x4 patches (`depth` blocks, `heads` heads). */
  encoder: 'cnn' | 'vit';
  /** Encoder width w: channels w, 2w, 4w, 4w; 4w features (the ViT's token width is 4w too). */
  width: number;
  /** ViT blocks and attention heads (the ViT encoder only). */
  depth: number;
  heads: number;
  /** Size of the projection z the loss compares. */
  projection: number;
  temperature: number;
}

export class Simclr extends nn.Module implements EncoderModel {
  encoder: ConvEncoder | VitEncoder;
  head: nn.Sequential;
  readonly featureDim: number;

  constructor(readonly config: SimclrConfig, device?: DeviceName) {
    super();
    this.featureDim = 4 * config.width;
    this.encoder = config.encoder === 'vit' ? new VitEncoder(this.featureDim, config.depth, config.heads, device) : new ConvEncoder(config.width, device);
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
  config: { encoder: 'cnn', width: 32, depth: 4, heads: 4, projection: 64, temperature: 0.2 } as SimclrConfig,
  choices: { encoder: ['cnn', 'vit'] },
  training: { batch: 128, lr: 1e-3, steps: 3000, sampleEvery: 500 },
  // Width 16 (64 features): ~4 s a step at batch 128 on wasm with one thread of the shared machine (load average 11-16).
  withoutGpu: { config: { width: 16 }, steps: 600, sampleEvery: 200 },
  build: (config, device) => new Simclr(config, device),
  train: (model, { lr }): Training => {
    const adam = new optim.Adam(model.parameters(), { lr });
    return { optimizers: { adam }, step: (batch) => minimize(adam, () => ({ loss: model.loss(requireField(batch, 'images', 'simclr')) })) };
  },
});
