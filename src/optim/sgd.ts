/** Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay (torch.optim.SGD). */
import type { OptimizerHyper } from '../backend/backend.js';
import { ArgumentError } from '../errors.js';
import { Optimizer, type ParamGroup, type ParamState, type ParamsArg } from './optimizer.js';

/** Options of `SGD`, as `torch.optim.SGD`'s in camelCase. */
export interface SGDOptions {
  /** The learning rate (default 1e-3). */
  lr: number;
  /** The momentum factor (default 0: plain SGD). */
  momentum: number;
  /** Damps the gradient's share of the momentum buffer (default 0). */
  dampening: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0); default false. */
  nesterov: boolean;
}

/**
 * Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay, as
 * `torch.optim.SGD`: `new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 })`.
 */
export class SGD extends Optimizer<SGDOptions> {
  protected readonly kind = 'sgd' as const;

  constructor(params: ParamsArg<SGDOptions>, options: Partial<SGDOptions> = {}) {
    super(params, { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, ...options });
  }

  protected stateNames(group: ParamGroup<SGDOptions>): string[] {
    return group.momentum !== 0 ? ['momentum_buffer'] : [];
  }

  protected hyper(group: ParamGroup<SGDOptions>, state: ParamState, fresh: boolean): OptimizerHyper {
    const { lr, weightDecay, momentum, dampening, nesterov } = group;
    // The kernel starts a momentum buffer from the gradient itself on "step 1": the buffer's first use.
    return { lr, weightDecay, momentum, dampening, nesterov, step: fresh ? 1 : state.step };
  }

  protected override validate(group: ParamGroup<SGDOptions>): void {
    super.validate(group);
    if (!(group.momentum >= 0)) throw new ArgumentError(`SGD: invalid momentum ${group.momentum}`);
    if (group.nesterov && (group.momentum <= 0 || group.dampening !== 0)) {
      throw new ArgumentError('SGD: Nesterov momentum requires a momentum and zero dampening');
    }
  }
}
