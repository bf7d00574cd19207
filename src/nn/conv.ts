/** 2-D convolution and transposed convolution layers (NCHW, OIHW weights as in PyTorch). */
import { conv2d, convTranspose2d, padSeparable, zeros, type PadMode } from '../ops/index.js';
import type { Pair } from '../ops/spatial.js';
import type { Tensor } from '../tensor.js';
import { ArgumentError } from '../errors.js';
import { defaultInit, type LayerOptions } from './linear.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/**
 * Options of `Conv2d`, as `torch.nn.Conv2d`'s keyword arguments in camelCase (a number or a
 * [vertical, horizontal] pair where PyTorch takes either).
 */
export interface Conv2dOptions extends LayerOptions {
  /** Step of the window (default 1). */
  stride?: Pair;
  /** Zero padding per side ([vertical, horizontal]), or 'same' / 'valid'. */
  padding?: Pair | 'same' | 'valid';
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /**
   * Split channels into this many independent groups (default 1; `inChannels` for depthwise); must
   * divide both channel counts.
   */
  groups?: number;
  /** Add a learned bias per output channel (default true). */
  bias?: boolean;
  /** How the padding is filled (PyTorch's padding_mode). */
  paddingMode?: 'zeros' | PadMode;
}

function checkGroups(layer: string, inChannels: number, outChannels: number, groups: number): void {
  if (!Number.isInteger(groups) || groups <= 0 || inChannels % groups !== 0 || outChannels % groups !== 0) {
    throw new ArgumentError(`${layer}: groups (${groups}) must divide inChannels (${inChannels}) and outChannels (${outChannels})`);
  }
}

/**
 * A 2-D convolution (cross-correlation) over NCHW input, as `torch.nn.Conv2d(in, out, kernel_size,
 * stride, padding, dilation, groups, bias, padding_mode)`: [N, in, H, W] -> [N, out, H', W'],
 * weights initialised as PyTorch does. Throws `ArgumentError` when `groups` does not divide the
 * channels.
 */
export class Conv2d extends Module {
  /** The kernel, shape [outChannels, inChannels / groups, kh, kw]. */
  weight: Parameter;
  /** The bias, shape [outChannels]; null with `bias: false`. */
  bias: Parameter | null;
  /** Kernel height and width. */
  readonly kernelSize: [number, number];
  /** Vertical and horizontal stride. */
  readonly stride: [number, number];
  /** Padding per side, or 'same' / 'valid'. */
  readonly padding: [number, number] | 'same' | 'valid';
  /** Vertical and horizontal dilation. */
  readonly dilation: [number, number];
  /** The number of channel groups. */
  readonly groups: number;
  /** How the padding is filled: 'zeros', 'reflect', 'replicate' or 'circular'. */
  readonly paddingMode: 'zeros' | PadMode;

  constructor(/** Channels of the input. */ readonly inChannels: number, /** Channels of the output. */ readonly outChannels: number, kernelSize: Pair, opts: Conv2dOptions = {}) {
    super();
    this.kernelSize = pair(kernelSize);
    this.stride = pair(opts.stride ?? 1);
    this.padding = typeof opts.padding === 'string' ? opts.padding : pair(opts.padding ?? 0);
    this.dilation = pair(opts.dilation ?? 1);
    this.groups = opts.groups ?? 1;
    this.paddingMode = opts.paddingMode ?? 'zeros';
    checkGroups('Conv2d', inChannels, outChannels, this.groups);
    if (this.paddingMode !== 'zeros' && typeof this.padding === 'string') {
      throw new ArgumentError(`Conv2d: paddingMode '${this.paddingMode}' needs numeric padding, got '${this.padding}'`);
    }
    const place = { device: opts.device, dtype: opts.dtype };
    const [kh, kw] = this.kernelSize;
    this.weight = Parameter.create(() => zeros([outChannels, inChannels / this.groups, kh, kw], place));
    this.bias = opts.bias === false ? null : Parameter.create(() => zeros([outChannels], place));
    defaultInit(this.weight, this.bias, (inChannels / this.groups) * kh * kw);
  }

