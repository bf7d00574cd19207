/**
 * GigaGAN, small (Kang et al. 2023, "Scaling up GANs for text-to-image synthesis"; docs/models.md
 * "Image-to-image and text-to-image GANs": gigagan; notes 003 Text to image: GigaGAN), on the
 * `captions` task (models/tasks).
 *
 * Model: the text encoder (blocks/text.ts) gives per-word features t_local and a caption code
 * t_global. The style network M maps [z, t_global] to a style w. The synthesis starts from a learnt
 * 7x7 constant and is built of adaptive convolutions: each holds a bank of K kernels, and per
 * image the kernel is Σ_k softmax(A_sel(w))_k · bank_k (adaptive kernel selection), then
 * modulated by A_mod(w) and demodulated as StyleGAN2's convolution (blocks/style.ts), all images
 * in one grouped conv. At 7x7 the features pass a self-attention block (image-image) and a
 * cross-attention block whose keys and values are t_local (image-text), both pre-norm residual;
 * then 2x bilinear up to 14 and 28, an adaptive conv at each, a 1x1 conv and tanh. D: a conv
 * trunk 28 -> 14 -> 7 without normalisation, pooled, conditioned by projection on t_global
 * (D(x, t) = ψ(f) + ⟨f, P t_global⟩), where the paper judges every scale of a pyramid.
 * Loss: hinge, plus the matching-aware term: real images with mismatched captions (one of digit,
 * thickness, slant changed) are fakes to D, `matchWeight`·E max(0, 1 + D(x, t̂)). As in gan-cls,
 * the text encoder trains with D and G reads its detached features. The paper's CLIP loss, its
 * multi-scale outputs and R1 are left out. Adam 2e-4 (β1 0.5).
 * Sampling: z ~ N(0, I) and the captions (the grid's: row r digit r mod 10, columns cycling
 * thin/thick x upright/slanted; or `sources.tokens`) through G in eval mode.
 */
import * as T from '../src/index.js';
import { nn } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { ganAdam, hingeDiscriminatorLoss, hingeGeneratorLoss, latent } from './blocks/gan.js';
import { upBilinear } from './blocks/style.js';
import { TextEncoder, captionsToDraw, mismatchedTokens } from './blocks/text.js';
import { adversarialRound, evaluating, requireField } from './blocks/train.js';
import type { GenerativeModel, SampleOptions, Training } from './protocol.js';
import { registerModel } from './registry.js';

export interface GigaganConfig {
  task: 'captions';
  zDim: number;
  embedDim: number;
  /** The GRU's state: t_global and each word of t_local. */
  textDim: number;
  wDim: number;
  /** Channels at 14 and 28 (twice as many at 7). */
  width: number;
  /** Kernels in each adaptive convolution's bank. */
  kernels: number;
  heads: number;
  matchWeight: number;
}

/** A conv whose kernel per image is a softmax-weighted sum of a bank of K kernels, modulated and demodulated by the style w. */
export class AdaptiveConv2d extends nn.Module {
  bank: nn.Parameter;
  select: nn.Linear;
  affine: nn.Linear;
  bias: nn.Parameter;
  private readonly scale: number;

  constructor(readonly inC: number, readonly outC: number, wDim: number, kernels: number, readonly k = 3, device?: DeviceName) {
    super();
    this.bank = nn.Parameter.create(() => T.randn([kernels, outC * inC * k * k], { device }));
    this.select = new nn.Linear(wDim, kernels, { device });
    this.affine = new nn.Linear(wDim, inC, { device });
    nn.init.constant_(this.affine.bias!, 1);
    this.bias = nn.Parameter.create(() => T.zeros([outC], { device }));
    this.scale = 1 / Math.sqrt(inC * k * k);
  }

  /** The selection weights [N, K]: softmax over the bank, per image. */
  selection(w: Tensor): Tensor {
    return T.softmax(this.select.forward(w), -1);
  }

