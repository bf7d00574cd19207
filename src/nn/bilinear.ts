/** Bilinear: y = x1ᵀ A x2 + b for each output feature, with A stored [out, in1, in2] as in PyTorch. */
import { ShapeError, fmtShape } from '../errors.js';
import { add, einsum, reshape, zeros } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { uniform_ } from './init.js';
import type { LayerOptions } from './linear.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

/** A bilinear layer y_o = x1ᵀ A_o x2 + b_o (as torch.nn.Bilinear, with its init and state-dict names). */
export class Bilinear extends Module {
  /** [outFeatures, in1Features, in2Features], initialised U(−1/√in1, 1/√in1). */
  weight: Parameter;
  /** [outFeatures], or null when built with `bias: false`. */
  bias: Parameter | null;

  /**
   * @param in1Features Size of the first input's last dim.
   * @param in2Features Size of the second input's last dim.
   * @param outFeatures Size of the output's last dim.
   * @param opts Device, dtype and `bias` (default true).
   */
  constructor(readonly in1Features: number, readonly in2Features: number, readonly outFeatures: number, opts: LayerOptions & { bias?: boolean } = {}) {
    super();
    const place = { device: opts.device, dtype: opts.dtype };
    this.weight = Parameter.create(() => zeros([outFeatures, in1Features, in2Features], place));
    this.bias = opts.bias === false ? null : Parameter.create(() => zeros([outFeatures], place));
    // PyTorch's init: U(−1/√in1, 1/√in1) for the weight and the bias.
    const bound = 1 / Math.sqrt(in1Features);
    uniform_(this.weight, -bound, bound);
    if (this.bias) uniform_(this.bias, -bound, bound);
  }

  /** x1 [..., in1] and x2 [..., in2] (the same leading dims) → [..., out]. Throws ShapeError otherwise. */
  forward(x1: Tensor, x2: Tensor): Tensor {
    const lead = x1.shape.slice(0, -1);
    if (x1.shape.at(-1) !== this.in1Features || x2.shape.at(-1) !== this.in2Features || lead.join() !== x2.shape.slice(0, -1).join()) {
      throw new ShapeError(`Bilinear(${this.in1Features}, ${this.in2Features}, ${this.outFeatures}): inputs must be [..., ${this.in1Features}] and [..., ${this.in2Features}] with the same leading dims, got ${fmtShape(x1.shape)} and ${fmtShape(x2.shape)}`);
    }
    const rows = lead.reduce((a, b) => a * b, 1);
    let y = einsum('bi,oij,bj->bo', reshape(x1, [rows, this.in1Features]), this.weight, reshape(x2, [rows, this.in2Features]));
    if (this.bias) y = add(y, this.bias);
    return reshape(y, [...lead, this.outFeatures]);
  }

  override extraRepr(): string {
    return `in1Features=${this.in1Features}, in2Features=${this.in2Features}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}
