/**
 * Layers for src/ops/conv3d.ts, norm-local.ts and random-dist.ts, with PyTorch's parameter names
 * and default initialisation (Conv3d.weight [O, C / groups, kD, kH, kW], Conv3d.bias [O]).
 */
import { ArgumentError } from '../errors.js';
import { alphaDropout, conv3d, localResponseNorm, zeros, type Conv3dOptions as Conv3dOpOptions, type Triple } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { defaultInit, type LayerOptions } from './linear.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

/** Options of nn.Conv3d: conv3d's stride, padding, dilation and groups, plus bias, device and dtype. */
export interface Conv3dOptions extends LayerOptions, Conv3dOpOptions {
  /** Add a learned bias per output channel (default true). */
  bias?: boolean;
}

/** 3-D convolution over [N, C, D, H, W]. @torch torch.nn.Conv3d */
export class Conv3d extends Module {
  /** [outChannels, inChannels / groups, kD, kH, kW], PyTorch's default init. */
  weight: Parameter;
  /** [outChannels], or null when built with `bias: false`. */
  bias: Parameter | null;
  /** [kD, kH, kW]. */
  readonly kernelSize: [number, number, number];
  private readonly conv: Conv3dOpOptions;

  /**
   * @param inChannels C of the input [N, C, D, H, W].
   * @param outChannels Channels of the output.
   * @param kernelSize The kernel's depth, height and width (one number for all three).
   * @param opts Stride, padding, dilation, groups, bias, device, dtype. Throws ArgumentError
   *   when groups does not divide both channel counts or a kernel size is not a positive integer.
   */
  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Triple, opts: Conv3dOptions = {}) {
    super();
    const groups = opts.groups ?? 1;
    if (!Number.isInteger(groups) || groups <= 0 || inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new ArgumentError(`Conv3d: groups (${groups}) must divide inChannels (${inChannels}) and outChannels (${outChannels})`);
    }
    this.kernelSize = typeof kernelSize === 'number' ? [kernelSize, kernelSize, kernelSize] : [...kernelSize];
    if (this.kernelSize.some((k) => !Number.isInteger(k) || k < 1)) throw new ArgumentError(`Conv3d: kernelSize must be positive integers, got ${JSON.stringify(kernelSize)}`);
    this.conv = { stride: opts.stride ?? 1, padding: opts.padding ?? 0, dilation: opts.dilation ?? 1, groups };
    const place = { device: opts.device, dtype: opts.dtype };
    this.weight = Parameter.create(() => zeros([outChannels, inChannels / groups, ...this.kernelSize], place));
    this.bias = opts.bias === false ? null : Parameter.create(() => zeros([outChannels], place));
    defaultInit(this.weight, this.bias, (inChannels / groups) * this.kernelSize.reduce((a, b) => a * b, 1));
  }

  /** x [N, inChannels, D, H, W] → [N, outChannels, D', H', W']. */
  forward(x: Tensor): Tensor {
    return conv3d(x, this.weight, this.bias, this.conv);
  }

  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=${JSON.stringify(this.kernelSize)}, stride=${JSON.stringify(this.conv.stride)}, padding=${JSON.stringify(this.conv.padding)}` +
      (this.conv.groups !== 1 ? `, groups=${this.conv.groups}` : '') + (this.bias ? '' : ', bias=false');
  }
}

/** Cross-channel local response normalization. @torch torch.nn.LocalResponseNorm */
export class LocalResponseNorm extends Module {
  /**
   * @param size Channels in each neighbourhood (a positive integer).
   * @param alpha Scale of the neighbourhood's mean square (default 1e-4).
   * @param beta Exponent of the divisor (default 0.75).
   * @param k Constant added to the divisor's base (default 1).
   */
  constructor(readonly size: number, readonly alpha = 1e-4, readonly beta = 0.75, readonly k = 1) {
    super();
    if (!Number.isInteger(size) || size < 1) throw new ArgumentError(`LocalResponseNorm: size must be a positive integer, got ${size}`);
  }

  /** x [N, C, ...] divided by (k + α · mean of x² over `size` neighbouring channels)^β; same shape. */
  forward(x: Tensor): Tensor {
    return localResponseNorm(x, this.size, this.alpha, this.beta, this.k);
  }

  override extraRepr(): string {
    return `${this.size}, alpha=${this.alpha}, beta=${this.beta}, k=${this.k}`;
  }
}

/** Alpha dropout for SELU networks in training; the identity in eval. @torch torch.nn.AlphaDropout */
export class AlphaDropout extends Module {
  /** @param p Probability of dropping an element, in [0, 1] (default 0.5). */
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new ArgumentError(`AlphaDropout: p must be in [0, 1], got ${p}`);
  }

  /** In training, x with elements dropped to SELU's saturation value and mean and variance kept; x itself in eval. */
  forward(x: Tensor): Tensor {
    return alphaDropout(x, this.p, this.training);
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
