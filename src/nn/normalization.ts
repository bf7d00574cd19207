/** Normalisation layers: batch (1-D and 2-D), layer, group and instance norm, with PyTorch's parameters and buffers. */
import { ShapeError, fmtShape } from '../errors.js';
import { noGrad } from '../autograd.js';
import { tidy } from '../memory.js';
import { add, batchNorm, full, groupNorm, instanceNorm, layerNorm, ones, zeros } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import type { LayerOptions } from './linear.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

/** Options of the batch-norm layers, as `torch.nn.BatchNorm2d`'s in camelCase. */
export interface BatchNormOptions extends LayerOptions {
  /** Added to the variance before its square root (default 1e-5). */
  eps?: number;
  /** running = (1 - momentum) * running + momentum * batch statistic. */
  momentum?: number;
  /** Learn a per-channel scale and shift (default true). */
  affine?: boolean;
  /** Keep running statistics for evaluation (else batch statistics are used in eval too). */
  trackRunningStats?: boolean;
}

abstract class BatchNormBase extends Module {
  /** The per-channel scale, starting at 1; null without affine. */
  weight: Parameter | null;
  /** The per-channel shift, starting at 0; null without affine. */
  bias: Parameter | null;
  declare runningMean: Tensor | null;
  declare runningVar: Tensor | null;
  declare numBatchesTracked: Tensor | null;
  /** Added to the variance before its square root. */
  readonly eps: number;
  /** The weight of each batch in the running statistics (default 0.1). */
  readonly momentum: number;
  protected abstract readonly inputRanks: readonly number[];

  constructor(/** The number of channels C. */ readonly numFeatures: number, opts: BatchNormOptions = {}) {
    super();
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    const place = { device: opts.device, dtype: opts.dtype };
    const affine = opts.affine ?? true;
    this.weight = affine ? Parameter.create(() => ones([numFeatures], place)) : null;
    this.bias = affine ? Parameter.create(() => zeros([numFeatures], place)) : null;
    const track = opts.trackRunningStats ?? true;
    this.registerBuffer('runningMean', track ? zeros([numFeatures], place) : null);
    this.registerBuffer('runningVar', track ? ones([numFeatures], place) : null);
    this.registerBuffer('numBatchesTracked', track ? full([], 0, { dtype: 'int32', device: opts.device }) : null);
  }

