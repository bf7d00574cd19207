/** Linear: y = x W^T + b, with W stored [out, in] as in PyTorch. */
import type { DType, DeviceName } from '../backend/backend.js';
import { ShapeError, fmtShape } from '../errors.js';
import { add, batchedMatmul, reshape, zeros } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { kaimingUniform_, uniform_ } from './init.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

/**
 * Where a layer's parameters are made: the device and dtype of `zeros(...)` (defaults: the default
 * device, float32).
 */
export interface LayerOptions {
  /** The device of the parameters (default: the default device). */
  device?: DeviceName;
  /**
   * The dtype of the parameters (default float32; float64 on the CPU backend for gradient checks).
   */
  dtype?: DType;
}

/** PyTorch's default init of a layer: kaiming-uniform with a = sqrt(5), i.e. U(+-1/sqrt(fanIn)), for both weight and bias. */
export function defaultInit(weight: Parameter, bias: Parameter | null, fanIn: number): void {
  kaimingUniform_(weight, { a: Math.sqrt(5) });
  if (bias) {
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, -bound, bound);
  }
}

/**
 * A fully connected layer `y = x W^T + b`, as `torch.nn.Linear(in, out, bias)`: W is [out, in],
 * initialised as PyTorch does (uniform in ±1/sqrt(in)). Input [..., in], output [..., out].
 */
export class Linear extends Module {
  /** The weight, shape [outFeatures, inFeatures]. */
  weight: Parameter;
  /** The bias, shape [outFeatures]; null with `bias: false`. */
  bias: Parameter | null;

  constructor(/** The size of each input's last dimension. */ readonly inFeatures: number, /** The size of each output's last dimension. */ readonly outFeatures: number, opts: LayerOptions & { bias?: boolean } = {}) {
    super();
    const place = { device: opts.device, dtype: opts.dtype };
    this.weight = Parameter.create(() => zeros([outFeatures, inFeatures], place));
    this.bias = opts.bias === false ? null : Parameter.create(() => zeros([outFeatures], place));
    defaultInit(this.weight, this.bias, inFeatures);
  }

  /** `x W^T + b` over the last dimension. Throws `ShapeError` when it is not `inFeatures` long. */
  forward(x: Tensor): Tensor {
    if (x.shape.length === 0 || x.shape.at(-1) !== this.inFeatures) {
      throw new ShapeError(`Linear(${this.inFeatures}, ${this.outFeatures}): the input's last dim must be ${this.inFeatures}, got shape ${fmtShape(x.shape)}`);
    }
    // One GEMM over all leading dims, reading W transposed in place (no copy of the weight).
    const w = this.weight;
    const rows = x.size / this.inFeatures;
    let y = batchedMatmul(reshape(x, [1, rows, this.inFeatures]), reshape(w, [1, this.outFeatures, this.inFeatures]), false, true);
    if (this.bias) y = add(y, this.bias);
    return reshape(y, [...x.shape.slice(0, -1), this.outFeatures]);
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}
