/**
 * RMSprop (Hinton's lecture 6e) with optional momentum and L2 weight decay: torch.optim.RMSprop.
 * `centered` (Graves, 2013) also keeps a running mean of the gradient (state `grad_avg`) and
 * divides by sqrt(square_avg - grad_avg^2), an estimate of the gradient's standard deviation.
 */
import type { OptimizerHyper } from '../backend/backend.js';
import { ArgumentError } from '../errors.js';
import { Optimizer, type ParamGroup, type ParamsArg } from './optimizer.js';

/** Options of `RMSprop`, as `torch.optim.RMSprop`'s in camelCase. */
export interface RMSpropOptions {
  /** The learning rate (default 1e-2). */
  lr: number;
  /** The smoothing constant of the squared-gradient average (default 0.99). */
  alpha: number;
  /** Added to the denominator for stability (default 1e-8). */
  eps: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
  /** The momentum factor (default 0). */
  momentum: number;
  /**
   * Divide by an estimate of the gradient's standard deviation instead of its RMS (default false).
   */
  centered: boolean;
}

/** RMSprop with optional momentum, centring and weight decay, as `torch.optim.RMSprop`. */
export class RMSprop extends Optimizer<RMSpropOptions> {
  protected readonly kind = 'rmsprop' as const;

  constructor(params: ParamsArg<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super(params, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, ...options });
  }

  /** The kernel's order: square_avg, then momentum_buffer and grad_avg when the options use them. */
  protected stateNames(group: ParamGroup<RMSpropOptions>): string[] {
    return ['square_avg', ...(group.momentum > 0 ? ['momentum_buffer'] : []), ...(group.centered ? ['grad_avg'] : [])];
  }

  protected hyper(group: ParamGroup<RMSpropOptions>): Omit<OptimizerHyper, 'step'> {
    const { lr, alpha, eps, weightDecay, momentum, centered } = group;
    return { lr, alpha, eps, weightDecay, momentum, centered };
  }

  protected override validate(group: ParamGroup<RMSpropOptions>): void {
    super.validate(group);
    if (!(group.alpha >= 0)) throw new ArgumentError(`RMSprop: invalid alpha ${group.alpha}`);
    if (!(group.momentum >= 0)) throw new ArgumentError(`RMSprop: invalid momentum ${group.momentum}`);
    if (!(group.eps >= 0)) throw new ArgumentError(`RMSprop: invalid eps ${group.eps}`);
  }
}
