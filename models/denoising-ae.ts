/**
 * Denoising autoencoder (MODELS.md, "Autoencoders"; seed 002 section 2 and the autoencoders of
 * seeds 000/001).
 *
 * Model: the conv autoencoder of seed 002 (see autoencoder.ts), fed a corrupted image: Gaussian
 * noise of standard deviation `noise` added to the pixels, clipped back to [0, 1]. Learning to
 * undo the corruption forces the code to capture the digit rather than copy pixels.
 * Loss: BCE(clean, f(noisy)), per pixel, with the clean intensities as soft targets; Adam.
 * Sampling: denoising: the grid shows noisy digits in the top half and the network's clean
 * reconstructions of them below.
 */
import * as T from '../src/index.js';
import { optim } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { ConvAutoencoder } from './autoencoder.js';
import { SEED_CHANNELS } from './blocks/conv-autoencoder.js';
import { registerModel, type Trainer } from './registry.js';

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
  constructor(readonly denoising: DenoisingAeConfig = { latent: 32, channels: [...SEED_CHANNELS], noise: 0.5 }, device?: DeviceName) {
    super({ latent: denoising.latent, channels: denoising.channels, loss: 'bce' }, device);
  }

  /** Clean estimates in [0, 1] of noisy images. */
  denoise(noisy: Tensor): Tensor {
    return this.reconstruct(noisy);
  }
}

export function createDenoisingAe(opts: { device: DeviceName; lr: number; config: DenoisingAeConfig }): Trainer {
  const model = new DenoisingAutoencoder(opts.config, opts.device);
  const adam = new optim.Adam(model.parameters(), { lr: opts.lr });
  return {
    module: model,
    optimizers: { adam },
    trainStep(images) {
      return T.tidy(() => {
        adam.zeroGrad();
        const loss = model.loss(corrupt(images, opts.config.noise), images);
        loss.backward();
        adam.step();
        return { loss };
      });
    },
    sample(n, real) {
      return T.noGrad(() => T.tidy(() => {
        const noisy = corrupt(T.slice(real, [{ stop: Math.ceil(n / 2) }]), opts.config.noise);
        return T.slice(T.cat([noisy, model.denoise(noisy)], 0), [{ stop: n }]);
      }));
    },
  };
}

registerModel<DenoisingAeConfig>({
  name: 'denoising-ae',
  description: 'Denoising conv autoencoder of seed 002: BCE(clean, f(noisy)) with Gaussian noise 0.5; grid: noisy above denoised',
  dataRange: [0, 1],
  defaults: { batch: 64, lr: 1e-3, steps: 600, sampleEvery: 200 },
  withoutGpu: { config: { channels: [16, 32, 32, 32] }, steps: 300, sampleEvery: 100 },
  config: { latent: 32, channels: [...SEED_CHANNELS], noise: 0.5 },
  create: createDenoisingAe,
});
