/** Pooling as modules (PyTorch's MaxPool2d, AvgPool2d, AdaptiveAvgPool2d), over the pooling ops. */
import { adaptiveAvgPool2d, avgPool2d, maxPool2d } from '../ops/index.js';
import type { AvgPool2dOptions, Pool2dOptions } from '../ops/pool.js';
import type { Pair } from '../ops/spatial.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/** Max pooling over windows of x [N, C, H, W] (maxPool2d as a module, as torch.nn.MaxPool2d). */
export class MaxPool2d extends Module {
  /**
   * @param kernelSize Window height and width (one number for both).
   * @param opts Stride (default the window) and padding (each side at most half the window).
   */
  constructor(readonly kernelSize: Pair, readonly opts: Pool2dOptions = {}) {
    super();
  }

  /** [N, C, H, W] → [N, C, H', W'], the largest value of each window. Throws ShapeError for another rank. */
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.opts);
  }

  override extraRepr(): string {
    return `kernelSize=${this.kernelSize}, stride=${this.opts.stride ?? this.kernelSize}, padding=${this.opts.padding ?? 0}`;
  }
}

/** Average pooling over windows of x [N, C, H, W] (avgPool2d as a module, as torch.nn.AvgPool2d). */
export class AvgPool2d extends Module {
  /**
   * @param kernelSize Window height and width (one number for both).
   * @param opts Stride (default the window), padding, and whether padded cells count in the divisor.
   */
  constructor(readonly kernelSize: Pair, readonly opts: AvgPool2dOptions = {}) {
    super();
  }

  /** [N, C, H, W] → [N, C, H', W'], the mean of each window. Throws ShapeError for another rank. */
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.opts);
  }

  override extraRepr(): string {
    return `kernelSize=${this.kernelSize}, stride=${this.opts.stride ?? this.kernelSize}, padding=${this.opts.padding ?? 0}`;
  }
}

/** Average pooling to a fixed output size whatever the input's (as torch.nn.AdaptiveAvgPool2d). */
export class AdaptiveAvgPool2d extends Module {
  /** @param outputSize The output's height and width (one number for both). */
  constructor(readonly outputSize: Pair) {
    super();
  }

  /** [N, C, H, W] → [N, C, outH, outW], with PyTorch's window boundaries. */
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }

  override extraRepr(): string {
    return `outputSize=${this.outputSize}`;
  }
}