  /**
   * Normalise per channel (axis 1) with the batch's statistics in training (updating the running
   * ones) and the running ones in eval. Throws `ShapeError` for another rank or channel count.
   */
  forward(x: Tensor): Tensor {
    if (!this.inputRanks.includes(x.shape.length) || x.shape[1] !== this.numFeatures) {
      throw new ShapeError(`${this.constructor.name}(${this.numFeatures}): expected input of rank ${this.inputRanks.join(' or ')} with ${this.numFeatures} channels on axis 1, got ${fmtShape(x.shape)}`);
    }
    if (this.training && this.numBatchesTracked) {
      const counter = this.numBatchesTracked;
      noGrad(() => tidy(() => void counter.assign_(add(counter, 1))));
    }
    // Batch statistics in training, and in eval when no running statistics are kept.
    const useBatch = this.training || !this.runningMean;
    return batchNorm(x, this.runningMean, this.runningVar, this.weight, this.bias, { training: useBatch, momentum: this.momentum, eps: this.eps });
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.weight !== null}, trackRunningStats=${this.runningMean !== null}`;
  }
}

/** Batch norm over [N, C] or [N, C, L]. */
export class BatchNorm1d extends BatchNormBase {
  protected readonly inputRanks = [2, 3];
}

/** Batch norm over [N, C, H, W]. */
export class BatchNorm2d extends BatchNormBase {
  protected readonly inputRanks = [4];
}

/**
 * Normalises over the last dimensions (`normalizedShape`) of each sample, with a learned
 * elementwise scale and shift, as `torch.nn.LayerNorm(normalized_shape, eps, elementwise_affine,
 * bias)`.
 */
export class LayerNorm extends Module {
  /** The scale, shape `normalizedShape`, starting at 1; null without affine. */
  weight: Parameter | null;
  /**
   * The shift, shape `normalizedShape`, starting at 0; null without affine or with `bias: false`.
   */
  bias: Parameter | null;
  /** The trailing dimensions normalised over. */
  readonly normalizedShape: number[];
  /** Added to the variance before its square root (default 1e-5). */
  readonly eps: number;

  constructor(normalizedShape: number | readonly number[], opts: LayerOptions & { eps?: number; elementwiseAffine?: boolean; bias?: boolean } = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.eps = opts.eps ?? 1e-5;
    const place = { device: opts.device, dtype: opts.dtype };
    const affine = opts.elementwiseAffine ?? true;
    this.weight = affine ? Parameter.create(() => ones(this.normalizedShape, place)) : null;
    this.bias = affine && opts.bias !== false ? Parameter.create(() => zeros(this.normalizedShape, place)) : null;
  }

  /**
   * Normalise each sample over its trailing `normalizedShape` dimensions, then scale and shift.
   * Throws `ShapeError` when the input does not end in `normalizedShape`.
   */
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `[${this.normalizedShape.join(', ')}], eps=${this.eps}, elementwiseAffine=${this.weight !== null}`;
  }
}

/**
 * Normalises each sample over groups of channels, as `torch.nn.GroupNorm(num_groups, num_channels,
 * eps, affine)`; input [N, C, ...]. Throws `ShapeError` when `numGroups` does not divide
 * `numChannels`.
 */
export class GroupNorm extends Module {
  /** The per-channel scale, starting at 1; null without affine. */
  weight: Parameter | null;
  /** The per-channel shift, starting at 0; null without affine. */
  bias: Parameter | null;
  /** Added to the variance before its square root (default 1e-5). */
  readonly eps: number;

  constructor(/** The number of channel groups. */ readonly numGroups: number, /** The number of channels C. */ readonly numChannels: number, opts: LayerOptions & { eps?: number; affine?: boolean } = {}) {
    super();
    if (!Number.isInteger(numGroups) || numGroups <= 0 || numChannels % numGroups !== 0) {
      throw new ShapeError(`GroupNorm: numGroups (${numGroups}) must divide numChannels (${numChannels})`);
    }
    this.eps = opts.eps ?? 1e-5;
    const place = { device: opts.device, dtype: opts.dtype };
    const affine = opts.affine ?? true;
    this.weight = affine ? Parameter.create(() => ones([numChannels], place)) : null;
    this.bias = affine ? Parameter.create(() => zeros([numChannels], place)) : null;
  }

  /**
   * Normalise [N, numChannels, ...] over each group's channels and positions, then scale and shift
   * per channel.
   */
  forward(x: Tensor): Tensor {
    return groupNorm(x, this.numGroups, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.weight !== null}`;
  }
}

/**
 * Instance norm over [N, C, H, W]: per-sample, per-channel statistics, always (PyTorch's
 * defaults: affine=false and no running statistics; tracking running statistics is not offered).
 */
export class InstanceNorm2d extends Module {
  /** The per-channel scale (only with `affine: true`), starting at 1. */
  weight: Parameter | null;
  /** The per-channel shift (only with `affine: true`), starting at 0. */
  bias: Parameter | null;
  /** Added to the variance before its square root (default 1e-5). */
  readonly eps: number;

  constructor(/** The number of channels C. */ readonly numFeatures: number, opts: LayerOptions & { eps?: number; affine?: boolean } = {}) {
    super();
    this.eps = opts.eps ?? 1e-5;
    const place = { device: opts.device, dtype: opts.dtype };
    const affine = opts.affine ?? false;
    this.weight = affine ? Parameter.create(() => ones([numFeatures], place)) : null;
    this.bias = affine ? Parameter.create(() => zeros([numFeatures], place)) : null;
  }

  /**
   * Normalise each sample's channels over H and W. Throws `ShapeError` unless the input is [N,
   * numFeatures, H, W].
   */
  forward(x: Tensor): Tensor {
    if (x.shape.length !== 4 || x.shape[1] !== this.numFeatures) {
      throw new ShapeError(`InstanceNorm2d(${this.numFeatures}): expected [N, ${this.numFeatures}, H, W], got ${fmtShape(x.shape)}`);
    }
    return instanceNorm(x, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, affine=${this.weight !== null}`;
  }
}