  forward(x: Tensor, w: Tensor): Tensor {
    const [n, c, h, wd] = x.shape as [number, number, number, number];
    const { outC: o, k } = this;
    const kernel = T.reshape(T.matmul(this.selection(w), T.mul(this.bank, this.scale)), [n, o, c, k, k]);
    let wm = T.mul(kernel, T.reshape(this.affine.forward(w), [n, 1, c, 1, 1]));
    wm = T.mul(wm, T.rsqrt(T.add(T.sum(T.square(wm), [2, 3, 4], true), 1e-8)));
    const y = T.conv2d(T.reshape(x, [1, n * c, h, wd]), T.reshape(wm, [n * o, c, k, k]), null, { padding: (k - 1) / 2, groups: n });
    return T.add(T.reshape(y, [n, o, h, wd]), T.reshape(this.bias, [1, o, 1, 1]));
  }
}

/** x + MHA(LN(x), context) over the H·W positions of x [N, C, H, W]: self-attention without a context, cross-attention to context [N, L, kdim] with one. */
export class AttentionBlock extends nn.Module {
  norm: nn.LayerNorm;
  attention: nn.MultiheadAttention;

  constructor(channels: number, heads: number, kdim?: number, device?: DeviceName) {
    super();
    this.norm = new nn.LayerNorm(channels, { device });
    this.attention = new nn.MultiheadAttention(channels, heads, { batchFirst: true, kdim, vdim: kdim, device });
  }

  forward(x: Tensor, context?: Tensor): Tensor {
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const seq = T.permute(T.reshape(x, [n, c, h * w]), [0, 2, 1]);
    const q = this.norm.forward(seq);
    const [out] = this.attention.forward(q, context ?? q, context ?? q, { needWeights: false });
    return T.add(x, T.reshape(T.permute(out, [0, 2, 1]), [n, c, h, w]));
  }
}

export class GigaGenerator extends nn.Module {
  mapping: nn.Sequential;
  constant: nn.Parameter;
  conv7: AdaptiveConv2d;
  selfAttention: AttentionBlock;
  crossAttention: AttentionBlock;
  conv14: AdaptiveConv2d;
  conv28: AdaptiveConv2d;
  toImage: nn.Conv2d;

  constructor(c: GigaganConfig, device?: DeviceName) {
    super();
    const { zDim, textDim, wDim, width: w, kernels, heads } = c;
    this.mapping = new nn.Sequential(new nn.Linear(zDim + textDim, wDim, { device }), new nn.LeakyReLU(0.2), new nn.Linear(wDim, wDim, { device }), new nn.LeakyReLU(0.2));
    this.constant = nn.Parameter.create(() => T.randn([1, 2 * w, 7, 7], { device }));
    this.conv7 = new AdaptiveConv2d(2 * w, 2 * w, wDim, kernels, 3, device);
    this.selfAttention = new AttentionBlock(2 * w, heads, undefined, device);
    this.crossAttention = new AttentionBlock(2 * w, heads, textDim, device);
    this.conv14 = new AdaptiveConv2d(2 * w, w, wDim, kernels, 3, device);
    this.conv28 = new AdaptiveConv2d(w, w, wDim, kernels, 3, device);
    this.toImage = new nn.Conv2d(w, 1, 1, { device });
  }

  /** The style w = M(z, t_global) [N, wDim]. */
  style(z: Tensor, code: Tensor): Tensor {
    return this.mapping.forward(T.cat([z, code], 1));
  }

  /** Images [N, 1, 28, 28] in [-1, 1] from z [N, zDim], t_global [N, textDim] and t_local [N, L, textDim]. */
  forward(z: Tensor, code: Tensor, words: Tensor): Tensor {
    const n = z.shape[0]!;
    const w = this.style(z, code);
    const act = (t: Tensor) => T.leakyRelu(t, 0.2);
    let h = act(this.conv7.forward(T.expand(this.constant, [n, ...this.constant.shape.slice(1)]), w));
    h = this.crossAttention.forward(this.selfAttention.forward(h), words);
    h = act(this.conv14.forward(upBilinear(h), w));
    h = act(this.conv28.forward(upBilinear(h), w));
    return T.tanh(this.toImage.forward(h));
  }
}

/** D(x, t) = ψ(f) + ⟨f, P t_global⟩ with f the pooled features of a conv trunk 28 -> 14 -> 7. */
export class ProjectionTextDiscriminator extends nn.Module {
  trunk: nn.Sequential;
  score: nn.Linear;
  project: nn.Linear;

