/** Upsample: resize [N, C, H, W] by a scale factor or to a size (nearest or bilinear), as torch.nn.Upsample. */
import { interpolate, type InterpolateOptions } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/** Resizes images (interpolate as a module): `new Upsample({ scaleFactor: 2 })` doubles H and W. */
export class Upsample extends Module {
  /** @param options `size` or `scaleFactor`, and the mode (default 'nearest'), as interpolate takes them. */
  constructor(readonly options: InterpolateOptions) {
    super();
  }

  /** [N, C, H, W] → [N, C, H', W'] resized. */
  forward(x: Tensor): Tensor {
    return interpolate(x, this.options);
  }

  override extraRepr(): string {
    const { size, scaleFactor, mode = 'nearest' } = this.options;
    return `${size !== undefined ? `size=${JSON.stringify(size)}` : `scaleFactor=${JSON.stringify(scaleFactor)}`}, mode='${mode}'`;
  }
}
