/** Shape-only modules: Flatten, Unflatten and Identity. */
import { flatten, reshape } from '../ops/index.js';
import { normAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/** Flattens dims startDim..endDim (by default all but the batch dim). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

/** Expands dim `dim` into `sizes` (the inverse of Flatten). */
export class Unflatten extends Module {
  constructor(readonly dim: number, readonly sizes: readonly number[]) {
    super();
  }

  forward(x: Tensor): Tensor {
    const d = normAxis('Unflatten', this.dim, x.shape.length, x.shape);
    return reshape(x, [...x.shape.slice(0, d), ...this.sizes, ...x.shape.slice(d + 1)]);
  }

  override extraRepr(): string {
    return `dim=${this.dim}, sizes=[${this.sizes.join(', ')}]`;
  }
}

export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}
