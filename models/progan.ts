/**
 * ProGAN, progressive growing of GANs (Karras et al. 2018; docs/models.md "GANs": progan; notes
 * 002 §3.3: first learn to draw small images, then add layers for the next resolution and train
 * again, up to the full size).
 *
 * Model: G maps a pixel-normed z by an equalised linear layer to 4w x 7x7 and a 3x3 conv, then per
 * stage a nearest 2x upsampling and two 3x3 convs (7 -> 14 -> 28, channels 4w, 2w, w), LeakyReLU
 * 0.2 and pixel norm after every conv (no batch norm), and a 1x1 toRGB per stage. D is the
 * progressive critic (models/blocks/progressive.ts): fromRGB per stage, convs 28 -> 14 -> 7, the
 * minibatch standard deviation channel, one score. Every layer has an equalised learning rate.
 * Growing: the run is split in three spans; in a new stage's first `fade` fraction its layers
 * fade in, image = α·new + (1 - α)·upsampled old (and D's input likewise), α rising 0 -> 1 with
 * the step context. The real images are 2x2-averaged to the stage's size and blended the same way.
 * Loss: WGAN-GP: D minimises E D(x̃) - E D(x) + λ E(‖∇D(x̂)‖ - 1)² + ε_drift E D(x)², G minimises
 * -E D(G(z)); one critic step per G step, Adam lr 1e-3, β (0, 0.99).
 * Sampling: z through G at the stage training reached (saved with the weights), upsampled to 28.
 */
import * as T from '../src/index.js';
import { nn, optim } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import {
  ProgressiveCritic, downsample2, equalConv, equalLinear, growthAt, lrelu, pixelNorm, upsample2, type Growth,
} from './blocks/progressive.js';
import { adversarialRound, deviceOf, evaluating, requireField } from './blocks/train.js';
import type { GenerativeModel, Training } from './protocol.js';
import { registerModel } from './registry.js';

export interface ProganConfig {
  zDim: number;
  /** Channels at 28x28 (2w at 14x14, 4w at 7x7), in G and D. */
  width: number;
  /** The share of each new stage's span over which it fades in. */
  fade: number;
  gpWeight: number;
  /** ε of the drift term ε E D(x)², which keeps the critic's scores near 0. */
  drift: number;
}

const STAGES = 3;

export class ProgressiveGenerator extends nn.Module {
  input: nn.Linear;
  first: nn.Conv2d;
  blocks: nn.ModuleList<nn.ModuleList<nn.Conv2d>>;
  toRgb: nn.ModuleList<nn.Conv2d>;

  constructor(zDim: number, readonly widths: readonly number[], device?: DeviceName) {
    super();
    const c0 = widths[0]!;
    // The official dense input layer's gain: √2 / 4 over a 4x4 (here 7x7) start.
    this.input = equalLinear(zDim, c0 * 49, { gain: Math.SQRT2 / 4, device });
    this.first = equalConv(c0, c0, 3, { device });
    this.blocks = new nn.ModuleList(widths.map((c, s) => new nn.ModuleList(
      s === 0 ? [] : [equalConv(widths[s - 1]!, c, 3, { device }), equalConv(c, c, 3, { device })],
    )));
    this.toRgb = new nn.ModuleList(widths.map((c) => equalConv(c, 1, 1, { gain: 1, device })));
  }

  /** Images [N, 1, 7·2^stage, 7·2^stage] from codes z [N, zDim]. */
  forward(z: Tensor, stage = this.widths.length - 1, alpha = 1): Tensor {
    const n = z.shape[0]!;
    const act = (t: Tensor) => pixelNorm(lrelu(t));
    let h = act(T.reshape(this.input.forward(pixelNorm(z, -1)), [n, this.widths[0]!, 7, 7]));
    h = act(this.first.forward(h));
    let previous = h;
    for (let s = 1; s <= stage; s++) {
      previous = h;
      const [a, b] = [...this.blocks.at(s)];
      h = act(b!.forward(act(a!.forward(upsample2(h)))));
    }
    const image = this.toRgb.at(stage).forward(h);
    if (stage === 0 || alpha >= 1) return image;
    return T.add(T.mul(image, alpha), T.mul(upsample2(this.toRgb.at(stage - 1).forward(previous)), 1 - alpha));
  }
}

