/**
 * Dropout with a Philox mask: the same seed drops the same elements on the CPU and on WebGPU.
 */
import { ArgumentError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, composite, requireFloat } from './core.js';
import { rand } from './creation.js';
import { ge, mul, where } from './elementwise.js';

/** Philox uniforms are multiples of 2^-24. */
const UNIFORM_STEPS = 2 ** 24;

/**
 * Zeroes each element with probability p and scales the survivors by 1 / (1 - p) in training;
 * the identity otherwise. Element i is kept when the i-th uniform of the generator's next stream
 * is >= p.
 */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  checkInputs('dropout', x);
  requireFloat('dropout', x);
  if (!(p >= 0 && p <= 1)) throw new ArgumentError(`dropout: p must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  // u >= p equals u >= ceil(p * 2^24) / 2^24 for every grid value u, and that threshold is exact
  // in float32 too, so both backends compare the same numbers.
  const threshold = Math.ceil(p * UNIFORM_STEPS) / UNIFORM_STEPS;
  return composite([x], () => {
    const keep = ge(rand(x.shape, { dtype: x.dtype, device: x.device }), threshold);
    return where(keep, mul(x, p === 1 ? 0 : 1 / (1 - p)), 0);
  });
}
