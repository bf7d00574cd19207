/**
 * Learning-rate schedules, as torch.optim.lr_scheduler: call `scheduler.step()` once per epoch
 * (or per iteration, for iteration-based schedules) after `optimizer.step()`.
 *
 * Every schedule here is a closed form of the step count and a group's initial learning rate, so
 * resuming from `stateDict()` needs only the step count, and schedules compose: `SequentialLR`
 * runs a warm-up and then a decay.
 */
import { ArgumentError } from '../errors.js';
import type { BaseOptions, Optimizer } from './optimizer.js';

/** The learning rate after `t` steps for a group whose initial rate is `base`. */
export type LrAt = (t: number, base: number) => number;

/**
 * A learning-rate schedule given as a closed form `lrAt(step, initialLr)`, as
 * `torch.optim.lr_scheduler.LambdaLR` (the named schedules extend it): call `step()` after
 * `optimizer.step()`.
 */
export class LRScheduler {
  /** The groups' initial learning rates (recorded in each group as `initialLr` by the first scheduler). */
  readonly baseLrs: number[];
  /** Completed `step()` calls (PyTorch's last_epoch). */
  lastEpoch = 0;

  constructor(/** The optimizer whose groups' `lr` is set. */ readonly optimizer: Optimizer<BaseOptions>, /** The schedule. */ readonly lrAt: LrAt) {
    this.baseLrs = optimizer.paramGroups.map((g) => (g.initialLr ??= g.lr));
    this.apply();
  }

  /** Advance one step and set every group's `lr` to the schedule's value. */
  step(): void {
    this.lastEpoch++;
    this.apply();
  }

  /** The groups' learning rates now. */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The step count, all a closed-form schedule needs to resume. */
  stateDict(): { lastEpoch: number } {
    return { lastEpoch: this.lastEpoch };
  }

  /** Resume at a saved step count and set the learning rates for it. */
  loadStateDict(state: { lastEpoch: number }): void {
    this.lastEpoch = state.lastEpoch;
    this.apply();
  }

  private apply(): void {
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = this.lrAt(this.lastEpoch, this.baseLrs[i]!)));
  }
}

function positiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new ArgumentError(`${name} must be a positive integer, got ${v}`);
}

/** lr = base * factor(t), for any factor function (torch's LambdaLR). */
export class LambdaLR extends LRScheduler {
  constructor(optimizer: Optimizer<BaseOptions>, factor: (t: number) => number) {
    super(optimizer, (t, base) => base * factor(t));
  }
}

/** lr = base * gamma^floor(t / stepSize). */
export class StepLR extends LRScheduler {
  constructor(optimizer: Optimizer<BaseOptions>, stepSize: number, gamma = 0.1) {
    positiveInt('StepLR: stepSize', stepSize);
    super(optimizer, (t, base) => base * gamma ** Math.floor(t / stepSize));
  }
}

/**
 * The factor moves linearly from `startFactor` to `endFactor` over `totalIters` steps, then stays.
 * Warm-up: `{ startFactor: 0.01, totalIters: 500 }`; linear decay to zero: `{ startFactor: 1, endFactor: 0, totalIters }`.
 */
export class LinearLR extends LRScheduler {
  constructor(optimizer: Optimizer<BaseOptions>, opts: { startFactor?: number; endFactor?: number; totalIters?: number } = {}) {
    const { startFactor = 1 / 3, endFactor = 1, totalIters = 5 } = opts;
    positiveInt('LinearLR: totalIters', totalIters);
    if (!(startFactor >= 0 && endFactor >= 0)) throw new ArgumentError(`LinearLR: factors must be >= 0, got ${startFactor} and ${endFactor}`);
    super(optimizer, (t, base) => base * (startFactor + ((endFactor - startFactor) * Math.min(t, totalIters)) / totalIters));
  }
}

/** Half a cosine from the base rate down to `etaMin` over `tMax` steps (SGDR without restarts). */
export class CosineAnnealingLR extends LRScheduler {
  constructor(optimizer: Optimizer<BaseOptions>, tMax: number, etaMin = 0) {
    positiveInt('CosineAnnealingLR: tMax', tMax);
    super(optimizer, (t, base) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * t) / tMax))) / 2);
  }
}

/**
 * Runs `schedulers[0]` until `milestones[0]`, then `schedulers[1]` counting from zero, and so on:
 * `new SequentialLR(opt, [warmup, cosine], [500])`.
 */
export class SequentialLR extends LRScheduler {
  constructor(optimizer: Optimizer<BaseOptions>, schedulers: readonly LRScheduler[], milestones: readonly number[]) {
    if (schedulers.length === 0 || milestones.length !== schedulers.length - 1) {
      throw new ArgumentError(`SequentialLR: expected ${Math.max(0, schedulers.length - 1)} milestones for ${schedulers.length} schedulers, got ${milestones.length}`);
    }
    if (schedulers.some((s) => s.optimizer !== optimizer)) throw new ArgumentError('SequentialLR: every scheduler must drive the same optimizer');
    super(optimizer, (t, base) => {
      let i = 0;
      while (i < milestones.length && t >= milestones[i]!) i++;
      return schedulers[i]!.lrAt(t - (i > 0 ? milestones[i - 1]! : 0), base);
    });
  }
}
