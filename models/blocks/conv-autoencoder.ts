/**
 * The convolutional encoder and decoder of the autoencoder example of notes 002 §2 (docs/models.md,
 * "Autoencoders"), shared by `autoencoder`, `denoising-ae` and `vae`.
 *
 * Encoder: conv 3x3 with `channels` [32, 64, 64, 64] at strides 1, 2, 2, 1 (28 -> 14 -> 7), each
 * with ReLU, flattened to 7*7*64 = 3136 features; the models put their own dense heads on top (one
 * code for the autoencoders, mu and log sigma^2 for the VAE).
 * Decoder: dense z -> 3136, reshaped to 64x7x7, then the transposed convolutions in mirror order
 * (64 s1, 64 s2, 32 s2, 1 s1). Keras' `padding='same'` with stride 2 doubles the size, which is
 * padding 1 plus output padding 1 here. The last layer outputs logits: the models apply the
 * sigmoid (or fold it into BCE-with-logits, which is stable where sigmoid-then-log is not).
 * Narrower `channels` keep the same shape of network for quick tests.
 */
import * as T from '../../src/index.js';
import { nn } from '../../src/index.js';
import type { DeviceName, Tensor } from '../../src/index.js';

/** The seed's channel widths, encoder order. */
export const SEED_CHANNELS = [32, 64, 64, 64] as const;
const STRIDES = [1, 2, 2, 1] as const;

/** Features out of the convolutional encoder: its last width at 7x7. */
export const encoderFeatures = (channels: readonly number[]) => channels[3]! * 7 * 7;

export class ConvEncoder extends nn.Sequential {
  constructor(channels: readonly number[] = SEED_CHANNELS, device?: DeviceName) {
    super();
    channels.forEach((c, i) => {
      this.append(new nn.Conv2d(i === 0 ? 1 : channels[i - 1]!, c, 3, { stride: STRIDES[i], padding: 1, device }));
      this.append(new nn.ReLU());
    });
    this.append(new nn.Flatten());
  }
}

export class ConvDecoder extends nn.Sequential {
  constructor(latent: number, channels: readonly number[] = SEED_CHANNELS, device?: DeviceName) {
    super(new nn.Linear(latent, encoderFeatures(channels), { device }), new nn.Unflatten(1, [channels[3]!, 7, 7]));
    for (let i = 3; i >= 0; i--) {
      const stride = STRIDES[i]!;
      const out = i === 0 ? 1 : channels[i - 1]!;
      this.append(new nn.ConvTranspose2d(channels[i]!, out, 3, { stride, padding: 1, outputPadding: stride - 1, device }));
      if (i > 0) this.append(new nn.ReLU());
    }
  }
}

/**
 * `rows` rows of 8 decodings between consecutive pairs of `real` images (0 and 1, 2 and 3, ...),
 * alpha from 0 to 1 across the row: the seed's latent interpolation, laid out for a sample grid.
 */
export function interpolationRows(interpolate: (a: Tensor, b: Tensor, alphas: number[]) => Tensor, real: Tensor, rows: number): Tensor[] {
  const alphas = Array.from({ length: 8 }, (_, i) => i / 7);
  const one = (i: number) => T.slice(real, [{ start: i, stop: i + 1 }]);
  return Array.from({ length: rows }, (_, r) => interpolate(one(2 * r), one(2 * r + 1), alphas));
}
