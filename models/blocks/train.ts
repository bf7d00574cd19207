/**
 * The training blocks every model shares, so no model file carries its own copy of the
 * `zeroGrad -> loss -> backward -> step` loop:
 * - `minimize`: one step of one optimizer on one objective;
 * - `adversarialRound`: the two-player update of the GANs (notes 003 "GANs 훈련 과정"): k critic
 *   steps, then one generator step against the frozen critic, with an optional gradient penalty
 *   (WGAN-GP, R1, lazily every few steps) and an EMA of the generator's weights for sampling;
 * - `evaluating`: run a sampler in eval mode without a tape.
 */
import * as T from '../../src/index.js';
import { nn } from '../../src/index.js';
import type { DeviceName, Tensor, optim } from '../../src/index.js';
import type { Batch, BatchField, StepContext } from '../protocol.js';

type Losses = Record<string, Tensor>;

/**
 * One step of `optimizer` on `objective`: zero the gradients, evaluate, back-propagate the loss
 * named `loss` (or the first one), step. Intermediates are freed; the losses are returned detached.
 */
export function minimize<L extends Losses>(optimizer: optim.Optimizer, objective: () => L): L {
  return T.tidy(() => {
    optimizer.zeroGrad();
    const losses = objective();
    (losses.loss ?? Object.values(losses)[0]!).backward();
    optimizer.step();
    // Detached, so a caller that keeps a loss does not keep the step's graph alive.
    return Object.fromEntries(Object.entries(losses).map(([k, t]) => [k, t.detach()])) as L;
  });
}

/** The tensor `field` of a batch, or a typed error naming the model and the fields the batch has. */
export function requireField(batch: Batch, field: BatchField, model: string): Tensor {
  const t = batch[field];
  if (!t) throw new T.ArgumentError(`${model}: the batch has no '${field}' (it has ${Object.keys(batch).join(', ') || 'nothing'})`);
  return t;
}

/** The device a module's weights are on. */
export function deviceOf(module: nn.Module): DeviceName {
  const first = module.parameters()[0] ?? Object.values(module.stateDict())[0];
  return first?.device ?? T.getDefaultDevice();
}

/** Runs `fn` with `module` in eval mode (BN running statistics, dropout off) and no tape, restoring its mode after. */
export function evaluating<R extends Tensor>(module: nn.Module, fn: () => R): R {
  const wasTraining = module.training;
  module.eval();
  try {
    return T.noGrad(() => T.tidy(fn));
  } finally {
    module.train(wasTraining);
  }
}

/** A penalty on the critic's gradient with respect to its input, added to the critic's loss. */
export interface GradientPenalty {
  /**
   * 'wgan-gp': λ E (‖∇D(x̂)‖ - 1)² at random points x̂ between real and fake (Gulrajani et al.);
   * 'r1': λ/2 E ‖∇D(x)‖² at real data (Mescheder et al.; StyleGAN).
   */
  kind: 'wgan-gp' | 'r1';
  weight: number;
  /**
   * Lazy regularisation (StyleGAN2): apply every `every` steps with weight λ·every, so the
   * expected penalty is the same at a fraction of the cost. Default 1.
   */
  every?: number;
}

/** Per-example squared norms [N] of the gradient of sum(critic(x)) at x. */
function inputGradientNorm2(critic: (x: Tensor) => Tensor, x: Tensor): Tensor {
  const at = x.detach().requiresGrad_(true);
  const [g] = T.gradients(T.sum(critic(at)), [at], { createGraph: true });
  // The loss's backward would otherwise leave a .grad on this throwaway leaf, which nothing frees.
  at.requiresGrad_(false);
  return T.sum(T.square(T.flatten(g!, 1)), 1);
}

/** WGAN-GP's term: λ E (‖∇D(x̂)‖₂ - 1)², x̂ = εx + (1-ε)x̃ with ε ~ U(0, 1) per example. */
export function wganGradientPenalty(critic: (x: Tensor) => Tensor, real: Tensor, fake: Tensor, weight: number): Tensor {
  const eps = T.rand([real.shape[0]!, ...real.shape.slice(1).map(() => 1)], { device: real.device });
  const mixed = T.add(T.mul(eps, real.detach()), T.mul(T.sub(1, eps), fake.detach()));
  return T.mul(T.mean(T.square(T.sub(T.sqrt(T.add(inputGradientNorm2(critic, mixed), 1e-12)), 1))), weight);
}

/** R1: λ/2 E ‖∇D(x)‖² at the real data. */
export function r1Penalty(critic: (x: Tensor) => Tensor, real: Tensor, weight: number): Tensor {
  return T.mul(T.mean(inputGradientNorm2(critic, real)), weight / 2);
}

