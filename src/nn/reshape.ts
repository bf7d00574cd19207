/** Shape-only modules: Flatten, Unflatten and Identity. */
import { flatten, reshape } from '../ops/index.js';
import { normAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/** Flattens dims startDim..endDim (by default all but the batch dim). */
export class Flatten extends Module {
  /**
   * @param startDim First dim flattened (default 1: the batch dim stays).
   * @param endDim Last dim flattened, inclusive; negative counts from the end (default -1).
   */
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }

  /** x with dims startDim..endDim merged into one: [N, C, H, W] → [N, C·H·W] by default. */
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

/** Expands dim `dim` into `sizes` (the inverse of Flatten). */
export class Unflatten extends Module {
  /**
   * @param dim The dim to expand (negative counts from the end).
   * @param sizes Its new sizes; their product must equal the dim's size.
   */
  constructor(readonly dim: number, readonly sizes: readonly number[]) {
    super();
  }

  /** x with `dim` replaced by `sizes`: [N, 784] → [N, 1, 28, 28] for Unflatten(1, [1, 28, 28]). Throws when the sizes do not multiply to the dim. */
  forward(x: Tensor): Tensor {
    const d = normAxis('Unflatten', this.dim, x.shape.length, x.shape);
    return reshape(x, [...x.shape.slice(0, d), ...this.sizes, ...x.shape.slice(d + 1)]);
  }

  override extraRepr(): string {
    return `dim=${this.dim}, sizes=[${this.sizes.join(', ')}]`;
  }
}

/** Returns its input unchanged: a placeholder where a model may or may not have a layer. */
export class Identity extends Module {
  /** x itself (not a copy). */
  forward(x: Tensor): Tensor {
    return x;
  }
}
