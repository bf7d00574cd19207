/**
 * Softmax and log-softmax along any axis. The backend kernel works on the last axis (one fused,
 * max-subtracted pass per row); another axis is permuted to the end and back. Backward rules are
 * written with ops on the saved output, so second derivatives work.
 */
import { record } from '../autograd.js';
import { normAxis } from '../shape.js';
import type { RowVariant } from '../backend/backend.js';
import type { Tensor } from '../tensor.js';
import { checkFits, checkInputs, requireFloat, wrap } from './core.js';
import { exp, mul, sub } from './elementwise.js';
import { sum } from './reduce.js';
import { permute, reshape } from './shapeops.js';

type SoftmaxOp = 'softmax' | 'logSoftmax';

/** `variant` forces a kernel (tests, benchmarks; WebGPU only). */
export interface SoftmaxOptions {
  /** The kernel (WebGPU only): one thread or one workgroup per row; 'auto' by default. */
  variant?: RowVariant;
}

function lastAxis(op: SoftmaxOp, x: Tensor, opts: SoftmaxOptions): Tensor {
  const backend = checkInputs(op, x);
  checkFits(op, backend, x.shape, x.dtype);
  const out = wrap(backend, backend.softmax(op, x, opts), x.shape, x.dtype);
  return record(out, op, [x], (g) => [op === 'softmax' ? softmaxBackward(g, out) : logSoftmaxBackward(g, out)]);
}

/** dx = y (g - sum(g y)): the softmax Jacobian-vector product along the last axis. */
export function softmaxBackward(g: Tensor, y: Tensor): Tensor {
  return mul(y, sub(g, sum(mul(g, y), -1, true)));
}

/** dx = g - softmax(x) sum(g), with softmax(x) = exp(log-softmax output). */
function logSoftmaxBackward(g: Tensor, y: Tensor): Tensor {
  return sub(g, mul(exp(y), sum(g, -1, true)));
}

function alongAxis(op: SoftmaxOp, x: Tensor, axis: number, opts: SoftmaxOptions): Tensor {
  checkInputs(op, x);
  requireFloat(op, x);
  // A 0-d tensor is a row of one (its backward sums over the last axis, so it needs one).
  if (x.shape.length === 0) return reshape(lastAxis(op, reshape(x, [1]), opts), []);
  const a = normAxis(op, axis, x.shape.length, x.shape);
  const last = x.shape.length - 1;
  if (a === last) return lastAxis(op, x, opts);
  const swap = [...x.shape.keys()];
  swap[a] = last;
  swap[last] = a;
  return permute(lastAxis(op, permute(x, swap), opts), swap);
}

/** exp(x) / sum(exp(x)) along `axis` (default last), stable for any magnitude. */
export const softmax = (x: Tensor, axis = -1, opts: SoftmaxOptions = {}): Tensor => alongAxis('softmax', x, axis, opts);

/** x - logsumexp(x) along `axis` (default last), computed in one fused pass. */
export const logSoftmax = (x: Tensor, axis = -1, opts: SoftmaxOptions = {}): Tensor => alongAxis('logSoftmax', x, axis, opts);
