/**
 * TransGAN (Jiang et al. 2021; docs/models.md "GANs": transgan; notes 002 §3.4: both networks are
 * transformer encoder blocks only, and the generator starts small and upsamples, because attention
 * over every pixel of a full-size image from the start would not fit in memory).
 *
 * Model: G maps z by a linear layer to 7x7 tokens of 4w features (+ learnt positions), runs
 * `depths[0]` pre-norm transformer blocks (multi-head self-attention, GELU MLP x4), then a
 * pixel shuffle to 14x14 tokens of w (+ positions, `depths[1]` blocks) and to 28x28 tokens of w/4
 * (`depths[2]` blocks), and a 1x1 projection with tanh to the image. Grid self-attention, which
 * TransGAN uses above 32x32, is not needed at 28x28. D is a ViT: 4x4 patches (7x7 tokens of
 * 4w), a class token, learnt positions, `criticDepth` blocks, a linear score of the class token.
 * Loss: WGAN-GP (λ = `gpWeight`, `criticSteps` critic steps per G step; layer norm only, so the
 * penalty's per-example gradients stay independent), Adam lr 1e-4, β (0, 0.99).
 * Sampling: z ~ N(0, I) through G.
 */
import * as T from '../src/index.js';
import { nn, optim } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { adversarialRound, deviceOf, evaluating, requireField } from './blocks/train.js';
import { TransformerBlock, VitEncoder, positions, toTokens } from './blocks/vit.js';
import type { GenerativeModel, Training } from './protocol.js';
import { registerModel } from './registry.js';

export interface TransganConfig {
  zDim: number;
  /** Token features at 14x14 (4w at 7x7, w/4 at 28x28, D's tokens 4w); a multiple of 4. */
  width: number;
  /** Transformer blocks at 7x7, 14x14 and 28x28 in G. */
  depths: number[];
  criticDepth: number;
  heads: number;
  gpWeight: number;
  criticSteps: number;
}

const toGrid = (x: Tensor, side: number) => T.reshape(T.transpose(x, 1, 2), [x.shape[0]!, x.shape[2]!, side, side]);

export class TransformerGenerator extends nn.Module {
  input: nn.Linear;
  pos7: nn.Parameter;
  pos14: nn.Parameter;
  pos28: nn.Parameter;
  stages: nn.ModuleList<nn.ModuleList<TransformerBlock>>;
  output: nn.Conv2d;

  constructor(readonly config: TransganConfig, device?: DeviceName) {
    super();
    if (!Number.isInteger(config.width / 4) || config.width <= 0) {
      throw new T.ArgumentError(`transgan: width must be a positive multiple of 4 (two pixel shuffles divide it by 4), got ${config.width}`);
    }
    const dims = [4, 1, 1 / 4].map((m) => m * config.width);
    this.input = new nn.Linear(config.zDim, 49 * dims[0]!, { device });
    [this.pos7, this.pos14, this.pos28] = dims.map((d, s) => positions(49 * 4 ** s, d, device)) as [nn.Parameter, nn.Parameter, nn.Parameter];
    this.stages = new nn.ModuleList(dims.map((d, s) => new nn.ModuleList(Array.from({ length: config.depths[s] ?? 0 }, () => new TransformerBlock(d, config.heads, device)))));
    this.output = new nn.Conv2d(dims[2]!, 1, 1, { device });
  }

  /** Images [N, 1, 28, 28] in [-1, 1] from codes z [N, zDim]. */
  forward(z: Tensor): Tensor {
    let x = T.reshape(this.input.forward(z), [z.shape[0]!, 49, -1]);
    for (let s = 0; s < 3; s++) {
      if (s > 0) x = toTokens(T.pixelShuffle(toGrid(x, 7 * 2 ** (s - 1)), 2));
      x = T.add(x, [this.pos7, this.pos14, this.pos28][s]!);
      for (const block of this.stages.at(s)) x = block.forward(x);
    }
    return T.tanh(this.output.forward(toGrid(x, 28)));
  }
}

/** The ViT critic: 4x4 patches, a class token, encoder blocks (models/blocks/vit.ts), a linear score of the class token. */
export class VitCritic extends VitEncoder {
  score: nn.Linear;

  constructor(dim: number, depth: number, heads: number, device?: DeviceName) {
    super(dim, depth, heads, device);
    this.score = new nn.Linear(dim, 1, { device });
  }

  override forward(x: Tensor): Tensor {
    return this.score.forward(super.forward(x));
  }
}

export class Transgan extends nn.Module implements GenerativeModel {
  generator: TransformerGenerator;
  critic: VitCritic;

  constructor(readonly config: TransganConfig, device?: DeviceName) {
    super();
    this.generator = new TransformerGenerator(config, device);
    this.critic = new VitCritic(4 * config.width, config.criticDepth, config.heads, device);
  }

  generate(n: number): Tensor {
    return this.generator.forward(T.randn([n, this.config.zDim], { device: deviceOf(this.generator) }));
  }

  sample(n: number): Tensor {
    return evaluating(this.generator, () => this.generate(n));
  }
}

function transganTraining(model: Transgan, lr: number): Training {
  const { generator: g, critic: d, config } = model;
  const optD = new optim.Adam(d.parameters(), { lr, betas: [0, 0.99] });
  const optG = new optim.Adam(g.parameters(), { lr, betas: [0, 0.99] });
  return {
    optimizers: { d: optD, g: optG },
    step(batch, context) {
      const real = requireField(batch, 'images', 'transgan');
      return T.tidy(() => {
        const fake = model.generate(real.shape[0]!);
        const critic = (x: Tensor) => d.forward(x);
        return adversarialRound({
          critic: d, optD, optG, criticSteps: config.criticSteps,
          dLoss: () => T.sub(T.mean(critic(fake.detach())), T.mean(critic(real))),
          gLoss: () => T.neg(T.mean(critic(fake))),
          penalty: { kind: 'wgan-gp', weight: config.gpWeight, critic, real, fake: () => fake },
        }, context);
      });
    },
  };
}

export const transgan = registerModel({
  name: 'transgan',
  description: 'TransGAN: transformer G with pixel-shuffle upsampling 7->14->28, ViT critic on 4x4 patches, WGAN-GP',
  notes: 'notes 002 §3.4',
  dataRange: [-1, 1],
  fields: ['images'],
  // Attention over 784 tokens would dominate a step: no block at 28x28 unless `depths` asks for one.
  config: { zDim: 64, width: 16, depths: [2, 2, 0], criticDepth: 2, heads: 4, gpWeight: 10, criticSteps: 2 } as TransganConfig,
  training: { batch: 32, lr: 1e-4, steps: 5000, sampleEvery: 500 },
  withoutGpu: { config: { depths: [2, 1, 0], criticSteps: 1 }, steps: 1500, sampleEvery: 250 },
  build: (config, device) => new Transgan(config, device),
  train: (model, { lr }) => transganTraining(model, lr),
});
