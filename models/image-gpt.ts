/**
 * Image GPT (docs/models.md "Flows and autoregressive models": image-gpt; notes 004 §3.2: a masked
 * transformer models p(x) = Π_t p(x_t | x_<t) over an image turned into a 1-D sequence of discrete
 * tokens, trained with the softmax cross-entropy of language models).
 *
 * Tokens: each digit is averaged down to 14x14 and each of the 196 pixels quantised to `levels`
 * grey levels, read in raster order (Chen et al. reduce resolution and palette the same way).
 * Pixels rather than the dVAE's 49 tokens (models/dvae.ts), because pixels need no first stage:
 * the dVAE would have to be trained and frozen before the prior, and its reconstructions would cap
 * what the samples can show. At this width a 197-token sequence costs a CPU step well under a
 * second.
 * Model: a class token first (one per digit class, and a "no class" token used with probability
 * `dropLabel` in training, so the same network also models p(x) without a label), then the pixel
 * tokens, through a causal pre-norm transformer with learned positions
 * (models/blocks/causal-transformer.ts); position t predicts pixel t.
 * Loss: next-token cross-entropy summed over the 196 pixels: -log p(pixels | class) in nats per
 * image (of the quantised 14x14 image: not comparable with 28x28 likelihoods); Adam.
 * Sampling: 196 steps, each drawing the next pixel from softmax(logits / temperature) restricted to
 * the `topK` most likely levels (0: all), after the class token of the requested label (row r of
 * 8 is class r); the tokens are decoded as level / (levels - 1), each pixel shown as 2x2. Each step
 * runs the new token alone, attending to the kept normalised inputs of the tokens before it.
 */
import * as T from '../src/index.js';
import { nn, optim } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { CausalTransformer } from './blocks/causal-transformer.js';
import { deviceOf, evaluating, minimize, requireField } from './blocks/train.js';
import { gridLabels } from './cgan.js';
import type { Batch, GenerativeModel, SampleOptions, Training } from './protocol.js';
import { registerModel } from './registry.js';

const SIDE = 14;
const PIXELS = SIDE * SIDE;

export interface ImageGptConfig {
  /** Grey levels per pixel: the pixel vocabulary. */
  levels: number;
  classes: number;
  width: number;
  layers: number;
  heads: number;
  /** Probability of the "no class" token in training. */
  dropLabel: number;
  temperature: number;
  /** Sample among the k most likely levels only (0: all of them). */
  topK: number;
}

export class ImageGpt extends nn.Module implements GenerativeModel {
  transformer: CausalTransformer;

  constructor(readonly config: ImageGptConfig, device?: DeviceName) {
    super();
    const { levels, classes, width, layers, heads } = config;
    // Pixel levels 0 .. levels-1, class tokens after them, then the "no class" token.
    this.transformer = new CausalTransformer({ vocabulary: levels + classes + 1, outputs: levels, length: PIXELS, width, layers, heads }, device);
  }

  /** The class token [N, 1] of labels (int32 [N]), or the "no class" token for each of n images. */
  classToken(labels: Tensor | undefined, n: number, device: DeviceName): Tensor {
    const { levels, classes } = this.config;
    if (!labels) return T.full([n, 1], levels + classes, { dtype: 'int32', device });
    return T.reshape(T.add(labels, levels), [n, 1]);
  }

  /** Pixel tokens [N, 196] (int32) of images [N, 1, 28, 28] in [0, 1]. */
  tokenize(images: Tensor): Tensor {
    const levels = this.config.levels;
    const small = T.avgPool2d(T.clamp(images, 0, 1), 2);
    return T.reshape(T.cast(T.minimum(T.floor(T.mul(small, levels)), levels - 1), 'int32'), [images.shape[0]!, PIXELS]);
  }

  /** Images [N, 1, 28, 28] of pixel tokens [N, 196]: level / (levels - 1), each pixel 2x2. */
  decode(tokens: Tensor): Tensor {
    const small = T.reshape(T.div(T.cast(tokens, 'float32'), this.config.levels - 1), [tokens.shape[0]!, 1, SIDE, SIDE]);
    return T.interpolate(small, { scaleFactor: 2, mode: 'nearest' });
  }

