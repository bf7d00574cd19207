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
    /** The function applied to `x`, elementwise. */
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

    /** The function applied to `x` along `dim`. */
    forward(x: Tensor): Tensor {
      return fn(x, this.dim);
    }

    override extraRepr(): string {
      return `dim=${this.dim}`;
    }
  };
}

/** `max(x, 0)` as a layer, as `torch.nn.ReLU`. */
export class ReLU extends elementwise(relu) {}

/** `x` where positive, `negativeSlope * x` elsewhere, as `torch.nn.LeakyReLU(negative_slope)`. */
export class LeakyReLU extends Module {
  constructor(/** The slope for negative inputs (default 0.01). */ readonly negativeSlope = 0.01) {
    super();
  }

  /** The leaky ReLU of `x`, elementwise. */
  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }

  override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

/** `x` where positive, `alpha * (exp(x) - 1)` elsewhere, as `torch.nn.ELU(alpha)`. */
export class ELU extends Module {
  constructor(/** The value approached for large negative inputs, negated (default 1). */ readonly alpha = 1) {
    super();
  }

  /** The ELU of `x`, elementwise. */
  forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }

  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

/** The exact (erf) GELU, PyTorch's default. */
export class GELU extends elementwise((x) => gelu(x)) {}

/** `x * sigmoid(x)` (swish) as a layer, as `torch.nn.SiLU`. */
export class SiLU extends elementwise(silu) {}

/** The logistic function as a layer, as `torch.nn.Sigmoid`. */
export class Sigmoid extends elementwise(sigmoid) {}

/** The hyperbolic tangent as a layer, as `torch.nn.Tanh`. */
export class Tanh extends elementwise(tanh) {}

/** `log(1 + exp(x))` as a layer, as `torch.nn.Softplus`. */
export class Softplus extends elementwise((x) => softplus(x)) {}

/** Softmax along `dim` as a layer, as `torch.nn.Softmax(dim)`. */
export class Softmax extends alongDim(softmax) {}

/** Log-softmax along `dim` as a layer, as `torch.nn.LogSoftmax(dim)`. */
export class LogSoftmax extends alongDim(logSoftmax) {}
