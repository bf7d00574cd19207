/** Upsample: resize [N, C, H, W] by a scale factor or to a size (nearest or bilinear), as torch.nn.Upsample. */
import { interpolate, type InterpolateOptions } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

export class Upsample extends Module {
  constructor(readonly options: InterpolateOptions) {
    super();
  }

  forward(x: Tensor): Tensor {
    return interpolate(x, this.options);
  }

  override extraRepr(): string {
    const { size, scaleFactor, mode = 'nearest' } = this.options;
    return `${size !== undefined ? `size=${JSON.stringify(size)}` : `scaleFactor=${JSON.stringify(scaleFactor)}`}, mode='${mode}'`;
  }
}
