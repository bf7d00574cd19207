/**
 * Denoising autoencoder (docs/models.md, "Autoencoders"; notes 002 §2 and the autoencoders of
 * notes 000/001).
 *
 * Model: the conv autoencoder of notes 002 (see autoencoder.ts), fed a corrupted image: Gaussian
 * noise of standard deviation `noise` added to the pixels, clipped back to [0, 1]. Learning to
 * undo the corruption forces the code to capture the digit rather than copy pixels.
 * Loss: BCE(clean, f(noisy)), per pixel, with the clean intensities as soft targets; Adam.
 * Sampling: as the autoencoder's, from a Gaussian fitted to its training codes. The grid
 * (`preview`) shows noisy digits in the top half and the network's clean estimates of them below.
 */
import * as T from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { ConvAutoencoder } from './autoencoder.js';
import { SEED_CHANNELS } from './blocks/conv-autoencoder.js';
import { reconstructionTraining } from './blocks/code-prior.js';
import { evaluating } from './blocks/train.js';
import type { Batch } from './protocol.js';
import { registerModel } from './registry.js';

export interface DenoisingAeConfig {
  latent: number;
  /** Encoder widths (the decoder mirrors them). */
  channels: number[];
  /** Standard deviation of the Gaussian pixel noise. */
  noise: number;
}

/** x + noise * N(0, 1), clipped to the pixel range [0, 1]. */
export const corrupt = (x: Tensor, noise: number): Tensor => T.clamp(T.add(x, T.mul(T.randnLike(x), noise)), 0, 1);

export class DenoisingAutoencoder extends ConvAutoencoder {
  constructor(readonly denoising: DenoisingAeConfig, device?: DeviceName) {
    super({ latent: denoising.latent, channels: denoising.channels, loss: 'bce' }, device);
  }

  /** Clean estimates in [0, 1] of noisy images. */
  denoise(noisy: Tensor): Tensor {
    return this.reconstruct(noisy);
  }

  /** Noisy digits in the top half, the network's clean estimates of them below. */
  override preview({ images }: Batch): Tensor {
    const n = images!.shape[0]!;
    return evaluating(this, () => {
      const noisy = corrupt(T.slice(images!, [{ stop: Math.ceil(n / 2) }]), this.denoising.noise);
      return T.slice(T.cat([noisy, this.denoise(noisy)], 0), [{ stop: n }]);
    });
  }
}

export const denoisingAe = registerModel({
  name: 'denoising-ae',
  description: 'Denoising conv autoencoder of notes 002: BCE(clean, f(noisy)) with Gaussian noise 0.5; grid: noisy above denoised',
  notes: 'notes 002 §2',
  dataRange: [0, 1],
  fields: ['images'],
  config: { latent: 32, channels: [...SEED_CHANNELS], noise: 0.5 } as DenoisingAeConfig,
  training: { batch: 64, lr: 1e-3, steps: 600, sampleEvery: 200 },
  withoutGpu: { config: { channels: [16, 32, 32, 32] }, steps: 1000, sampleEvery: 500 },
  build: (config, device) => new DenoisingAutoencoder(config, device),
  train: (model, { lr }) => reconstructionTraining(model, lr, (x) => model.loss(corrupt(x, model.denoising.noise), x)),
});