export class Progan extends nn.Module implements GenerativeModel {
  generator: ProgressiveGenerator;
  critic: ProgressiveCritic;
  /** [stage, α] the training reached: saved with the weights, so samples come from the right stage. */
  progress!: Tensor;
  growth: Growth = { stage: 0, alpha: 1 };

  constructor(readonly config: ProganConfig, device?: DeviceName) {
    super();
    const w = config.width;
    const widths = [4 * w, 2 * w, w];
    this.generator = new ProgressiveGenerator(config.zDim, widths, device);
    this.critic = new ProgressiveCritic(widths, device);
    this.registerBuffer('progress', T.tensor([0, 1], { device }));
  }

  setGrowth(growth: Growth): void {
    this.growth = growth;
    T.tidy(() => void this.progress.assign_(T.tensor([growth.stage, growth.alpha], { device: this.progress.device })));
  }

  /** Reads the stage back from a loaded state (checkpoint files load on the host). */
  override loadStateDict(state: Record<string, Tensor>, opts?: { strict?: boolean }): { missingKeys: string[]; unexpectedKeys: string[] } {
    const result = super.loadStateDict(state, opts);
    const p = state.progress;
    if (p && p.device !== 'webgpu') {
      const [stage, alpha] = Array.from(p.dataSync());
      this.growth = { stage: stage!, alpha: alpha! };
    }
    return result;
  }

  /** z ~ N(0, I) through G at the reached stage, nearest-upsampled to 28x28 and clamped to [-1, 1]. */
  sample(n: number): Tensor {
    return evaluating(this.generator, () => {
      const { stage, alpha } = this.growth;
      let x = this.generator.forward(T.randn([n, this.config.zDim], { device: deviceOf(this.generator) }), stage, alpha);
      for (let s = stage; s < STAGES - 1; s++) x = upsample2(x);
      return T.clamp(x, -1, 1);
    });
  }
}

/** Real images at stage `stage`'s size, blended with the coarser stage's (upsampled) while it fades in. */
export function realsAt(images: Tensor, { stage, alpha }: Growth): Tensor {
  let x = images;
  for (let s = STAGES - 1; s > stage; s--) x = downsample2(x);
  if (stage === 0 || alpha >= 1) return x;
  return T.add(T.mul(x, alpha), T.mul(upsample2(downsample2(x)), 1 - alpha));
}

function proganTraining(model: Progan, lr: number): Training {
  const { generator: g, critic: d, config } = model;
  const adam = (m: nn.Module) => new optim.Adam(m.parameters(), { lr, betas: [0, 0.99] });
  const optD = adam(d);
  const optG = adam(g);
  return {
    optimizers: { d: optD, g: optG },
    step(batch, context) {
      const images = requireField(batch, 'images', 'progan');
      const growth = growthAt(context, STAGES, config.fade);
      model.setGrowth(growth);
      const { stage, alpha } = growth;
      return T.tidy(() => {
        const real = realsAt(images, growth);
        const fake = g.forward(T.randn([images.shape[0]!, config.zDim], { device: images.device }), stage, alpha);
        const critic = (x: Tensor) => d.forward(x, stage, alpha);
        return adversarialRound({
          critic: d, optD, optG,
          dLoss: () => {
            const r = critic(real);
            return T.add(T.sub(T.mean(critic(fake.detach())), T.mean(r)), T.mul(T.mean(T.square(r)), config.drift));
          },
          gLoss: () => T.neg(T.mean(critic(fake))),
          penalty: { kind: 'wgan-gp', weight: config.gpWeight, critic, real, fake: () => fake },
        }, context);
      });
    },
  };
}

export const progan = registerModel({
  name: 'progan',
  description: 'ProGAN: progressive growing 7->14->28 with fade-in, pixel norm, equalised lr, minibatch stddev, WGAN-GP',
  notes: 'notes 002 §3.3',
  dataRange: [-1, 1],
  fields: ['images'],
  config: { zDim: 128, width: 32, fade: 0.5, gpWeight: 10, drift: 1e-3 } as ProganConfig,
  training: { batch: 32, lr: 1e-3, steps: 6000, sampleEvery: 500 },
  withoutGpu: { config: { width: 8 }, steps: 1500, sampleEvery: 250 },
  build: (config, device) => new Progan(config, device),
  train: (model, { lr }) => proganTraining(model, lr),
});
