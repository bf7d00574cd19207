/** RMSprop (Hinton's lecture 6e) with optional momentum and L2 weight decay: torch.optim.RMSprop (centered=False). */
import type { OptimizerHyper } from '../backend/backend.js';
import { ArgumentError } from '../errors.js';
import { Optimizer, type ParamGroup, type ParamsArg } from './optimizer.js';

export interface RMSpropOptions {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
}

export class RMSprop extends Optimizer<RMSpropOptions> {
  protected readonly kind = 'rmsprop' as const;

  constructor(params: ParamsArg<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super(params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, ...options });
  }

  protected stateNames(group: ParamGroup<RMSpropOptions>): string[] {
    return group.momentum > 0 ? ['square_avg', 'momentum_buffer'] : ['square_avg'];
  }

  protected hyper(group: ParamGroup<RMSpropOptions>): Omit<OptimizerHyper, 'step'> {
    const { lr, alpha, eps, weightDecay, momentum } = group;
    return { lr, alpha, eps, weightDecay, momentum };
  }

  protected override validate(group: ParamGroup<RMSpropOptions>): void {
    super.validate(group);
    if (!(group.alpha >= 0)) throw new ArgumentError(`RMSprop: invalid alpha ${group.alpha}`);
    if (!(group.momentum >= 0)) throw new ArgumentError(`RMSprop: invalid momentum ${group.momentum}`);
    if (!(group.eps >= 0)) throw new ArgumentError(`RMSprop: invalid eps ${group.eps}`);
  }
}
