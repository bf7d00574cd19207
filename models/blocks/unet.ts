/**
 * The noise-predicting U-Net of DDPM (notes 002 §4 and notes 001 GANs §4: "the U-Net outputs a
 * noise map the size of its input"), after Ho et al.'s network at a small scale:
 * - a sinusoidal embedding of the step t (as a transformer's positions), through a two-layer MLP,
 *   added inside every residual block, so one network serves all T steps;
 * - residual blocks GroupNorm → SiLU → conv 3x3, twice, with the time embedding added between;
 * - one level per entry of `mults`, halved by a strided conv between levels (28 → 14 → 7), with
 *   self-attention over the positions of the lowest level and in the middle;
 * - the way up mirrors it, concatenating the skip of the same level, upsampled (nearest) to the
 *   skip's size, so odd sizes (7 → 4 → 7) work too.
 * An optional class embedding (with one extra row for "no class", the null label of classifier-free
 * guidance) is added to the time embedding: with a single class token, cross-attention reduces to
 * exactly such an added per-class vector. With a sequence of tokens (a caption's words, `contextDim`
 * wide) each attention block also cross-attends from every position to the tokens, as latent
 * diffusion's U-Net does (notes 001 GANs §5), and the tokens' mean joins the time embedding.
 */
import * as T from '../../src/index.js';
import { nn } from '../../src/index.js';
import type { DeviceName, Tensor } from '../../src/index.js';

export interface UNetConfig {
  /** Image channels in and out (1 for digits, 4 for the latent). */
  channels: number;
  /** Channels of the first level. */
  width: number;
  /** Width multiplier per level; one level per entry, halved in size between them. */
  mults: number[];
  /** GroupNorm groups (capped at the channel count). */
  groups: number;
  /** Attention heads at the lowest level (0: no attention). */
  heads: number;
  /** Class-conditional: the number of classes (the null class is one more); 0 for none. */
  classes?: number;
  /** Text-conditional: the width of the context tokens the attention blocks cross-attend to; 0 for none. */
  contextDim?: number;
}

/** [N] step indices → [N, dim]: sin(t·ω_k) and cos(t·ω_k), ω_k = 10000^(-k/(dim/2)). */
export function timestepEmbedding(t: Tensor, dim: number): Tensor {
  const half = dim / 2;
  const freqs = T.tensor(Float32Array.from({ length: half }, (_, k) => Math.exp((-Math.log(10000) * k) / half)), { shape: [1, half], device: t.device });
  const args = T.mul(T.unsqueeze(T.cast(t, 'float32'), 1), freqs);
  return T.cat([T.sin(args), T.cos(args)], 1);
}

const norm = (groups: number, c: number, device?: DeviceName) => new nn.GroupNorm(Math.min(groups, c), c, { device });
const conv3 = (a: number, b: number, device?: DeviceName, stride = 1) => new nn.Conv2d(a, b, 3, { padding: 1, stride, device });

/** GroupNorm → SiLU → conv, + time embedding, GroupNorm → SiLU → conv, + shortcut. */
export class ResBlock extends nn.Module {
  norm1: nn.GroupNorm;
  conv1: nn.Conv2d;
  time: nn.Linear;
  norm2: nn.GroupNorm;
  conv2: nn.Conv2d;
  shortcut: nn.Module;

  constructor(cin: number, cout: number, timeDim: number, groups: number, device?: DeviceName) {
    super();
    this.norm1 = norm(groups, cin, device);
    this.conv1 = conv3(cin, cout, device);
    this.time = new nn.Linear(timeDim, cout, { device });
    this.norm2 = norm(groups, cout, device);
    this.conv2 = conv3(cout, cout, device);
    this.shortcut = cin === cout ? new nn.Identity() : new nn.Conv2d(cin, cout, 1, { device });
  }

  forward(x: Tensor, emb: Tensor): Tensor {
    let h = this.conv1.forward(T.silu(this.norm1.forward(x)));
    h = T.add(h, T.unsqueeze(T.unsqueeze(this.time.forward(T.silu(emb)), -1), -1));
    h = this.conv2.forward(T.silu(this.norm2.forward(h)));
    return T.add(h, (this.shortcut as nn.Identity).forward(x));
  }
}

/**
 * Self-attention over the H·W positions, residual: x + Attn(GroupNorm(x)); with `contextDim`, then
 * cross-attention from each position to the context tokens [N, L, contextDim]: x + Attn(LN(x), c, c).
 */
export class AttentionBlock extends nn.Module {
  norm: nn.GroupNorm;
  attention: nn.MultiheadAttention;
  crossNorm: nn.LayerNorm | null;
  crossAttention: nn.MultiheadAttention | null;

  constructor(c: number, heads: number, groups: number, device?: DeviceName, contextDim = 0) {
    super();
    this.norm = norm(groups, c, device);
    this.attention = new nn.MultiheadAttention(c, heads, { batchFirst: true, device });
    this.crossNorm = contextDim > 0 ? new nn.LayerNorm(c, { device }) : null;
    this.crossAttention = contextDim > 0 ? new nn.MultiheadAttention(c, heads, { batchFirst: true, kdim: contextDim, vdim: contextDim, device }) : null;
  }