  /** Logits [N, L, levels] of the next pixel after each prefix of [class, pixels...] (L ≤ 196). */
  forward(sequence: Tensor): Tensor {
    return this.transformer.forward(sequence);
  }

  /** -log p(pixels | class token) per image [N] in nats. */
  negativeLogLikelihood(images: Tensor, classToken: Tensor): Tensor {
    const pixels = this.tokenize(images);
    const inputs = T.cat([classToken, T.slice(pixels, [null, { stop: PIXELS - 1 }])], 1);
    const logits = T.permute(this.forward(inputs), [0, 2, 1]);
    return T.sum(T.crossEntropy(logits, pixels, { reduction: 'none' }), 1);
  }

  /** The next pixel [n, 1] from the last position's logits [n, levels], at the temperature, among the top k. */
  drawNext(logits: Tensor): Tensor {
    const { topK, levels, temperature } = this.config;
    let restricted = logits;
    if (topK > 0 && topK < levels) {
      const kth = T.slice(T.topk(logits, topK, -1).values, [null, { start: topK - 1 }]);
      restricted = T.where(T.lt(logits, kth), -Infinity, logits);
    }
    return T.categorical(restricted, { temperature, numSamples: 1 });
  }

  /** n images, 196 incremental steps each drawing one pixel after the class token of its label. */
  sample(n: number, options: SampleOptions = {}): Tensor {
    return evaluating(this, () => {
      const device = deviceOf(this);
      let token = this.classToken(options.labels ?? gridLabels(n, this.config.classes, device), n, device);
      let cache: Tensor[] = [];
      const pixels: Tensor[] = [];
      for (let t = 0; t < PIXELS; t++) {
        const step = T.tidy(() => {
          const { logits, cache: seen } = this.transformer.step(token, t, cache);
          return { pixel: this.drawNext(logits), seen };
        });
        for (const c of cache) c.dispose();
        [token, cache] = [step.pixel, step.seen];
        pixels.push(token);
      }
      return this.decode(T.cat(pixels, 1));
    });
  }

  /** log p(pixels | class) per image in nats, with the batch's labels, else log p(pixels) with the "no class" token. */
  logLikelihood({ images, labels }: Batch): Tensor {
    return evaluating(this, () => T.neg(this.negativeLogLikelihood(images!, this.classToken(labels, images!.shape[0]!, images!.device))));
  }
}

function imageGptTraining(model: ImageGpt, lr: number): Training {
  const adam = new optim.AdamW(model.parameters(), { lr, weightDecay: 0.01 });
  return {
    optimizers: { adam },
    step: (batch) => minimize(adam, () => {
      const images = requireField(batch, 'images', 'image-gpt');
      const labels = requireField(batch, 'labels', 'image-gpt');
      const n = images.shape[0]!;
      // Classifier-free training: some images learn under the "no class" token.
      const dropped = T.reshape(T.lt(T.rand([n], { device: images.device }), model.config.dropLabel), [n, 1]);
      const token = T.where(dropped, model.classToken(undefined, n, images.device), model.classToken(labels, n, images.device));
      const loss = T.mean(model.negativeLogLikelihood(images, token));
      return { loss, perPixel: T.div(loss, PIXELS) };
    }),
  };
}

export const imageGpt = registerModel({
  name: 'image-gpt',
  description: 'Image GPT: causal pre-norm transformer over 14x14 pixels quantised to 4 levels, class token first; next-token CE in nats; temperature / top-k',
  notes: 'notes 004 §3.2',
  dataRange: [0, 1],
  fields: ['images', 'labels'],
  config: { levels: 4, classes: 10, width: 64, layers: 4, heads: 4, dropLabel: 0.1, temperature: 1, topK: 0 } as ImageGptConfig,
  training: { batch: 32, lr: 1e-3, steps: 3000, sampleEvery: 1000 },
  withoutGpu: { config: { width: 32, layers: 2 }, steps: 600, sampleEvery: 300 },
  build: (config, device) => new ImageGpt(config, device),
  train: (model, { lr }) => imageGptTraining(model, lr),
});
