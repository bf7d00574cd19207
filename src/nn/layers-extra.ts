/**
 * Layers for the ops of src/ops/spatial-extra.ts, activations.ts and resample.ts, with PyTorch's
 * parameter names and default initialisation (Conv1d.weight [O, C / groups, k], PReLU.weight).
 */
import { ArgumentError } from '../errors.js';
import { conv1d, fold, full, padSeparable, pixelShuffle, pixelUnshuffle, prelu, unfold, zeros, type PadMode, type UnfoldOptions } from '../ops/index.js';
import type { Pair } from '../ops/spatial.js';
import type { Tensor } from '../tensor.js';
import { defaultInit, type LayerOptions } from './linear.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

/** Options of nn.Conv1d (torch.nn.Conv1d's, in camelCase); device and dtype place the weights. */
export interface Conv1dOptions extends LayerOptions {
  /** Step between windows (default 1). */
  stride?: number;
  /** Padding on both ends, or 'same' / 'valid'. */
  padding?: number | 'same' | 'valid';
  /** Spacing between kernel taps (default 1). */
  dilation?: number;
  /** Channel groups convolved separately; must divide both channel counts (default 1). */
  groups?: number;
  /** Add a learned bias per output channel (default true). */
  bias?: boolean;
  /** How the padding is filled (PyTorch's padding_mode). */
  paddingMode?: 'zeros' | PadMode;
}

/** 1-D convolution over [N, C, L]. @torch torch.nn.Conv1d */
export class Conv1d extends Module {
  /** [outChannels, inChannels / groups, kernelSize], PyTorch's default init. */
  weight: Parameter;
  /** [outChannels], or null when built with `bias: false`. */
  bias: Parameter | null;
  /** Step between windows. */
  readonly stride: number;
  /** Padding on both ends, or 'same' / 'valid'. */
  readonly padding: number | 'same' | 'valid';
  /** Spacing between kernel taps. */
  readonly dilation: number;
  /** Channel groups convolved separately. */
  readonly groups: number;
  /** How the padding is filled. */
  readonly paddingMode: 'zeros' | PadMode;

  /**
   * @param inChannels C of the input [N, C, L].
   * @param outChannels Channels of the output.
   * @param kernelSize Taps of the kernel.
   * @param opts Stride, padding, dilation, groups, bias, paddingMode, device, dtype.
   * Throws ArgumentError when groups does not divide both channel counts.
   */
  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: number, opts: Conv1dOptions = {}) {
    super();
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    this.dilation = opts.dilation ?? 1;
    this.groups = opts.groups ?? 1;
    this.paddingMode = opts.paddingMode ?? 'zeros';
    if (!Number.isInteger(this.groups) || this.groups <= 0 || inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new ArgumentError(`Conv1d: groups (${this.groups}) must divide inChannels (${inChannels}) and outChannels (${outChannels})`);
    }
    if (this.paddingMode !== 'zeros' && typeof this.padding === 'string') {
      throw new ArgumentError(`Conv1d: paddingMode '${this.paddingMode}' needs numeric padding, got '${this.padding}'`);
    }
    const place = { device: opts.device, dtype: opts.dtype };
    this.weight = Parameter.create(() => zeros([outChannels, inChannels / this.groups, kernelSize], place));
    this.bias = opts.bias === false ? null : Parameter.create(() => zeros([outChannels], place));
    defaultInit(this.weight, this.bias, (inChannels / this.groups) * kernelSize);
  }

  /** x [N, inChannels, L] → [N, outChannels, L'] (L' from stride, padding and dilation, as PyTorch). */
  forward(x: Tensor): Tensor {
    const conv = { stride: this.stride, dilation: this.dilation, groups: this.groups };
    if (this.paddingMode === 'zeros') return conv1d(x, this.weight, this.bias, { ...conv, padding: this.padding });
    const p = this.padding as number;
    return conv1d(padSeparable(x, [p, p], this.paddingMode), this.weight, this.bias, conv);
  }

  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=${this.kernelSize}, stride=${this.stride}, padding=${JSON.stringify(this.padding)}` +
      (this.groups !== 1 ? `, groups=${this.groups}` : '') + (this.bias ? '' : ', bias=false');
  }
}

/** max(0, x) + a min(0, x) with a learned slope a, shared (numParameters 1) or per channel. @torch torch.nn.PReLU */
export class PReLU extends Module {
  /** [numParameters]: the negative slopes. */
  weight: Parameter;

  /**
   * @param numParameters 1 (one slope for every channel) or the channel count C of the input.
   * @param init The slopes' initial value (default 0.25, as PyTorch).
   * @param opts Device and dtype of the weight.
   */
  constructor(readonly numParameters = 1, init = 0.25, opts: LayerOptions = {}) {
    super();
    if (!Number.isInteger(numParameters) || numParameters <= 0) throw new ArgumentError(`PReLU: numParameters must be a positive integer, got ${numParameters}`);
    this.weight = Parameter.create(() => full([numParameters], init, { device: opts.device, dtype: opts.dtype }));
  }

  /** x [N, C, ...] (or any shape with one slope) → the same shape. */
  forward(x: Tensor): Tensor {
    return prelu(x, this.weight);
  }

  override extraRepr(): string {
    return `numParameters=${this.numParameters}`;
  }
}

/** Sliding blocks of [N, C, H, W] as columns [N, C * kh * kw, L]. @torch torch.nn.Unfold */
export class Unfold extends Module {
  /**
   * @param kernelSize Block height and width (one number for both).
   * @param opts Dilation, padding and stride of the blocks.
   */
  constructor(readonly kernelSize: Pair, readonly opts: UnfoldOptions = {}) {
    super();
  }

  /** x [N, C, H, W] → [N, C·kh·kw, L], one column per block position. */
  forward(x: Tensor): Tensor {
    return unfold(x, this.kernelSize, this.opts);
  }
}

/** Columns [N, C * kh * kw, L] summed back into [N, C, H, W]. @torch torch.nn.Fold */
export class Fold extends Module {
  /**
   * @param outputSize The image's height and width [H, W].
   * @param kernelSize Block height and width (one number for both).
   * @param opts Dilation, padding and stride of the blocks, as the Unfold that made the columns.
   */
  constructor(readonly outputSize: Pair, readonly kernelSize: Pair, readonly opts: UnfoldOptions = {}) {
    super();
  }

  /** Columns [N, C·kh·kw, L] → [N, C, H, W], overlapping blocks summed. */
  forward(x: Tensor): Tensor {
    return fold(x, this.outputSize, this.kernelSize, this.opts);
  }
}

/** [N, C r^2, H, W] -> [N, C, H r, W r]. @torch torch.nn.PixelShuffle */
export class PixelShuffle extends Module {
  /** @param upscaleFactor r: H and W grow r times, channels shrink r² times. */
  constructor(readonly upscaleFactor: number) {
    super();
  }

  /** x [N, C·r², H, W] → [N, C, H·r, W·r]. */
  forward(x: Tensor): Tensor {
    return pixelShuffle(x, this.upscaleFactor);
  }
}

/** [N, C, H r, W r] -> [N, C r^2, H, W]. @torch torch.nn.PixelUnshuffle */
export class PixelUnshuffle extends Module {
  /** @param downscaleFactor r: H and W shrink r times (they must be multiples of r), channels grow r² times. */
  constructor(readonly downscaleFactor: number) {
    super();
  }

  /** x [N, C, H·r, W·r] → [N, C·r², H, W]. */
  forward(x: Tensor): Tensor {
    return pixelUnshuffle(x, this.downscaleFactor);
  }
}
