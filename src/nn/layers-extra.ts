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

export interface Conv1dOptions extends LayerOptions {
  stride?: number;
  /** Padding on both ends, or 'same' / 'valid'. */
  padding?: number | 'same' | 'valid';
  dilation?: number;
  groups?: number;
  bias?: boolean;
  /** How the padding is filled (PyTorch's padding_mode). */
  paddingMode?: 'zeros' | PadMode;
}

/** 1-D convolution over [N, C, L]. @torch torch.nn.Conv1d */
export class Conv1d extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly stride: number;
  readonly padding: number | 'same' | 'valid';
  readonly dilation: number;
  readonly groups: number;
  readonly paddingMode: 'zeros' | PadMode;

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
  weight: Parameter;

  constructor(readonly numParameters = 1, init = 0.25, opts: LayerOptions = {}) {
    super();
    if (!Number.isInteger(numParameters) || numParameters <= 0) throw new ArgumentError(`PReLU: numParameters must be a positive integer, got ${numParameters}`);
    this.weight = Parameter.create(() => full([numParameters], init, { device: opts.device, dtype: opts.dtype }));
  }

  forward(x: Tensor): Tensor {
    return prelu(x, this.weight);
  }

  override extraRepr(): string {
    return `numParameters=${this.numParameters}`;
  }
}

/** Sliding blocks of [N, C, H, W] as columns [N, C * kh * kw, L]. @torch torch.nn.Unfold */
export class Unfold extends Module {
  constructor(readonly kernelSize: Pair, readonly opts: UnfoldOptions = {}) {
    super();
  }

  forward(x: Tensor): Tensor {
    return unfold(x, this.kernelSize, this.opts);
  }
}

/** Columns [N, C * kh * kw, L] summed back into [N, C, H, W]. @torch torch.nn.Fold */
export class Fold extends Module {
  constructor(readonly outputSize: Pair, readonly kernelSize: Pair, readonly opts: UnfoldOptions = {}) {
    super();
  }

  forward(x: Tensor): Tensor {
    return fold(x, this.outputSize, this.kernelSize, this.opts);
  }
}

/** [N, C r^2, H, W] -> [N, C, H r, W r]. @torch torch.nn.PixelShuffle */
export class PixelShuffle extends Module {
  constructor(readonly upscaleFactor: number) {
    super();
  }

  forward(x: Tensor): Tensor {
    return pixelShuffle(x, this.upscaleFactor);
  }
}

/** [N, C, H r, W r] -> [N, C r^2, H, W]. @torch torch.nn.PixelUnshuffle */
export class PixelUnshuffle extends Module {
  constructor(readonly downscaleFactor: number) {
    super();
  }

  forward(x: Tensor): Tensor {
    return pixelUnshuffle(x, this.downscaleFactor);
  }
}
