/**
 * The convolutional encoder and decoder of the seed-002 autoencoder example (MODELS.md,
 * "Autoencoders"), shared by `autoencoder`, `denoising-ae` and `vae`.
 *
 * Encoder: conv 3x3 32 s1, conv 64 s2 (28 -> 14), conv 64 s2 (14 -> 7), conv 64 s1, each with
 * ReLU, flattened to 7*7*64 = 3136 features; the models put their own dense heads on top (one
 * code for the autoencoders, mu and log sigma^2 for the VAE).
 * Decoder: dense z -> 3136, reshaped to 64x7x7, then the transposed convolutions in mirror order
 * (64 s1, 64 s2, 32 s2, 1 s1). Keras' `padding='same'` with stride 2 doubles the size, which is
 * padding 1 plus output padding 1 here. The last layer outputs logits: the models apply the
 * sigmoid (or fold it into BCE-with-logits, which is stable where sigmoid-then-log is not).
 */
import { nn } from '../../src/index.js';
import type { DeviceName } from '../../src/index.js';

/** Features out of the convolutional encoder (64 channels at 7x7). */
export const ENCODER_FEATURES = 64 * 7 * 7;

export class ConvEncoder extends nn.Sequential {
  constructor(device?: DeviceName) {
    const conv = (cin: number, cout: number, stride: number) => new nn.Conv2d(cin, cout, 3, { stride, padding: 1, device });
    super(
      conv(1, 32, 1), new nn.ReLU(),
      conv(32, 64, 2), new nn.ReLU(),
      conv(64, 64, 2), new nn.ReLU(),
      conv(64, 64, 1), new nn.ReLU(),
      new nn.Flatten(),
    );
  }
}

export class ConvDecoder extends nn.Sequential {
  constructor(latent: number, device?: DeviceName) {
    const convT = (cin: number, cout: number, stride: number) =>
      new nn.ConvTranspose2d(cin, cout, 3, { stride, padding: 1, outputPadding: stride - 1, device });
    super(
      new nn.Linear(latent, ENCODER_FEATURES, { device }), new nn.Unflatten(1, [64, 7, 7]),
      convT(64, 64, 1), new nn.ReLU(),
      convT(64, 64, 2), new nn.ReLU(),
      convT(64, 32, 2), new nn.ReLU(),
      convT(32, 1, 1),
    );
  }
}
