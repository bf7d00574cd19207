/**
 * Ops whose forward pass is a composition of primitives but whose gradient is a closed form: the
 * forward runs without recording (its intermediates are freed at once) and one backward rule,
 * itself written with differentiable ops, is attached to the result. Used where differentiating
 * through the composition would be wasteful (an atan series) or wrong at a point (norm at 0).
 */
import { isFloat } from '../backend/backend.js';
import { noGrad, record } from '../autograd.js';
import { tidy } from '../memory.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, type TensorLike } from './core.js';
import { cast } from './elementwise.js';
import { sumToShape } from './reduce.js';

/**
 * `forward()` computed without a graph, then `backward(g, out)` recorded for `inputs`; each input's
 * gradient is summed back to its shape, so rules may return broadcast gradients.
 */
export function customOp(name: string, inputs: readonly Tensor[], forward: () => Tensor, backward: (g: Tensor, out: Tensor) => (Tensor | null)[]): Tensor {
  const out = noGrad(() => tidy(forward));
  if (!isFloat(out.dtype) || inputs.includes(out)) return out;
  return record(out, name, inputs, (g) => backward(g, out).map((gi, i) => gi && sumToShape(gi, inputs[i]!.shape)));
}

/** The tensor argument of a float-valued math op: int and bool inputs become float32 (as in PyTorch). */
export function floatArg(op: string, x: Tensor): Tensor {
  checkInputs(op, x);
  return isFloat(x.dtype) ? x : cast(x, 'float32');
}

export type { TensorLike };
