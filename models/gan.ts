/**
 * GAN, the original fully connected one (docs/models.md "GANs": gan; notes 002 §3.1, notes 000 §5,
 * notes 003 "GANs 구조").
 *
 * Model: a generator G maps noise z ~ N(0, I_64) through 64 -> 256 -> 512 -> 784 (LeakyReLU 0.2,
 * batch norm on the 512-wide layer, tanh output, so images are in the data's [-1, 1]); a
 * discriminator D maps an image through 784 -> 512 -> 256 -> 1 (LeakyReLU 0.2) to the logit of
 * "real". Why batch norm in G: with plain ReLU layers G fell into one speckled 0-like shape by
 * step 1,500 and D won (loss 0.25); with it, the same run draws varied digits (loss near 1.1).
 * Batch norm keeps each hidden unit's distribution over the batch fixed, so G cannot shrink to
 * one output as easily (the DCGAN paper's reason, notes 003).
 * Loss: the two-player game min_G max_D E log D(x) + E log(1 - D(G(z))): D is trained with
 * BCE-with-logits (real -> 1, fake -> 0); G with the non-saturating -log D(G(z)) by default, or
 * the saturating minimax log(1 - D(G(z))) with `generatorLoss: 'minimax'` (notes 003 explains why
 * the first learns faster). One D step, then one G step against the frozen D; Adam 2e-4, β1 0.5.
 * Sampling: draw z ~ N(0, I) and run the exponential moving average of G's weights (decay 0.999,
 * warmed up; `emaDecay: 0` runs G itself): G keeps moving with the game, and its average over the
 * last ~1,000 steps draws steadier samples. D is not needed after training.
 */
import { nn } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { GENERATOR_LOSSES, latent, sampleUnconditional, unconditionalGanTraining, type GeneratorLoss } from './blocks/gan.js';
import { averagedCopy, deviceOf } from './blocks/train.js';
import type { GenerativeModel } from './protocol.js';
import { registerModel } from './registry.js';

export interface GanConfig {
  zDim: number;
  generatorLoss: GeneratorLoss;
  /** Decay of the EMA of G's weights that sampling uses (0: none, sample G itself). */
  emaDecay: number;
}

/** G: z -> 256 -> 512 (BN) -> 784, LeakyReLU 0.2, tanh out, as [n, 1, 28, 28]. */
function mlpGenerator(zDim: number, device?: DeviceName): nn.Sequential {
  return new nn.Sequential(
    new nn.Linear(zDim, 256, { device }), new nn.LeakyReLU(0.2),
    new nn.Linear(256, 512, { device }), new nn.BatchNorm1d(512, { device }), new nn.LeakyReLU(0.2),
    new nn.Linear(512, 784, { device }), new nn.Tanh(), new nn.Unflatten(1, [1, 28, 28]),
  );
}

export class Gan extends nn.Module implements GenerativeModel {
  generator: nn.Sequential;
  discriminator: nn.Sequential;
  ema?: nn.Sequential;

  constructor(readonly config: GanConfig, device?: DeviceName) {
    super();
    this.generator = mlpGenerator(config.zDim, device);
    this.discriminator = new nn.Sequential(
      new nn.Flatten(),
      new nn.Linear(784, 512, { device }), new nn.LeakyReLU(0.2),
      new nn.Linear(512, 256, { device }), new nn.LeakyReLU(0.2),
      new nn.Linear(256, 1, { device }),
    );
    // Default (PyTorch-style uniform fan-in) init, not DCGAN's N(0, 0.02): through three
    // fully connected layers those small weights leave G's output ≈ 0 and its gradients tiny.
    if (config.emaDecay > 0) this.ema = averagedCopy(this.generator, () => mlpGenerator(config.zDim, device));
  }

  /** Images [n, 1, 28, 28] in [-1, 1] from fresh noise. */
  generate(n: number): Tensor {
    return this.generator.forward(latent(n, this.config.zDim, deviceOf(this.generator)));
  }

  /** z ~ N(0, I) through G's EMA (or G) in eval mode (BN running statistics). */
  sample(n: number): Tensor {
    return sampleUnconditional(this, n);
  }
}

export const gan = registerModel({
  name: 'gan',
  description: 'GAN with MLP G 64-256-512(BN)-784 and D 784-512-256-1, LeakyReLU, BCE, non-saturating G loss',
  notes: 'notes 002 §3.1',
  dataRange: [-1, 1],
  fields: ['images'],
  config: { zDim: 64, generatorLoss: 'non-saturating', emaDecay: 0.999 } as GanConfig,
  choices: { generatorLoss: GENERATOR_LOSSES },
  training: { batch: 64, lr: 2e-4, steps: 3000, sampleEvery: 500 },
  // 8,000 steps: 17 min on one wasm thread with another run beside it (2-core machine, 2026-12-02),
  // FID 58.6 against the floor's 2.34 at N = 5,000; at 1,500 the samples were mode-collapsed.
  withoutGpu: { steps: 8000, sampleEvery: 1000 },
  build: (config, device) => new Gan(config, device),
  train: (model, { lr }) => unconditionalGanTraining(model, lr),
});
