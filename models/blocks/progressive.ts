/**
 * The pieces ProGAN (Karras et al. 2018) introduced and StyleGAN kept (notes 002 §3.3):
 * - equalised learning rate: layers store N(0, 1) weights and scale them by gain / sqrt(fan-in) at
 *   run time (`nn.equalizedLr`), so Adam moves every layer at the same relative speed;
 * - pixel norm: each pixel's feature vector divided by its RMS, in place of batch norm in G;
 * - the minibatch standard deviation feature: D sees how varied the batch is, which penalises a
 *   generator that draws one image;
 * - the fade-in schedule of progressive growing, read from the step context;
 * - the progressive discriminator 28 -> 14 -> 7, with an input layer per stage, shared by `progan`
 *   and `stylegan` (which uses its last stage only).
 */
import * as T from '../../src/index.js';
import { nn } from '../../src/index.js';
import type { DeviceName, Tensor } from '../../src/index.js';
import type { StepContext } from '../protocol.js';

/** LeakyReLU 0.2, ProGAN's and StyleGAN's activation (its He gain √2 is in the equalised weights). */
export const lrelu = (x: Tensor): Tensor => T.leakyRelu(x, 0.2);

/** A Linear layer with equalised learning rate; `lrMultiplier` slows it further (StyleGAN's mapping net). */
export function equalLinear(inDim: number, outDim: number, opts: { gain?: number; lrMultiplier?: number; device?: DeviceName } = {}): nn.Linear {
  return nn.equalizedLr(new nn.Linear(inDim, outDim, { device: opts.device }), { gain: opts.gain, lrMultiplier: opts.lrMultiplier });
}

/** A k x k 'same' Conv2d with equalised learning rate. */
export function equalConv(inChannels: number, outChannels: number, k: number, opts: { gain?: number; device?: DeviceName } = {}): nn.Conv2d {
  return nn.equalizedLr(new nn.Conv2d(inChannels, outChannels, k, { padding: (k - 1) / 2, device: opts.device }), { gain: opts.gain });
}

/** x / sqrt(mean(x², channels) + ε): ProGAN's pixelwise feature normalisation (dim 1, or the last for codes). */
export function pixelNorm(x: Tensor, dim = 1): Tensor {
  return T.mul(x, T.rsqrt(T.add(T.mean(T.square(x), dim, true), 1e-8)));
}

/** The largest group size ≤ `max` dividing `n`: the statistic is taken over groups of this many images. */
export function stddevGroup(n: number, max = 4): number {
  let g = Math.min(max, n);
  while (n % g !== 0) g--;
  return g;
}

/**
 * x [N, C, H, W] -> [N, C + 1, H, W]: the extra channel is, for each group of `group` images, the
 * standard deviation over the group of every feature (population, + 1e-8 under the root),
 * averaged over features and positions, broadcast to the group's images.
 */
export function minibatchStddev(x: Tensor, maxGroup = 4): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const g = stddevGroup(n, maxGroup);
  const grouped = T.reshape(x, [g, n / g, c, h, w]);
  const centred = T.sub(grouped, T.mean(grouped, 0, true));
  const std = T.sqrt(T.add(T.mean(T.square(centred), 0), 1e-8));
  const perGroup = T.mean(T.reshape(std, [n / g, c * h * w]), 1);
  // Image i belongs to group i mod (n / g), as in the reference's reshape.
  const feature = T.expand(T.reshape(perGroup, [1, n / g, 1, 1, 1]), [g, n / g, 1, h, w]);
  return T.cat([x, T.reshape(feature, [n, 1, h, w])], 1);
}

/** Where progressive growing is: the stage (0 = the coarsest) and the fade-in weight α of its new layers. */
export interface Growth {
  stage: number;
  alpha: number;
}

/**
 * The run split evenly into `stages` spans; within every span but the first, the new layers fade in
 * linearly over its first `fade` fraction (α 0 -> 1), then train at α = 1.
 */
export function growthAt(context: StepContext, stages: number, fade = 0.5): Growth {
  const span = Math.max(1, context.totalSteps) / stages;
  const stage = Math.min(stages - 1, Math.floor(context.step / span));
  if (stage === 0) return { stage, alpha: 1 };
  const into = (context.step - stage * span) / (fade * span);
  return { stage, alpha: Math.min(1, into) };
}

/** Images of a coarser stage brought to the next one's size (nearest, as ProGAN) or back (2x2 mean). */
export const upsample2 = (x: Tensor): Tensor => T.interpolate(x, { scaleFactor: 2, mode: 'nearest' });
export const downsample2 = (x: Tensor): Tensor => T.avgPool2d(x, 2);

/**
 * The ProGAN critic for 7 * 2^s images: fromRGB 1x1 at the stage's resolution, blocks of two 3x3
 * convs halving the size (28 -> 14 -> 7), then the minibatch stddev channel, a 3x3 conv and two
 * linear layers to one score. While a stage fades in, its input is blended with the coarser
 * stage's fromRGB of the 2x2-mean image: α·new + (1 - α)·old.
 */
export class ProgressiveCritic extends nn.Module {
  fromRgb: nn.ModuleList<nn.Conv2d>;
  blocks: nn.ModuleList<nn.ModuleList<nn.Conv2d>>;
  headConv: nn.Conv2d;
  hidden: nn.Linear;
  score: nn.Linear;

  /** `widths[s]`: channels at stage s (7x7, 14x14, 28x28). */
  constructor(readonly widths: readonly number[], device?: DeviceName) {
    super();
    this.fromRgb = new nn.ModuleList(widths.map((c) => equalConv(1, c, 1, { device })));
    this.blocks = new nn.ModuleList(widths.map((c, s) => new nn.ModuleList(
      s === 0 ? [] : [equalConv(c, c, 3, { device }), equalConv(c, widths[s - 1]!, 3, { device })],
    )));
    const c0 = widths[0]!;
    this.headConv = equalConv(c0 + 1, c0, 3, { device });
    this.hidden = equalLinear(c0 * 49, c0, { device });
    this.score = equalLinear(c0, 1, { gain: 1, device });
  }

  private block(s: number, h: Tensor): Tensor {
    const [a, b] = [...this.blocks.at(s)];
    return downsample2(lrelu(b!.forward(lrelu(a!.forward(h)))));
  }

  /** Scores [N, 1] of images [N, 1, 7·2^stage, 7·2^stage]. */
  forward(x: Tensor, stage = this.widths.length - 1, alpha = 1): Tensor {
    const rgb = (s: number, img: Tensor) => lrelu(this.fromRgb.at(s).forward(img));
    let h = rgb(stage, x);
    for (let s = stage; s > 0; s--) {
      h = this.block(s, h);
      if (s === stage && alpha < 1) h = T.add(T.mul(h, alpha), T.mul(rgb(s - 1, downsample2(x)), 1 - alpha));
    }
    h = lrelu(this.headConv.forward(minibatchStddev(h)));
    return this.score.forward(lrelu(this.hidden.forward(T.flatten(h, 1))));
  }
}
