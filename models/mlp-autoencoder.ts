/**
 * MLP autoencoder (MODELS.md, "Autoencoders": the fully connected baseline of the seed-002 conv
 * autoencoder).
 *
 * Model: 784 -> 256 -> 32 -> 256 -> 784, ReLU after each hidden layer and a linear 32-d code;
 * the decoder outputs logits whose sigmoid is the reconstructed image.
 * Loss: binary cross-entropy between the reconstruction and the input pixels (intensities in
 * [0, 1] as soft targets), averaged per pixel; Adam.
 * Sampling: an autoencoder has no prior to sample from, so its "samples" are reconstructions of
 * held-out digits: the grid shows the inputs above their reconstructions.
 */
import * as T from '../src/index.js';
import { nn, optim } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { registerModel, type Trainer } from './registry.js';

export interface MlpAutoencoderConfig {
  hidden: number;
  latent: number;
}

export class MlpAutoencoder extends nn.Module {
  encoder: nn.Sequential;
  decoder: nn.Sequential;

  constructor(readonly config: MlpAutoencoderConfig = { hidden: 256, latent: 32 }, device?: DeviceName) {
    super();
    const { hidden, latent } = config;
    this.encoder = new nn.Sequential(new nn.Flatten(), new nn.Linear(784, hidden, { device }), new nn.ReLU(), new nn.Linear(hidden, latent, { device }));
    this.decoder = new nn.Sequential(
      new nn.Linear(latent, hidden, { device }), new nn.ReLU(), new nn.Linear(hidden, 784, { device }), new nn.Unflatten(1, [1, 28, 28]),
    );
  }

  /** Reconstruction logits [N, 1, 28, 28] of images [N, 1, 28, 28]. */
  forward(x: Tensor): Tensor {
    return this.decoder.forward(this.encoder.forward(x));
  }

  /** Per-pixel BCE of the reconstruction. */
  loss(x: Tensor): Tensor {
    return T.bceWithLogits(this.forward(x), x);
  }
}

export function createMlpAutoencoder(opts: { device: DeviceName; lr: number; config: MlpAutoencoderConfig }): Trainer {
  const model = new MlpAutoencoder(opts.config, opts.device);
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
        const shown = T.slice(real, [{ stop: Math.ceil(n / 2) }]);
        return T.slice(T.cat([shown, T.sigmoid(model.forward(shown))], 0), [{ stop: n }]);
      }));
    },
  };
}

registerModel<MlpAutoencoderConfig>({
  name: 'mlp-autoencoder',
  description: 'MLP autoencoder 784-256-32-256-784, BCE reconstruction loss (samples are reconstructions)',
  dataRange: [0, 1],
  defaults: { batch: 64, lr: 2e-3, steps: 600, sampleEvery: 200 },
  config: { hidden: 256, latent: 32 },
  create: createMlpAutoencoder,
});
