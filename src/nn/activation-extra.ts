/** More of PyTorch's activation modules, over the ops of the same names (src/ops/activations.ts). */
import { celu, glu, hardsigmoid, hardswish, hardtanh, logsigmoid, mish, relu6, selu, softmin, softsign } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { alongDim, elementwise } from './activation.js';
import { Module } from './module.js';

/** x · tanh(softplus(x)), elementwise. @torch torch.nn.Mish */
export class Mish extends elementwise(mish) {}

/** x · relu6(x + 3) / 6, elementwise. @torch torch.nn.Hardswish */
export class Hardswish extends elementwise(hardswish) {}

/** relu6(x + 3) / 6, elementwise. @torch torch.nn.Hardsigmoid */
export class Hardsigmoid extends elementwise(hardsigmoid) {}

/** min(max(0, x), 6), elementwise. @torch torch.nn.ReLU6 */
export class ReLU6 extends elementwise(relu6) {}

/** Scaled ELU with the self-normalising constants (λ ≈ 1.0507, α ≈ 1.6733), elementwise. @torch torch.nn.SELU */
export class SELU extends elementwise(selu) {}

/** x / (1 + |x|), elementwise. @torch torch.nn.Softsign */
export class Softsign extends elementwise(softsign) {}

/** log σ(x), computed stably for large |x|, elementwise. @torch torch.nn.LogSigmoid */
export class LogSigmoid extends elementwise(logsigmoid) {}

/** Gated linear unit: the first half of `dim` times the sigmoid of the second. */
export class GLU extends alongDim(glu) {}

/** softmax(−x) along `dim` (default -1). @torch torch.nn.Softmin */
export class Softmin extends alongDim(softmin) {}

/** x clamped to [minVal, maxVal] (default [-1, 1]), elementwise. @torch torch.nn.Hardtanh */
export class Hardtanh extends Module {
  /**
   * @param minVal Lower bound of the output (default -1).
   * @param maxVal Upper bound of the output (default 1).
   */
  constructor(readonly minVal = -1, readonly maxVal = 1) {
    super();
  }

  /** x clamped elementwise; same shape. */
  forward(x: Tensor): Tensor {
    return hardtanh(x, this.minVal, this.maxVal);
  }

  override extraRepr(): string {
    return `minVal=${this.minVal}, maxVal=${this.maxVal}`;
  }
}

/** max(0, x) + min(0, α (exp(x / α) − 1)), elementwise. @torch torch.nn.CELU */
export class CELU extends Module {
  /** @param alpha α, the negative side's scale (default 1). */
  constructor(readonly alpha = 1) {
    super();
  }

  /** CELU of x elementwise; same shape. */
  forward(x: Tensor): Tensor {
    return celu(x, this.alpha);
  }

  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}
