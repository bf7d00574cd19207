/**
 * An exponential moving average of a module's weights (for diffusion models and GAN generators):
 * shadow = decay * shadow + (1 - decay) * value after each optimizer step, for every floating-point
 * entry of the state dict (weights and running statistics, as timm's ModelEma); integer entries
 * are copied. Sample from the average with `ema.copyTo(otherInstance)`.
 */
import { noGrad } from '../autograd.js';
import { isFloat } from '../backend/backend.js';
import { ArgumentError } from '../errors.js';
import { keep, tidy } from '../memory.js';
import { add, clone, mul, sub } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { copyLike } from '../nn/copy.js';
import type { Module } from '../nn/module.js';

/** Options of `EMA`. */
export interface EMAOptions {
  /** The weight of the old average at each update (default 0.999), in [0, 1]. */
  decay?: number;
  /** Use min(decay, (1 + n) / (10 + n)) after n updates, so early averages are not dominated by the initial weights. */
  warmup?: boolean;
}

/**
 * An exponential moving average of a module's weights and running statistics (as timm's `ModelEma`
 * or `torch.optim.swa_utils.AveragedModel` with an EMA): call `update()` after each optimizer step
 * and sample from `copyTo(otherInstance)`. Throws `ArgumentError` for a decay outside [0, 1].
 */
export class EMA {
  /** The configured decay. */
  readonly decay: number;
  /** Whether the early updates use a smaller decay. */
  readonly warmup: boolean;
  /** Completed `update()` calls. */
  numUpdates = 0;
  /** The averaged tensors, by state-dict name. */
  readonly shadow = new Map<string, Tensor>();

  constructor(/** The module whose weights are averaged. */ readonly module: Module, opts: EMAOptions = {}) {
    this.decay = opts.decay ?? 0.999;
    this.warmup = opts.warmup ?? false;
    if (!(this.decay >= 0 && this.decay <= 1)) throw new ArgumentError(`EMA: decay must be in [0, 1], got ${this.decay}`);
    noGrad(() => {
      for (const [name, t] of Object.entries(module.stateDict())) this.shadow.set(name, keep(clone(t)));
    });
  }

  /** The decay the next update uses. */
  currentDecay(): number {
    return this.warmup ? Math.min(this.decay, (1 + this.numUpdates) / (10 + this.numUpdates)) : this.decay;
  }

  /**
   * Move the average toward the module's current weights by `1 - currentDecay()` (integer entries
   * are copied).
   */
  update(): void {
    const d = this.currentDecay();
    noGrad(() => tidy(() => {
      for (const [name, t] of Object.entries(this.module.stateDict())) {
        const s = this.shadow.get(name);
        if (!s) throw new ArgumentError(`EMA.update: the module gained a tensor '${name}' after the EMA was made`);
        // s + (1 - d)(t - s): the lerp form, exact when d = 0.
        s.assign_(isFloat(t.dtype) ? add(s, mul(sub(t, s), 1 - d)) : clone(t));
      }
    }));
    this.numUpdates++;
  }

  /** Load the averaged weights into `target` (another instance of the same architecture, or the module itself). */
  copyTo(target: Module): void {
    target.loadStateDict(Object.fromEntries(this.shadow));
  }

  /** The averaged tensors by state-dict name (for a checkpoint). */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.shadow);
  }

  /**
   * Restore the averaged tensors (and the update count) from `stateDict()`'s output. Throws
   * `ArgumentError` for a missing entry.
   */
  loadStateDict(state: Record<string, Tensor>, numUpdates = this.numUpdates): void {
    noGrad(() => {
      for (const [name, s] of this.shadow) {
        const v = state[name];
        if (!v) throw new ArgumentError(`EMA.loadStateDict: missing '${name}'`);
        const copy = copyLike(v, s, `EMA.loadStateDict '${name}'`);
        s.assign_(copy);
        copy.dispose();
      }
    });
    this.numUpdates = numUpdates;
  }
}
