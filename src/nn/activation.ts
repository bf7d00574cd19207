/** Activation functions as modules, for `Sequential` (the same functions as the top-level ops). */
import { elu, gelu, leakyRelu, logSoftmax, relu, sigmoid, silu, softmax, softplus, tanh } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/** The base classes the factories below make (named, so declaration files can spell them). */
export type ElementwiseModuleClass = new () => Module & { forward(x: Tensor): Tensor };
export type AlongDimModuleClass = new (dim?: number) => Module & { readonly dim: number; forward(x: Tensor): Tensor };

/** A module base class applying `fn` elementwise: `class ReLU extends elementwise(relu) {}`. */
export function elementwise(fn: (x: Tensor) => Tensor): ElementwiseModuleClass {
  return class extends Module {
    forward(x: Tensor): Tensor {
      return fn(x);
    }
  };
}

/** A module base class applying `fn` along a dim (default -1): `class Softmax extends alongDim(softmax) {}`. */
export function alongDim(fn: (x: Tensor, dim: number) => Tensor): AlongDimModuleClass {
  return class extends Module {
    constructor(readonly dim = -1) {
      super();
    }

    forward(x: Tensor): Tensor {
      return fn(x, this.dim);
    }

    override extraRepr(): string {
      return `dim=${this.dim}`;
    }
  };
}

export class ReLU extends elementwise(relu) {}

export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }

  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }

  override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }

  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

/** The exact (erf) GELU, PyTorch's default. */
export class GELU extends elementwise((x) => gelu(x)) {}

export class SiLU extends elementwise(silu) {}

export class Sigmoid extends elementwise(sigmoid) {}

export class Tanh extends elementwise(tanh) {}

export class Softplus extends elementwise((x) => softplus(x)) {}

export class Softmax extends alongDim(softmax) {}

export class LogSoftmax extends alongDim(logSoftmax) {}
