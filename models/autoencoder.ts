/**
 * Convolutional autoencoder (MODELS.md, "Autoencoders"; seed 002 section 2, its Keras MNIST
 * example, and the autoencoder of seeds 000/001).
 *
 * Model: the seed-002 conv encoder (conv 32 s1, 64 s2, 64 s2, 64 s1, ReLU) and a dense 32-d code,
 * then the mirrored transposed-conv decoder. The seed's last layer is a ReLU; this one ends in a
 * sigmoid so reconstructions stay in [0, 1] for either loss.
 * Loss: per-pixel BCE between the reconstruction and the input intensities (soft targets), or the
 * seed's MSE (`loss: 'mse'`); Adam.
 * Sampling: an autoencoder has no prior, so the grid shows data digits, their reconstructions,
 * and (as the seed's example) decodings of (1 - alpha) z_a + alpha z_b along the line between the
 * codes of two digits, alpha from 0 to 1 across each row.
 */
import * as T from '../src/index.js';
import { nn, optim } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { ConvDecoder, ConvEncoder, SEED_CHANNELS, encoderFeatures, interpolationRows } from './blocks/conv-autoencoder.js';
import { registerModel, type Trainer } from './registry.js';

export interface AutoencoderConfig {
  latent: number;
  /** Encoder widths (the decoder mirrors them). */
  channels: number[];
  loss: 'bce' | 'mse';
}

export class ConvAutoencoder extends nn.Module {
  encoder: ConvEncoder;
  code: nn.Linear;
  decoder: ConvDecoder;

  constructor(readonly config: AutoencoderConfig = { latent: 32, channels: [...SEED_CHANNELS], loss: 'bce' }, device?: DeviceName) {
    super();
    this.encoder = new ConvEncoder(config.channels, device);
    this.code = new nn.Linear(encoderFeatures(config.channels), config.latent, { device });
    this.decoder = new ConvDecoder(config.latent, config.channels, device);
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

  /** Mean per-pixel loss of reconstructing `target` from `input` (the same images unless denoising). */
  loss(input: Tensor, target: Tensor = input): Tensor {
    const logits = this.decode(this.encode(input));
    return this.config.loss === 'mse' ? T.mseLoss(T.sigmoid(logits), target) : T.bceWithLogits(logits, target);
  }

  /** Decodings [alphas, 1, 28, 28] along the line between the codes of images a and b [1, 1, 28, 28]. */
  interpolate(a: Tensor, b: Tensor, alphas: readonly number[]): Tensor {
    const alpha = T.tensor(alphas, { shape: [alphas.length, 1], device: a.device });
    return T.sigmoid(this.decode(T.add(T.mul(this.encode(a), T.sub(1, alpha)), T.mul(this.encode(b), alpha))));
  }
}

export function createAutoencoder(opts: { device: DeviceName; lr: number; config: AutoencoderConfig }): Trainer {
  const model = new ConvAutoencoder(opts.config, opts.device);
  const adam = new optim.Adam(model.parameters(), { lr: opts.lr });
  return {
    module: model,
    optimizers: { adam },
    trainStep(images) {
      return T.tidy(() => {
        adam.zeroGrad();
        const loss = model.loss(images);
        loss.backward();
        adam.step();
        return { loss };
      });
    },
    sample(n, real) {
      return T.noGrad(() => T.tidy(() => {
        const rows = Math.floor(n / 16);
        const shown = T.slice(real, [{ stop: Math.ceil((n - 8 * rows) / 2) }]);
        const lines = interpolationRows((a, b, alphas) => model.interpolate(a, b, alphas), real, rows);
        return T.slice(T.cat([shown, model.reconstruct(shown), ...lines], 0), [{ stop: n }]);
      }));
    },
  };
}

registerModel<AutoencoderConfig>({
  name: 'autoencoder',
  description: 'Conv autoencoder of seed 002 (z=32), BCE or MSE; grid: inputs, reconstructions, latent interpolations',
  dataRange: [0, 1],
  defaults: { batch: 64, lr: 1e-3, steps: 600, sampleEvery: 200 },
  withoutGpu: { config: { channels: [16, 32, 32, 32] }, steps: 300, sampleEvery: 100 },
  config: { latent: 32, channels: [...SEED_CHANNELS], loss: 'bce' },
  create: createAutoencoder,
});
