/** Dropout: zeroes elements with probability p in training (scaling the rest by 1 / (1 - p)); the identity in eval. */
import { ArgumentError } from '../errors.js';
import { dropout } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/**
 * Zeroes each element with probability `p` in training mode and scales the rest by 1 / (1 - p); the
 * identity in eval mode. As `torch.nn.Dropout(p)`. Throws `ArgumentError` for p outside [0, 1].
 */
export class Dropout extends Module {
  constructor(/** The probability of zeroing an element. */ readonly p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new ArgumentError(`Dropout: p must be in [0, 1], got ${p}`);
  }

  /** `x` with dropout applied when `training`, else `x` itself. */
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
