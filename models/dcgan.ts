/**
 * DCGAN, the deep convolutional GAN (docs/models.md "GANs": dcgan; notes 002 §3.1-3.2 with its
 * Fashion-MNIST bag example, notes 000 §6).
 *
 * Model: G maps z ~ N(0, I_100) by a linear layer to 128x7x7 and up by transposed convs 4x4
 * stride 2 to 64x14x14 and 1x28x28; BN + ReLU inside, tanh out. D mirrors it: strided convs
 * 28 -> 14 -> 7 with LeakyReLU(0.2), BN inside, then a single linear logit. The notes' DCGAN
 * rules: no pooling (strides up- and downsample), batch norm, no fully connected hidden layers.
 * Loss: BCE-with-logits for D (real -> 1, fake -> 0); non-saturating -log D(G(z)) for G by
 * default, the minimax log(1 - D(G(z))) with `generatorLoss: 'minimax'`. One D step, then one
 * G step against the frozen D (the notes' "분별망 가중치를 고정"); Adam 2e-4, β1 0.5.
 * Sampling: z ~ N(0, I) through an exponential moving average of G's weights (decay 0.999, warmed
 * up over the first steps) in eval mode (BN running statistics). G's weights keep moving with the
 * game; their average over the last ~1,000 steps draws cleaner, more stable samples (Yazıcı et al.
 * 2019 measured lower FID for DCGANs this way). `emaDecay: 0` samples G itself.
 *
 * Recipe options from the literature, off by default because none beat it here (FID of 2,000 EMA
 * samples against the held-out digits, floor 3.13; wasm, one thread, 2-core machine at load 9-15,
 * 2026-12-02): the default (width 32, 3,500 steps) 69.6; width 16 for ~6,300 steps 77.0, with
 * one-sided label smoothing 0.1 (`labelSmoothing`) 75.7; width 32 with G at lr 1e-4 and D at 4x
 * (TTUR, `discriminatorLrScale: 4`) 94.0, the same with spectral norm in D instead of its batch
 * norm (`spectralNorm`) 93.5, both at 3,500 steps and still falling. `r1: γ` adds the lazy R1 penalty.
 *
 * The example of notes 002 §3.2 trains on one Fashion-MNIST class, bags (label 8): pass an IDX images file
 * of the bags to `genlab train dcgan --data FILE` (test/models-gans.test.ts trains on them).
 */
import { nn } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import {
  DcganDiscriminatorTrunk, DcganGenerator, GENERATOR_LOSSES, latent, sampleUnconditional, unconditionalGanTraining, type GeneratorLoss,
} from './blocks/gan.js';
import { averagedCopy, deviceOf } from './blocks/train.js';
import type { GenerativeModel } from './protocol.js';
import { registerModel } from './registry.js';

export interface DcganConfig {
  zDim: number;
  /** Channels at 14x14 (twice as many at 7x7): 64 is docs/models.md's; 16 trains ~10x faster on a CPU. */
  width: number;
  generatorLoss: GeneratorLoss;
  /** Decay of the EMA of G's weights that sampling uses (0: none, sample G itself). */
  emaDecay: number;
  /** One-sided label smoothing of D's real targets (0: none; 0.1 aims real logits at 0.9). */
  labelSmoothing: number;
  /** D's learning rate as a multiple of G's (TTUR; 1: the same). */
  discriminatorLrScale: number;
  /** Spectral norm on D's layers instead of its batch norm. */
  spectralNorm: boolean;
  /** Weight γ of the R1 penalty on D at real images (0: none), applied lazily every 16 steps. */
  r1: number;
}

export class Dcgan extends nn.Module implements GenerativeModel {
  generator: DcganGenerator;
  discriminator: nn.Sequential;
  ema?: DcganGenerator;

  constructor(readonly config: DcganConfig, device?: DeviceName) {
    super();
    this.generator = new DcganGenerator(config.zDim, config.width, device);
    const trunk = new DcganDiscriminatorTrunk(1, config.width, device, config.spectralNorm);
    const head = new nn.Linear(trunk.features, 1, { device });
    this.discriminator = new nn.Sequential(trunk, config.spectralNorm ? nn.spectralNorm(head) : head);
    nn.dcganInit_(this);
    if (config.emaDecay > 0) this.ema = averagedCopy(this.generator, () => new DcganGenerator(config.zDim, config.width, device));
  }

  /** G(z) for fresh codes z ~ N(0, I). */
  generate(n: number): Tensor {
    return this.generator.forward(latent(n, this.config.zDim, deviceOf(this.generator)));
  }

  /** z ~ N(0, I) through G's EMA (or G) in eval mode (BN running statistics). */
  sample(n: number): Tensor {
    return sampleUnconditional(this, n);
  }
}

export const dcgan = registerModel({
  name: 'dcgan',
  description: 'DCGAN: convT generator 7->14->28 with BN + ReLU, strided-conv LeakyReLU discriminator, BCE',
  notes: 'notes 002 §3.1-3.2',
  dataRange: [-1, 1],
  fields: ['images'],
  config: { zDim: 100, width: 64, generatorLoss: 'non-saturating', emaDecay: 0.999, labelSmoothing: 0, discriminatorLrScale: 1, spectralNorm: false, r1: 0 } as DcganConfig,
  choices: { generatorLoss: GENERATOR_LOSSES },
  training: { batch: 64, lr: 2e-4, steps: 1500, sampleEvery: 250 },
  // Width 64 takes ~5 s a step without a GPU. Width 32 with G's EMA, 3,500 steps: 27 min on one
  // wasm thread beside another run (2-core machine, load 8, 2026-12-02), FID 69.6 against the
  // floor's 2.34 at N = 5,000; the earlier default (width 16, 1,000 steps, no EMA) scored 107.5.
  withoutGpu: { config: { width: 32 }, steps: 3500, sampleEvery: 500 },
  build: (config, device) => new Dcgan(config, device),
  train: (model, { lr }) => unconditionalGanTraining(model, lr),
});
