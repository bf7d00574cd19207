/** Inclusive cumulative sum along an axis. */
import { isFloat } from '../backend/backend.js';
import { record } from '../autograd.js';
import { normAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkFits, checkInputs, wrap } from './core.js';
import { add, cast, sub } from './elementwise.js';
import { sum } from './reduce.js';
import { reshape } from './shapeops.js';

/**
 * out[..., i, ...] = sum of x[..., j, ...] for j <= i along `axis`. bool counts as int32. The
 * gradient is the reversed cumulative sum, total - cumsum(g) + g, which needs no flip.
 */
export function cumsum(x: Tensor, axis: number): Tensor {
  const backend = checkInputs('cumsum', x);
  if (x.shape.length === 0) return reshape(cumsum(reshape(x, [1]), 0), []);
  const a = normAxis('cumsum', axis, x.shape.length, x.shape);
  const input = x.dtype === 'bool' ? cast(x, 'int32') : x;
  checkFits('cumsum', backend, input.shape, input.dtype);
  const out = wrap(backend, backend.cumsum(input, a), input.shape, input.dtype);
  if (!isFloat(input.dtype)) return out;
  return record(out, 'cumsum', [input], (g) => [add(sub(sum(g, a, true), cumsum(g, a)), g)]);
}
