/**
 * PixelCNN (docs/models.md "Flows and autoregressive models": pixelcnn; notes 000 §3, PixelRNN/CNN
 * as explicit models with a tractable density and sequential pixel prediction; notes 004 §3.2, an
 * image rasterised into a sequence and p(x) = Π_i p(x_i | x_<i) by the chain rule of §3.2).
 *
 * Model: a stack of masked convolutions (models/blocks/masked-conv.ts) whose output at pixel i
 * depends only on the pixels before i in raster order: a 7x7 mask-A convolution, then mask-B
 * residual blocks (`arch: 'plain'`, van den Oord et al. 2016a), or the gated PixelCNN's vertical
 * and horizontal stacks, which have no blind spot (`arch: 'gated'`, van den Oord et al. 2016b;
 * models/blocks/pixelcnn-layers.ts); then ReLU → 1x1 → ReLU → 1x1 to the logits of p(x_i | x_<i).
 * Likelihood: `output: 'bernoulli'` models binarised digits (each pixel drawn from its intensity
 * afresh every step, as the VAE does) with one logit per pixel; `output: 'categorical'` models the
 * 256 grey levels with a 256-way softmax per pixel (for Fashion-MNIST; bits/dim reported).
 * Loss: the negative log-likelihood per image in nats, Σ_i -log p(x_i | x_<i), the BCE (or the
 * cross-entropy) summed over the 784 pixels: exact, no bound. Trained by maximum likelihood, as
 * notes 004 §3.1 puts it; Adam.
 * Sampling: one pass per pixel, 784 in raster order, each drawing pixel i from p(x_i | x_<i) at
 * `temperature` and writing it into the canvas. A row's logits depend only on the `rowsAbove`
 * rows above it, so each pass runs on that window of rows (the masks see no row below, so the
 * window's zero padding changes nothing), not on the whole image.
 */
import * as T from '../src/index.js';
import { nn, optim } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { GatedTrunk, PlainTrunk, type PixelCnnTrunk } from './blocks/pixelcnn-layers.js';
import { deviceOf, evaluating, minimize, requireField } from './blocks/train.js';
import type { Batch, GenerativeModel, Training } from './protocol.js';
import { registerModel } from './registry.js';
import { binarize } from './vae.js';

export const PIXELCNN_ARCHS = ['plain', 'gated'] as const;
export const PIXEL_OUTPUTS = ['bernoulli', 'categorical'] as const;
const LEVELS = 256;
const SIDE = 28;

export interface PixelCnnConfig {
  arch: (typeof PIXELCNN_ARCHS)[number];
  output: (typeof PIXEL_OUTPUTS)[number];
  /** Feature channels of the trunk. */
  width: number;
  /** Residual blocks (plain) or gated layers after the first (gated). */
  blocks: number;
  /** Softmax (or sigmoid) temperature of `sample`. */
  temperature: number;
}

/** What the likelihood of one pixel needs: its logits' channel count, the target and the draw. */
export interface PixelLikelihood {
  channels: number;
  /** The image as the network sees it and the target the loss compares with. */
  prepare(images: Tensor): { input: Tensor; target: Tensor };
  /** -log p(x) per image [N], summed over the pixels, in nats. */
  nll(logits: Tensor, target: Tensor): Tensor;
  /** One pixel [n, 1] in [0, 1] drawn from its logits [n, channels]. */
  draw(logits: Tensor, temperature: number): Tensor;
}

export const bernoulliPixels: PixelLikelihood = {
  channels: 1,
  prepare: (images) => {
    const binary = binarize(images);
    return { input: binary, target: binary };
  },
  nll: (logits, target) => T.sum(T.bceWithLogits(logits, target, { reduction: 'none' }), [1, 2, 3]),
  draw: (logits, temperature) => T.cast(T.lt(T.randLike(logits), T.sigmoid(T.div(logits, temperature))), logits.dtype),
};

export const categoricalPixels: PixelLikelihood = {
  channels: LEVELS,
  prepare: (images) => {
    const levels = T.round(T.mul(T.clamp(images, 0, 1), LEVELS - 1));
    return { input: T.div(levels, LEVELS - 1), target: T.cast(levels, 'int32') };
  },
  // logits [N, 256, H, W] against levels [N, 1, H, W].
  nll: (logits, target) => T.sum(T.crossEntropy(logits, T.squeeze(target, 1), { reduction: 'none' }), [1, 2]),
  draw: (logits, temperature) => T.div(T.cast(T.categorical(logits, { temperature, numSamples: 1 }), logits.dtype), LEVELS - 1),
};

