/**
 * MLP autoencoder (docs/models.md, "Autoencoders": the fully connected baseline of the notes 002 §2 conv
 * autoencoder).
 *
 * Model: 784 -> 256 -> 32 -> 256 -> 784, ReLU after each hidden layer and a linear 32-d code;
 * the decoder outputs logits whose sigmoid is the reconstructed image.
 * Loss: binary cross-entropy between the reconstruction and the input pixels (intensities in
 * [0, 1] as soft targets), averaged per pixel; Adam.
 * Sampling: an autoencoder has no prior of its own; `sample` decodes draws from a Gaussian fitted
 * to its training codes (blocks/code-prior.ts). Its picture during training is `preview`: the
 * inputs above their reconstructions.
 */
import * as T from '../src/index.js';
import { nn } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { CodePrior, reconstructionTraining } from './blocks/code-prior.js';
import { evaluating } from './blocks/train.js';
import type { Batch, GenerativeModel } from './protocol.js';
import { registerModel } from './registry.js';

export interface MlpAutoencoderConfig {
  hidden: number;
  latent: number;
}

export class MlpAutoencoder extends nn.Module implements GenerativeModel {
  encoder: nn.Sequential;
  decoder: nn.Sequential;
  codePrior: CodePrior;

  constructor(readonly config: MlpAutoencoderConfig, device?: DeviceName) {
    super();
    const { hidden, latent } = config;
    this.encoder = new nn.Sequential(new nn.Flatten(), new nn.Linear(784, hidden, { device }), new nn.ReLU(), new nn.Linear(hidden, latent, { device }));
    this.decoder = new nn.Sequential(
      new nn.Linear(latent, hidden, { device }), new nn.ReLU(), new nn.Linear(hidden, 784, { device }), new nn.Unflatten(1, [1, 28, 28]),
    );
    this.codePrior = new CodePrior(latent, device);
  }

  /** Reconstruction logits [N, 1, 28, 28] of images [N, 1, 28, 28]. */
  forward(x: Tensor): Tensor {
    return this.decoder.forward(this.encoder.forward(x));
  }

  /** Reconstructions in [0, 1]. */
  reconstruct(x: Tensor): Tensor {
    return T.sigmoid(this.forward(x));
  }

  /** Per-pixel BCE of the reconstruction, and the codes it came from. */
  loss(x: Tensor): { loss: Tensor; codes: Tensor } {
    const codes = this.encoder.forward(x);
    return { loss: T.bceWithLogits(this.decoder.forward(codes), x), codes };
  }

  /** Decoded draws from the Gaussian fitted to the training codes (see CodePrior). */
  sample(n: number): Tensor {
    return evaluating(this, () => T.sigmoid(this.decoder.forward(this.codePrior.draw(n))));
  }

  /** Inputs above their reconstructions. */
  preview({ images }: Batch): Tensor {
    return evaluating(this, () => {
      const shown = T.slice(images!, [{ stop: Math.ceil(images!.shape[0]! / 2) }]);
      return T.slice(T.cat([shown, this.reconstruct(shown)], 0), [{ stop: images!.shape[0]! }]);
    });
  }
}

export const mlpAutoencoder = registerModel({
  name: 'mlp-autoencoder',
  description: 'MLP autoencoder 784-256-32-256-784, BCE reconstruction loss (grid: inputs above reconstructions)',
  notes: 'notes 002 §2',
  dataRange: [0, 1],
  fields: ['images'],
  config: { hidden: 256, latent: 32 } as MlpAutoencoderConfig,
  training: { batch: 64, lr: 2e-3, steps: 600, sampleEvery: 200 },
  build: (config, device) => new MlpAutoencoder(config, device),
  train: (model, { lr }) => reconstructionTraining(model, lr, (x) => model.loss(x)),
});
