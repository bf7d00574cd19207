/** Normalisation layers: batch (1-D and 2-D), layer, group and instance norm, with PyTorch's parameters and buffers. */
import { ShapeError, fmtShape } from '../errors.js';
import { noGrad } from '../autograd.js';
import { tidy } from '../memory.js';
import { add, batchNorm, full, groupNorm, instanceNorm, layerNorm, ones, zeros } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import type { LayerOptions } from './linear.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

export interface BatchNormOptions extends LayerOptions {
  eps?: number;
  /** running = (1 - momentum) * running + momentum * batch statistic. */
  momentum?: number;
  affine?: boolean;
  /** Keep running statistics for evaluation (else batch statistics are used in eval too). */
  trackRunningStats?: boolean;
}

abstract class BatchNormBase extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  declare runningMean: Tensor | null;
  declare runningVar: Tensor | null;
  declare numBatchesTracked: Tensor | null;
  readonly eps: number;
  readonly momentum: number;
  protected abstract readonly inputRanks: readonly number[];

  constructor(readonly numFeatures: number, opts: BatchNormOptions = {}) {
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

export class LayerNorm extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  readonly normalizedShape: number[];
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

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `[${this.normalizedShape.join(', ')}], eps=${this.eps}, elementwiseAffine=${this.weight !== null}`;
  }
}

export class GroupNorm extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  readonly eps: number;

  constructor(readonly numGroups: number, readonly numChannels: number, opts: LayerOptions & { eps?: number; affine?: boolean } = {}) {
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
  weight: Parameter | null;
  bias: Parameter | null;
  readonly eps: number;

  constructor(readonly numFeatures: number, opts: LayerOptions & { eps?: number; affine?: boolean } = {}) {
    super();
    this.eps = opts.eps ?? 1e-5;
    const place = { device: opts.device, dtype: opts.dtype };
    const affine = opts.affine ?? false;
    this.weight = affine ? Parameter.create(() => ones([numFeatures], place)) : null;
    this.bias = affine ? Parameter.create(() => zeros([numFeatures], place)) : null;
  }

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