  constructor(width: number, textDim: number, device?: DeviceName) {
    super();
    this.trunk = new nn.Sequential(
      new nn.Conv2d(1, width, 4, { stride: 2, padding: 1, device }), new nn.LeakyReLU(0.2),
      new nn.Conv2d(width, 2 * width, 4, { stride: 2, padding: 1, device }), new nn.LeakyReLU(0.2),
      new nn.Conv2d(2 * width, 2 * width, 3, { padding: 1, device }), new nn.LeakyReLU(0.2),
    );
    this.score = new nn.Linear(2 * width, 1, { device });
    this.project = new nn.Linear(textDim, 2 * width, { bias: false, device });
  }

  /** Logits [N, 1] that images [N, 1, 28, 28] match caption codes [N, textDim]. */
  forward(images: Tensor, code: Tensor): Tensor {
    const f = T.mean(this.trunk.forward(images), [2, 3]);
    return T.add(this.score.forward(f), T.sum(T.mul(f, this.project.forward(code)), 1, true));
  }
}

export class Gigagan extends nn.Module implements GenerativeModel {
  text: TextEncoder;
  generator: GigaGenerator;
  discriminator: ProjectionTextDiscriminator;

  constructor(readonly config: GigaganConfig, device?: DeviceName) {
    super();
    this.text = new TextEncoder(config.embedDim, config.textDim, device);
    this.generator = new GigaGenerator(config, device);
    this.discriminator = new ProjectionTextDiscriminator(config.width, config.textDim, device);
  }

  /** G(z, t) for tokens int32 [N, 4] (fresh z by default). */
  generate(tokens: Tensor, z = latent(tokens.shape[0]!, this.config.zDim, tokens.device)): Tensor {
    const { words, code } = T.noGrad(() => this.text.forward(tokens));
    return this.generator.forward(z, code, words);
  }

  /** D's modules, the text encoder with them (D's loss trains it). */
  discriminatorPart(): nn.Module {
    return new nn.ModuleList([this.text, this.discriminator]);
  }

  sample(n: number, options: SampleOptions = {}): Tensor {
    return evaluating(this, () => this.generate(captionsToDraw(n, this.constantDevice(), options.sources)));
  }

  private constantDevice(): DeviceName {
    return this.generator.constant.device;
  }
}

function gigaganTraining(model: Gigagan, lr: number): Training {
  const d = model.discriminatorPart();
  const optD = ganAdam(d, lr);
  const optG = ganAdam(model.generator, lr);
  const judge = (images: Tensor, tokens: Tensor) => model.discriminator.forward(images, model.text.forward(tokens).code);
  return {
    optimizers: { d: optD, g: optG },
    step(batch, context) {
      const x = requireField(batch, 'images', 'gigagan');
      const tokens = requireField(batch, 'tokens', 'gigagan');
      return T.tidy(() => {
        const wrong = mismatchedTokens(tokens);
        const fake = model.generate(tokens);
        let mismatch: Tensor | undefined;
        const losses = adversarialRound({
          critic: d, optD, optG,
          dLoss: () => {
            const term = T.mean(T.relu(T.add(judge(x, wrong), 1)));
            mismatch = T.keep(term.detach());
            return T.add(hingeDiscriminatorLoss(judge(x, tokens), judge(fake.detach(), tokens)), T.mul(term, model.config.matchWeight));
          },
          gLoss: () => hingeGeneratorLoss(judge(fake, tokens)),
        }, context);
        // The matching-aware hinge term first: how well D reads the captions.
        return { mismatch: mismatch!, ...losses };
      });
    },
  };
}

export const gigagan = registerModel({
  name: 'gigagan',
  description: 'GigaGAN (small): style from [z, caption code], adaptive kernel selection over a bank + modulation, self- and cross-attention at 7x7, projection D; hinge + matching-aware loss; captions task',
  notes: 'notes 003 (text to image: GigaGAN)',
  dataRange: [-1, 1],
  fields: ['images', 'tokens'],
  task: (config) => config.task,
  config: { task: 'captions', zDim: 64, embedDim: 32, textDim: 64, wDim: 64, width: 32, kernels: 4, heads: 4, matchWeight: 1 } as GigaganConfig,
  choices: { task: ['captions'] },
  training: { batch: 32, lr: 2e-4, steps: 5000, sampleEvery: 500 },
  withoutGpu: { config: { width: 16 }, steps: 2000, sampleEvery: 500 },
  build: (config, device) => new Gigagan(config, device),
  train: (model, { lr }) => gigaganTraining(model, lr),
});