export interface AdversarialParts {
  /** The critic's (discriminator's) modules: frozen during the generator step. */
  critic: nn.Module;
  optD: optim.Optimizer;
  optG: optim.Optimizer;
  /** The critic's loss; `i` counts the critic steps of this round (fresh fakes per step are the caller's choice). */
  dLoss: (i: number) => Tensor;
  gLoss: () => Tensor;
  /** Critic steps per generator step (WGAN: 5). Default 1. */
  criticSteps?: number;
  /** Gradient penalty: the critic as a function of images, the real batch and a fake batch. */
  penalty?: GradientPenalty & { critic: (x: Tensor) => Tensor; real: Tensor; fake: () => Tensor };
  /** An averaged copy of the generator, updated after each generator step (sampling uses it). */
  ema?: { average: nn.Module; source: nn.Module; decay: number };
}

/**
 * One round of the game: `criticSteps` critic updates on `dLoss` (+ the penalty when due), then one
 * generator update on `gLoss` with the critic's weights frozen (the notes' "분별망 가중치를 고정"),
 * so G's loss moves only G. Returns the last critic loss `d`, the generator loss `g` and the
 * penalty `gp` when one was applied.
 */
export function adversarialRound(parts: AdversarialParts, context: StepContext): Losses {
  const out: Losses = {};
  for (let i = 0; i < (parts.criticSteps ?? 1); i++) {
    const losses = minimize(parts.optD, (): Losses => {
      const d = parts.dLoss(i);
      const p = parts.penalty;
      const every = p?.every ?? 1;
      if (!p || context.step % every !== 0) return { loss: d, d };
      const gp = p.kind === 'r1' ? r1Penalty(p.critic, p.real, p.weight * every) : wganGradientPenalty(p.critic, p.real, p.fake(), p.weight * every);
      return { loss: T.add(d, gp), d, gp };
    });
    const { loss, ...terms } = losses;
    if (loss !== terms.d) loss.dispose();
    for (const t of Object.values(out)) t.dispose();
    Object.assign(out, terms);
  }
  parts.critic.requiresGrad_(false);
  try {
    out.g = minimize(parts.optG, () => ({ loss: parts.gLoss() })).loss;
  } finally {
    parts.critic.requiresGrad_(true);
  }
  if (parts.ema) updateEma(parts.ema.average, parts.ema.source, parts.ema.decay);
  return { d: out.d!, g: out.g, ...(out.gp ? { gp: out.gp } : {}) };
}

/**
 * The EMA decay at `step`: min(decay, (1 + step) / (10 + step)), so an average of a short run is not
 * mostly the initial weights (the warm-up of TensorFlow's ExponentialMovingAverage with num_updates).
 */
export function warmedDecay(decay: number, step: number): number {
  return Math.min(decay, (1 + step) / (10 + step));
}

/**
 * The `ema` part of an adversarial round for a generator `source` whose average is `average` (none
 * when the model keeps no average), with the decay warmed up at `step`: spread it into the parts.
 */
export function warmedEma(average: nn.Module | undefined, source: nn.Module, decay: number, step: number): Pick<AdversarialParts, 'ema'> {
  return average ? { ema: { average, source, decay: warmedDecay(decay, step) } } : {};
}

/** A frozen copy of `source` made by `make` (same architecture) holding its current weights: the start of an EMA. */
export function averagedCopy<M extends nn.Module>(source: M, make: () => M): M {
  const copy = make();
  copy.loadStateDict(source.stateDict());
  copy.requiresGrad_(false);
  return copy;
}

/** average ← decay·average + (1 - decay)·source, for every floating-point entry of the state dicts. */
export function updateEma(average: nn.Module, source: nn.Module, decay: number): void {
  const from = source.stateDict();
  // decay and 1 - decay as tensors made for this call: a warmed-up decay differs at every step, and
  // as number literals each value would take a slot of the ops' shared constant cache.
  const weights = new Map<string, [Tensor, Tensor]>();
  const weightsFor = (t: Tensor): [Tensor, Tensor] => {
    const key = `${t.device}:${t.dtype}`;
    if (!weights.has(key)) weights.set(key, [decay, 1 - decay].map((v) => T.tensor([v], { shape: [], dtype: t.dtype, device: t.device })) as [Tensor, Tensor]);
    return weights.get(key)!;
  };
  T.noGrad(() => {
    for (const [name, target] of Object.entries(average.stateDict())) {
      const value = from[name];
      if (!value) continue;
      const integer = target.dtype === 'int32' || target.dtype === 'bool';
      // Made outside the tidy, which would dispose them with its temporaries.
      const [keep, take] = integer ? [] : weightsFor(target);
      const next = T.tidy(() => (integer ? T.clone(value) : T.add(T.mul(target, keep!), T.mul(value, take!))));
      target.assign_(next);
      next.dispose();
    }
  });
  for (const pair of weights.values()) for (const t of pair) t.dispose();
}
