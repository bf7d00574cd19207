/**
 * Adam (Kingma & Ba, 2015) with L2 weight decay folded into the gradient, and AdamW (Loshchilov &
 * Hutter, 2019) with decoupled weight decay: torch.optim.Adam and torch.optim.AdamW, both with
 * the AMSGrad variant (Reddi et al., 2018), which divides by the running maximum of exp_avg_sq
 * (state `max_exp_avg_sq`) so the effective step size never grows.
 */
import type { OptimizerHyper } from '../backend/backend.js';
import { ArgumentError } from '../errors.js';
import { Optimizer, type ParamGroup, type ParamsArg } from './optimizer.js';

/** Options of `Adam` and `AdamW` (PyTorch's names in camelCase; `betas` as in torch). */
export interface AdamOptions {
  /** The learning rate (default 1e-3). */
  lr: number;
  /**
   * Decay rates of the running means of the gradient and its square (default [0.9, 0.999]), each in
   * [0, 1).
   */
  betas: [number, number];
  /** Added to the denominator's square root for stability (default 1e-8). */
  eps: number;
  /**
   * Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay, `p -= lr *
   * weightDecay * p` (default 1e-2).
   */
  weightDecay: number;
  /**
   * Divide by the running maximum of the squared-gradient mean (AMSGrad, state `max_exp_avg_sq`);
   * default false.
   */
  amsgrad: boolean;
}

abstract class AdamBase extends Optimizer<AdamOptions> {
  protected stateNames(group: ParamGroup<AdamOptions>): string[] {
    return group.amsgrad ? ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'] : ['exp_avg', 'exp_avg_sq'];
  }

  protected hyper(group: ParamGroup<AdamOptions>): Omit<OptimizerHyper, 'step'> {
    const { lr, betas, eps, weightDecay, amsgrad } = group;
    return { lr, weightDecay, beta1: betas[0], beta2: betas[1], eps, amsgrad };
  }

  protected override validate(group: ParamGroup<AdamOptions>): void {
    super.validate(group);
    const [b1, b2] = group.betas;
    if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) throw new ArgumentError(`${this.constructor.name}: invalid betas [${b1}, ${b2}]`);
    if (!(group.eps >= 0)) throw new ArgumentError(`${this.constructor.name}: invalid eps ${group.eps}`);
  }
}

/**
 * Adam, as `torch.optim.Adam(params, lr, betas, eps, weight_decay, amsgrad)`: `new
 * Adam(model.parameters(), { lr: 2e-4, betas: [0.5, 0.999] })`, then `zeroGrad()`, `backward()`,
 * `step()`. Throws `ArgumentError` for betas outside [0, 1) or a negative eps.
 */
export class Adam extends AdamBase {
  protected readonly kind = 'adam' as const;

  constructor(params: ParamsArg<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, ...options });
  }
}

/** AdamW, Adam with decoupled weight decay (default 1e-2), as `torch.optim.AdamW`. */
export class AdamW extends AdamBase {
  protected readonly kind = 'adamw' as const;

  constructor(params: ParamsArg<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, ...options });
  }
}
