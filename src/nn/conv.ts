/** 2-D convolution and transposed convolution layers (NCHW, OIHW weights as in PyTorch). */
import { conv2d, convTranspose2d, padSeparable, zeros, type PadMode } from '../ops/index.js';
import type { Pair } from '../ops/spatial.js';
import type { Tensor } from '../tensor.js';
import { ArgumentError } from '../errors.js';
import { defaultInit, type LayerOptions } from './linear.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

export interface Conv2dOptions extends LayerOptions {
  stride?: Pair;
  /** Zero padding per side ([vertical, horizontal]), or 'same' / 'valid'. */
  padding?: Pair | 'same' | 'valid';
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
  /** How the padding is filled (PyTorch's padding_mode). */
  paddingMode?: 'zeros' | PadMode;
}

function checkGroups(layer: string, inChannels: number, outChannels: number, groups: number): void {
  if (!Number.isInteger(groups) || groups <= 0 || inChannels % groups !== 0 || outChannels % groups !== 0) {
    throw new ArgumentError(`${layer}: groups (${groups}) must divide inChannels (${inChannels}) and outChannels (${outChannels})`);
  }
}

export class Conv2d extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number] | 'same' | 'valid';
  readonly dilation: [number, number];
  readonly groups: number;
  readonly paddingMode: 'zeros' | PadMode;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Pair, opts: Conv2dOptions = {}) {
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

export interface ConvTranspose2dOptions extends LayerOptions {
  stride?: Pair;
  padding?: Pair;
  outputPadding?: Pair;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
}

/** The gradient of a convolution as a layer (upsampling): weight [in, out / groups, kh, kw]. */
export class ConvTranspose2d extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly outputPadding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Pair, opts: ConvTranspose2dOptions = {}) {
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
