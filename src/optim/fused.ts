/**
 * The bridge from optimizers to the backend's fused update primitive: checks a parameter, its
 * gradient and its state agree (device, shape, dtype) before anything is enqueued, then updates
 * all of them in place with one dispatch and no readback.
 */
import type { OptimizerHyper, OptimizerKind } from '../backend/backend.js';
import { DTypeError, ShapeError, fmtShape } from '../errors.js';
import { checkInputs, requireFloat } from '../ops/core.js';
import type { Tensor } from '../tensor.js';

export function fusedUpdate(kind: OptimizerKind, param: Tensor, grad: Tensor, state: readonly Tensor[], hyper: OptimizerHyper): void {
  const op = `optim.${kind}`;
  const backend = checkInputs(op, param, grad, ...state);
  requireFloat(op, param, 'parameter');
  for (const [what, t] of [['gradient', grad], ...state.map((s, i) => [`state ${i}`, s] as const)] as const) {
    if (t.size !== param.size || t.shape.length !== param.shape.length || t.shape.some((d, i) => d !== param.shape[i])) {
      throw new ShapeError(`${op}: the ${what} has shape ${fmtShape(t.shape)} but the parameter has ${fmtShape(param.shape)}`);
    }
    if (t.dtype !== param.dtype) throw new DTypeError(`${op}: the ${what} is ${t.dtype} but the parameter ${fmtShape(param.shape)} is ${param.dtype}`);
  }
  backend.optimizerUpdate(kind, param.storage, grad.storage, state.map((s) => s.storage), param.size, param.dtype, hyper);
}