export class PixelCnn extends nn.Module implements GenerativeModel {
  trunk: PixelCnnTrunk;
  head: nn.Sequential;
  readonly likelihood: PixelLikelihood;

  constructor(readonly config: PixelCnnConfig, device?: DeviceName) {
    super();
    const { width, blocks } = config;
    this.likelihood = config.output === 'categorical' ? categoricalPixels : bernoulliPixels;
    this.trunk = config.arch === 'gated' ? new GatedTrunk(1, width, blocks, device) : new PlainTrunk(1, width, blocks, device);
    this.head = new nn.Sequential(
      new nn.ReLU(), new nn.Conv2d(width, width, 1, { device }), new nn.ReLU(), new nn.Conv2d(width, this.likelihood.channels, 1, { device }),
    );
  }

  /** Logits [N, channels, H, W] of p(x_i | x_<i) at every pixel of images [N, 1, H, W]. */
  forward(x: Tensor): Tensor {
    return this.head.forward(this.trunk.forward(x));
  }

  /** -log p(x) per image [N] in nats, on images in [0, 1] (binarised afresh for 'bernoulli'). */
  negativeLogLikelihood(images: Tensor): Tensor {
    const { input, target } = this.likelihood.prepare(images);
    return this.likelihood.nll(this.forward(input), target);
  }

  /** n images drawn pixel by pixel, each pass on the window of rows the next pixel depends on. */
  sample(n: number): Tensor {
    return evaluating(this, () => {
      const device = deviceOf(this);
      const reach = this.trunk.rowsAbove;
      const rows: Tensor[] = [];
      for (let r = 0; r < SIDE; r++) {
        let row = T.zeros([n, 1, 1, SIDE], { device });
        const above = rows.slice(Math.max(0, r - reach));
        for (let c = 0; c < SIDE; c++) {
          const next = T.tidy(() => {
            const logits = this.forward(T.cat([...above, row], 2));
            const here = T.reshape(T.slice(logits, [null, null, -1, c]), [n, this.likelihood.channels]);
            const pixel = this.likelihood.draw(here, this.config.temperature);
            return T.add(row, T.pad(T.reshape(pixel, [n, 1, 1, 1]), [c, SIDE - 1 - c]));
          });
          row.dispose();
          row = next;
        }
        rows.push(row);
      }
      return T.cat(rows, 2);
    });
  }

  /** log p(x) per image in nats, exact (for 'bernoulli', of one binarisation of the intensities). */
  logLikelihood({ images }: Batch): Tensor {
    return evaluating(this, () => T.neg(this.negativeLogLikelihood(images!)));
  }
}

/** Nats per image → bits per dimension (784 pixels). */
export const bitsPerDim = (nats: Tensor): Tensor => T.div(nats, SIDE * SIDE * Math.LN2);

/** Adam on the mean exact NLL (nats per image) of a model with one, reporting bits/dim beside it. */
export function likelihoodTraining(model: nn.Module & { negativeLogLikelihood(images: Tensor): Tensor }, lr: number, name: string): Training {
  const adam = new optim.Adam(model.parameters(), { lr });
  return {
    optimizers: { adam },
    step: (batch) => minimize(adam, () => {
      const loss = T.mean(model.negativeLogLikelihood(requireField(batch, 'images', name)));
      return { loss, bitsPerDim: bitsPerDim(loss) };
    }),
  };
}

export const pixelcnn = registerModel({
  name: 'pixelcnn',
  description: 'PixelCNN: 7x7 mask-A conv + mask-B residual blocks (arch=gated: vertical/horizontal stacks); exact NLL in nats, 784-pass sampling',
  notes: 'notes 000 §3, notes 004 §3.2',
  dataRange: [0, 1],
  fields: ['images'],
  config: { arch: 'plain', output: 'bernoulli', width: 64, blocks: 7, temperature: 1 } as PixelCnnConfig,
  choices: { arch: PIXELCNN_ARCHS, output: PIXEL_OUTPUTS },
  training: { batch: 32, lr: 1e-3, steps: 3000, sampleEvery: 1000 },
  // Width 32 with 4 blocks: ~2 s a wasm step on two loaded cores (4x less than width 64 with 7 blocks).
  withoutGpu: { config: { width: 32, blocks: 4 }, steps: 600, sampleEvery: 300 },
  build: (config, device) => new PixelCnn(config, device),
  train: (model, { lr }) => likelihoodTraining(model, lr, 'pixelcnn'),
});
