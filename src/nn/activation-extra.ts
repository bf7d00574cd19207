/** More of PyTorch's activation modules, over the ops of the same names (src/ops/activations.ts). */
import { celu, glu, hardsigmoid, hardswish, hardtanh, logsigmoid, mish, relu6, selu, softmin, softsign } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { alongDim, elementwise } from './activation.js';
import { Module } from './module.js';

export class Mish extends elementwise(mish) {}

export class Hardswish extends elementwise(hardswish) {}

export class Hardsigmoid extends elementwise(hardsigmoid) {}

export class ReLU6 extends elementwise(relu6) {}

export class SELU extends elementwise(selu) {}

export class Softsign extends elementwise(softsign) {}

export class LogSigmoid extends elementwise(logsigmoid) {}

/** Gated linear unit: the first half of `dim` times the sigmoid of the second. */
export class GLU extends alongDim(glu) {}

export class Softmin extends alongDim(softmin) {}

export class Hardtanh extends Module {
  constructor(readonly minVal = -1, readonly maxVal = 1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return hardtanh(x, this.minVal, this.maxVal);
  }

  override extraRepr(): string {
    return `minVal=${this.minVal}, maxVal=${this.maxVal}`;
  }
}

export class CELU extends Module {
  constructor(readonly alpha = 1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return celu(x, this.alpha);
  }

  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}
