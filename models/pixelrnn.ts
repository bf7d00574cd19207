/**
 * PixelRNN with Row LSTM layers (docs/models.md "Flows and autoregressive models": pixelrnn;
 * notes 000 §3, PixelRNN/CNN: explicit, tractable density, sequential pixel prediction; notes 004
 * §3.2, RNNs carrying a hidden state along the sequence to predict its next part).
 *
 * Model: a 7x7 mask-A convolution (the pixel never sees itself), then `layers` Row LSTM layers
 * (models/blocks/row-lstm.ts: a 1x3 mask-B input-to-state convolution and a 1x3 state-to-state
 * convolution of the row above, residual), then ReLU → 1x1 → ReLU → 1x1 to one Bernoulli logit per
 * pixel, so p(x) = Π_i p(x_i | x_<i) over the 784 pixels in raster order.
 * Loss: the exact negative log-likelihood per image in nats, the BCE summed over the pixels, on
 * digits binarised afresh every step (as the VAE and PixelCNN do); Adam.
 * Sampling: pixel by pixel in raster order. The LSTM states of a finished row never change, so the
 * sampler keeps them: each pixel costs the mask-A convolution on the 4 rows it reads and one row
 * step of every layer from the kept states, not a pass over the image.
 */
import * as T from '../src/index.js';
import { nn } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { MaskedConv2d } from './blocks/masked-conv.js';
import { RowLstm, type RowState } from './blocks/row-lstm.js';
import { deviceOf, evaluating } from './blocks/train.js';
import { bernoulliPixels, likelihoodTraining } from './pixelcnn.js';
import type { Batch, GenerativeModel } from './protocol.js';
import { registerModel } from './registry.js';

const SIDE = 28;

export interface PixelRnnConfig {
  /** Feature channels and LSTM state size. */
  width: number;
  /** Row LSTM layers. */
  layers: number;
  /** Sigmoid temperature of `sample`. */
  temperature: number;
}

export class PixelRnn extends nn.Module implements GenerativeModel {
  first: MaskedConv2d;
  layers: nn.ModuleList<RowLstm>;
  head: nn.Sequential;

  constructor(readonly config: PixelRnnConfig, device?: DeviceName) {
    super();
    const { width, layers } = config;
    this.first = new MaskedConv2d('A', 1, width, [7, 7], device);
    this.layers = new nn.ModuleList(Array.from({ length: layers }, () => new RowLstm(width, device)));
    this.head = new nn.Sequential(new nn.ReLU(), new nn.Conv2d(width, width, 1, { device }), new nn.ReLU(), new nn.Conv2d(width, 1, 1, { device }));
  }

  /** Features [N, width, H, W] before the head: pixel i depends only on the pixels before i. */
  features(x: Tensor): Tensor {
    let h = this.first.forward(x);
    for (const layer of this.layers) h = layer.forward(h);
    return h;
  }

  /** Bernoulli logits [N, 1, H, W] of p(x_i | x_<i) for binary images [N, 1, H, W]. */
  forward(x: Tensor): Tensor {
    return this.head.forward(this.features(x));
  }

  /** -log p(x) per image [N] in nats, on intensities in [0, 1] binarised afresh. */
  negativeLogLikelihood(images: Tensor): Tensor {
    const { input, target } = bernoulliPixels.prepare(images);
    return bernoulliPixels.nll(this.forward(input), target);
  }

  /**
   * The logits [N, 1, 1, W] of the last row of `window` (the image rows it reads: up to 3 above
   * it, for the 7x7 mask-A convolution), and each layer's state after it, given the states above.
   */
  lastRow(window: Tensor, states: readonly RowState[]): { logits: Tensor; states: RowState[] } {
    let x = T.slice(this.first.forward(window), [null, null, { start: -1 }]);
    const next: RowState[] = [];
    [...this.layers].forEach((layer, l) => {
      const step = layer.stepRow(x, states[l]!);
      x = step.y;
      next.push(step.state);
    });
    return { logits: this.head.forward(x), states: next };
  }

  /** n binary images drawn pixel by pixel, keeping each finished row's LSTM states. */
  sample(n: number): Tensor {
    return evaluating(this, () => {
      const zero = T.zeros([n, this.config.width, 1, SIDE], { device: deviceOf(this) });
      let states: RowState[] = [...this.layers].map(() => ({ h: zero, c: zero }));
      const rows: Tensor[] = [];
      for (let r = 0; r < SIDE; r++) {
        let row = T.zeros([n, 1, 1, SIDE], { device: zero.device });
        const window = () => T.cat([...rows.slice(Math.max(0, r - this.first.rowsAbove)), row], 2);
        for (let c = 0; c < SIDE; c++) {
          const next = T.tidy(() => {
            const here = T.reshape(T.slice(this.lastRow(window(), states).logits, [null, null, 0, c]), [n, 1]);
            const pixel = bernoulliPixels.draw(here, this.config.temperature);
            return T.add(row, T.pad(T.reshape(pixel, [n, 1, 1, 1]), [c, SIDE - 1 - c]));
          });
          row.dispose();
          row = next;
        }
        // The row is drawn: its states are final, and the next row starts from them.
        const finished = T.tidy(() => this.lastRow(window(), states).states);
        for (const s of states) for (const t of [s.h, s.c]) if (t !== zero) t.dispose();
        states = finished;
        rows.push(row);
      }
      return T.cat(rows, 2);
    });
  }

  /** log p(x) per image in nats, exact, of one binarisation of the intensities. */
  logLikelihood({ images }: Batch): Tensor {
    return evaluating(this, () => T.neg(this.negativeLogLikelihood(images!)));
  }
}

export const pixelrnn = registerModel({
  name: 'pixelrnn',
  description: 'PixelRNN: 7x7 mask-A conv + Row LSTM layers (1x3 masked input-to-state, 1x3 state-to-state); exact NLL in nats on binarised digits',
  notes: 'notes 000 §3, notes 004 §3.2',
  dataRange: [0, 1],
  fields: ['images'],
  config: { width: 32, layers: 2, temperature: 1 } as PixelRnnConfig,
  training: { batch: 32, lr: 1e-3, steps: 3000, sampleEvery: 1000 },
  withoutGpu: { config: { width: 16, layers: 1 }, steps: 600, sampleEvery: 300 },
  build: (config, device) => new PixelRnn(config, device),
  train: (model, { lr }) => likelihoodTraining(model, lr, 'pixelrnn'),
});