  /**
   * Convolve a [N, inChannels, H, W] batch. Throws `ShapeError` for another channel count or rank.
   */
  forward(x: Tensor): Tensor {
    const conv = { stride: this.stride, dilation: this.dilation, groups: this.groups };
    if (this.paddingMode === 'zeros') return conv2d(x, this.weight, this.bias, { ...conv, padding: this.padding });
    const [ph, pw] = this.padding as [number, number];
    return conv2d(padSeparable(x, [pw, pw, ph, ph], this.paddingMode), this.weight, this.bias, { ...conv, padding: 0 });
  }

  override extraRepr(): string {
    const padding = typeof this.padding === 'string' ? `'${this.padding}'` : `[${this.padding.join(', ')}]`;
    return `${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize.join(', ')}], stride=[${this.stride.join(', ')}], padding=${padding}` +
      (this.groups !== 1 ? `, groups=${this.groups}` : '') + (this.bias ? '' : ', bias=false') + (this.paddingMode !== 'zeros' ? `, paddingMode='${this.paddingMode}'` : '');
  }
}

/** Options of `ConvTranspose2d`, as `torch.nn.ConvTranspose2d`'s in camelCase. */
export interface ConvTranspose2dOptions extends LayerOptions {
  /** Upsampling factor (default 1). */
  stride?: Pair;
  /** Removed from each side of the output (default 0), as in PyTorch. */
  padding?: Pair;
  /**
   * Extra rows and columns on the bottom and right of the output (default 0), to pick one of the
   * sizes a strided input could come from.
   */
  outputPadding?: Pair;
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /** Independent channel groups (default 1). */
  groups?: number;
  /** Add a learned bias per output channel (default true). */
  bias?: boolean;
}

/** The gradient of a convolution as a layer (upsampling): weight [in, out / groups, kh, kw]. */
export class ConvTranspose2d extends Module {
  /** The kernel, shape [inChannels, outChannels / groups, kh, kw] (PyTorch's layout). */
  weight: Parameter;
  /** The bias, shape [outChannels]; null with `bias: false`. */
  bias: Parameter | null;
  /** Kernel height and width. */
  readonly kernelSize: [number, number];
  /** Vertical and horizontal stride. */
  readonly stride: [number, number];
  /** Padding removed per side. */
  readonly padding: [number, number];
  /** Extra output size at the bottom and right. */
  readonly outputPadding: [number, number];
  /** Vertical and horizontal dilation. */
  readonly dilation: [number, number];
  /** The number of channel groups. */
  readonly groups: number;

  constructor(/** Channels of the input. */ readonly inChannels: number, /** Channels of the output. */ readonly outChannels: number, kernelSize: Pair, opts: ConvTranspose2dOptions = {}) {
    super();
    this.kernelSize = pair(kernelSize);
    this.stride = pair(opts.stride ?? 1);
    this.padding = pair(opts.padding ?? 0);
    this.outputPadding = pair(opts.outputPadding ?? 0);
    this.dilation = pair(opts.dilation ?? 1);
    this.groups = opts.groups ?? 1;
    checkGroups('ConvTranspose2d', inChannels, outChannels, this.groups);
    const place = { device: opts.device, dtype: opts.dtype };
    const [kh, kw] = this.kernelSize;
    this.weight = Parameter.create(() => zeros([inChannels, outChannels / this.groups, kh, kw], place));
    this.bias = opts.bias === false ? null : Parameter.create(() => zeros([outChannels], place));
    // PyTorch computes the fan from the weight as stored ([in, out / groups, ...]): fanIn = out / groups * kh * kw.
    defaultInit(this.weight, this.bias, (outChannels / this.groups) * kh * kw);
  }

  /**
   * The transposed convolution of a [N, inChannels, H, W] batch: (H - 1) * stride - 2 * padding +
   * dilation * (kh - 1) + outputPadding + 1 rows out.
   */
  forward(x: Tensor): Tensor {
    return convTranspose2d(x, this.weight, this.bias, {
      stride: this.stride, padding: this.padding, outputPadding: this.outputPadding, dilation: this.dilation, groups: this.groups,
    });
  }

  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize.join(', ')}], stride=[${this.stride.join(', ')}], padding=[${this.padding.join(', ')}]` +
      (this.outputPadding.some((p) => p !== 0) ? `, outputPadding=[${this.outputPadding.join(', ')}]` : '') +
      (this.groups !== 1 ? `, groups=${this.groups}` : '') + (this.bias ? '' : ', bias=false');
  }
}