  forward(x: Tensor, context?: Tensor): Tensor {
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const seq = T.transpose(T.reshape(this.norm.forward(x), [n, c, h * w]), 1, 2);
    const [out] = this.attention.forward(seq, seq, seq, { needWeights: false });
    const y = T.add(x, T.reshape(T.transpose(out, 1, 2), [n, c, h, w]));
    if (!this.crossAttention || !context) return y;
    const rows = T.transpose(T.reshape(y, [n, c, h * w]), 1, 2);
    const [read] = this.crossAttention.forward(this.crossNorm!.forward(rows), context, context, { needWeights: false });
    return T.add(y, T.reshape(T.transpose(read, 1, 2), [n, c, h, w]));
  }
}

export class UNet extends nn.Module {
  timeMlp: nn.Sequential;
  classEmbedding: nn.Embedding | null;
  contextEmbedding: nn.Linear | null;
  input: nn.Conv2d;
  down: nn.ModuleList<ResBlock>;
  downsample: nn.ModuleList<nn.Conv2d>;
  attentionDown: AttentionBlock | null;
  middle: nn.ModuleList<ResBlock>;
  attentionMiddle: AttentionBlock | null;
  up: nn.ModuleList<ResBlock>;
  attentionUp: AttentionBlock | null;
  upconv: nn.ModuleList<nn.Conv2d>;
  outNorm: nn.GroupNorm;
  output: nn.Conv2d;

  constructor(readonly config: UNetConfig, device?: DeviceName) {
    super();
    const { channels, width, mults, groups, heads } = config;
    const timeDim = 4 * width;
    const widths = mults.map((m) => m * width);
    const last = widths[widths.length - 1]!;
    this.timeMlp = new nn.Sequential(new nn.Linear(width, timeDim, { device }), new nn.SiLU(), new nn.Linear(timeDim, timeDim, { device }));
    this.classEmbedding = config.classes ? new nn.Embedding(config.classes + 1, timeDim, { device }) : null;
    const contextDim = config.contextDim ?? 0;
    this.contextEmbedding = contextDim > 0 ? new nn.Linear(contextDim, timeDim, { device }) : null;
    this.input = conv3(channels, width, device);
    this.down = new nn.ModuleList(widths.map((c, i) => new ResBlock(i === 0 ? width : widths[i - 1]!, c, timeDim, groups, device)));
    this.downsample = new nn.ModuleList(widths.slice(0, -1).map((c) => conv3(c, c, device, 2)));
    const attention = () => (heads > 0 ? new AttentionBlock(last, heads, groups, device, contextDim) : null);
    this.attentionDown = attention();
    this.middle = new nn.ModuleList([new ResBlock(last, last, timeDim, groups, device), new ResBlock(last, last, timeDim, groups, device)]);
    this.attentionMiddle = attention();
    // Up, from the lowest level: input = what comes from below + the level's skip.
    this.up = new nn.ModuleList(widths.map((_, k) => {
      const i = widths.length - 1 - k;
      return new ResBlock((k === 0 ? last : widths[i + 1]!) + widths[i]!, widths[i]!, timeDim, groups, device);
    }).reverse());
    this.attentionUp = attention();
    this.upconv = new nn.ModuleList(widths.slice(1).map((c) => conv3(c, c, device)));
    this.outNorm = norm(groups, width, device);
    this.output = conv3(width, channels, device);
  }

  /**
   * ε_θ(x_t, t [, y] [, c]) [N, C, H, W] for step indices t (int32 [N]), labels y (int32 [N], the
   * null class = `classes`) and context tokens c [N, L, contextDim].
   */
  forward(x: Tensor, t: Tensor, labels?: Tensor, context?: Tensor): Tensor {
    let emb = this.timeMlp.forward(timestepEmbedding(t, this.config.width));
    if (this.classEmbedding && labels) emb = T.add(emb, this.classEmbedding.forward(labels));
    if (this.contextEmbedding && context) emb = T.add(emb, this.contextEmbedding.forward(T.mean(context, 1)));
    const levels = this.down.length;
    let h = this.input.forward(x);
    const skips: Tensor[] = [];
    for (let i = 0; i < levels; i++) {
      if (i > 0) h = this.downsample.at(i - 1).forward(h);
      h = this.down.at(i).forward(h, emb);
      if (i === levels - 1 && this.attentionDown) h = this.attentionDown.forward(h, context);
      skips.push(h);
    }
    h = this.middle.at(0).forward(h, emb);
    if (this.attentionMiddle) h = this.attentionMiddle.forward(h, context);
    h = this.middle.at(1).forward(h, emb);
    for (let i = levels - 1; i >= 0; i--) {
      const skip = skips[i]!;
      if (i < levels - 1) {
        h = T.interpolate(h, { size: [skip.shape[2]!, skip.shape[3]!], mode: 'nearest' });
        h = this.upconv.at(i).forward(h);
      }
      h = this.up.at(i).forward(T.cat([h, skip], 1), emb);
      if (i === levels - 1 && this.attentionUp) h = this.attentionUp.forward(h, context);
    }
    return this.output.forward(T.silu(this.outNorm.forward(h)));
  }
}
