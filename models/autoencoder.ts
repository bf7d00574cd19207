/**
 * Convolutional autoencoder (docs/models.md, "Autoencoders"; notes 002 §2, its Keras MNIST
 * example, and the autoencoder of notes 000/001).
 *
 * Model: the conv encoder of notes 002 §2 (conv 32 s1, 64 s2, 64 s2, 64 s1, ReLU) and a dense 32-d code,
 * then the mirrored transposed-conv decoder. The seed's last layer is a ReLU; this one ends in a
 * sigmoid so reconstructions stay in [0, 1] for either loss.
 * Loss: per-pixel BCE between the reconstruction and the input intensities (soft targets), or the
 * seed's MSE (`loss: 'mse'`); Adam.
 * Sampling: an autoencoder has no prior of its own; `sample` decodes draws from a Gaussian fitted
 * to its training codes (blocks/code-prior.ts). The grid (`preview`) shows data digits, their
 * reconstructions, and (as the seed's example) decodings of (1 - alpha) z_a + alpha z_b along the line between the
 * codes of two digits, alpha from 0 to 1 across each row.
 */
import * as T from '../src/index.js';
import { nn } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { ConvDecoder, ConvEncoder, SEED_CHANNELS, encoderFeatures, interpolationRows } from './blocks/conv-autoencoder.js';
import { CodePrior, reconstructionTraining } from './blocks/code-prior.js';
import { evaluating } from './blocks/train.js';
import type { Batch, GenerativeModel } from './protocol.js';
import { registerModel } from './registry.js';

export interface AutoencoderConfig {
  latent: number;
  /** Encoder widths (the decoder mirrors them). */
  channels: number[];
  loss: 'bce' | 'mse';
}

export class ConvAutoencoder extends nn.Module implements GenerativeModel {
  encoder: ConvEncoder;
  code: nn.Linear;
  decoder: ConvDecoder;
  codePrior: CodePrior;

  constructor(readonly config: AutoencoderConfig, device?: DeviceName) {
    super();
    this.encoder = new ConvEncoder(config.channels, device);
    this.code = new nn.Linear(encoderFeatures(config.channels), config.latent, { device });
    this.decoder = new ConvDecoder(config.latent, config.channels, device);
    this.codePrior = new CodePrior(config.latent, device);
  }

  /** Codes [N, latent] of images [N, 1, 28, 28]. */
  encode(x: Tensor): Tensor {
    return this.code.forward(this.encoder.forward(x));
  }

  /** Reconstruction logits [N, 1, 28, 28] of codes. */
  decode(z: Tensor): Tensor {
    return this.decoder.forward(z);
  }

  /** Reconstructions in [0, 1]. */
  reconstruct(x: Tensor): Tensor {
    return T.sigmoid(this.decode(this.encode(x)));
  }

  /** Mean per-pixel loss of reconstructing `target` from `input` (the same images unless denoising), and the codes. */
  loss(input: Tensor, target: Tensor = input): { loss: Tensor; codes: Tensor } {
    const codes = this.encode(input);
    const logits = this.decode(codes);
    return { loss: this.config.loss === 'mse' ? T.mseLoss(T.sigmoid(logits), target) : T.bceWithLogits(logits, target), codes };
  }

  /** Decoded draws from the Gaussian fitted to the training codes (see CodePrior). */
  sample(n: number): Tensor {
    return evaluating(this, () => T.sigmoid(this.decode(this.codePrior.draw(n))));
  }

  /** As the seed's example: data digits, their reconstructions, then rows of latent interpolations. */
  preview({ images }: Batch): Tensor {
    const n = images!.shape[0]!;
    return evaluating(this, () => {
      const rows = Math.floor(n / 16);
      const shown = T.slice(images!, [{ stop: Math.ceil((n - 8 * rows) / 2) }]);
      const lines = interpolationRows((a, b, alphas) => this.interpolate(a, b, alphas), images!, rows);
      return T.slice(T.cat([shown, this.reconstruct(shown), ...lines], 0), [{ stop: n }]);
    });
  }

  /** Decodings [alphas, 1, 28, 28] along the line between the codes of images a and b [1, 1, 28, 28]. */
  interpolate(a: Tensor, b: Tensor, alphas: readonly number[]): Tensor {
    const alpha = T.tensor(alphas, { shape: [alphas.length, 1], device: a.device });
    return T.sigmoid(this.decode(T.add(T.mul(this.encode(a), T.sub(1, alpha)), T.mul(this.encode(b), alpha))));
  }
}

export const autoencoder = registerModel({
  name: 'autoencoder',
  description: 'Conv autoencoder of notes 002 (z=32), BCE or MSE; grid: inputs, reconstructions, latent interpolations',
  notes: 'notes 002 §2',
  dataRange: [0, 1],
  fields: ['images'],
  config: { latent: 32, channels: [...SEED_CHANNELS], loss: 'bce' } as AutoencoderConfig,
  choices: { loss: ['bce', 'mse'] },
  training: { batch: 64, lr: 1e-3, steps: 600, sampleEvery: 200 },
  withoutGpu: { config: { channels: [16, 32, 32, 32] }, steps: 1000, sampleEvery: 500 },
  build: (config, device) => new ConvAutoencoder(config, device),
  train: (model, { lr }) => reconstructionTraining(model, lr, (x) => model.loss(x)),
});
