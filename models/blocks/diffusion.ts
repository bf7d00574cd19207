/**
 * The diffusion process of notes 002 §4, shared by `ddpm` and `latent-diffusion`: the noise
 * schedule, the forward process in closed form, the ε-prediction loss, and the two samplers.
 *
 * Forward diffusion (notes 002 §4, "forward diffusion"): q(x_t | x_{t-1}) = N(√(1-β_t) x_{t-1}, β_t I)
 * for t = 1 … T. With α_t = 1 - β_t and ᾱ_t = Π_{s≤t} α_s it composes to
 * q(x_t | x_0) = N(√ᾱ_t x_0, (1-ᾱ_t) I), so x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε in one step.
 * Reverse denoising (notes 002 §4, "reverse denoising"): a network ε_θ(x_t, t) predicts the added
 * noise, trained on ‖ε - ε_θ(x_t, t)‖² (the notes' J(θ)). Code indexes time from 0: index i is
 * the notes' step t = i + 1, so x at index -1 is the data x_0.
 * Samplers: ancestral (DDPM's algorithm in the notes, σ_t z with σ_t² = β_t, no noise at the last
 * step) and DDIM (Song et al. 2021), which jumps along a subsequence of the steps and is
 * deterministic at η = 0.
 */
import * as T from '../../src/index.js';
import { ArgumentError } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

export type BetaSchedule = 'linear' | 'cosine';
export const BETA_SCHEDULES: readonly BetaSchedule[] = ['linear', 'cosine'];

export interface ScheduleConfig {
  /** Diffusion steps T (1000 in the DDPM paper). */
  timesteps: number;
  /** 'linear': β from 1e-4 to 0.02 (Ho et al.); 'cosine': ᾱ_t = cos²((t/T + s)/(1 + s)·π/2) (Nichol and Dhariwal). */
  schedule: BetaSchedule;
}

/**
 * What the U-Net's output is read as. 'epsilon': ε_θ itself (Ho et al.). 'velocity': v, turned
 * into ε_θ = √(1-ᾱ_t) x_t + √ᾱ_t v_θ before the loss and the samplers, so both still see an
 * ε-predictor and the loss is still ‖ε - ε_θ‖². Why it matters for a small, briefly trained net:
 * x̂_0 = (x_t - √(1-ᾱ_t) ε_θ) / √ᾱ_t multiplies an ε error by √((1-ᾱ_t)/ᾱ_t), 160x at t = T for
 * the linear schedule, and a net's output error is roughly the same at every t. Read as ε, an
 * output error of 0.1 is an x̂_0 error of 16 at t = T; read as v it is an x̂_0 error of 0.1, and
 * ε_θ ≈ x_t there (the exact answer up to √ᾱ_t) before any training.
 */
export type UNetOutput = 'epsilon' | 'velocity';
export const UNET_OUTPUTS: readonly UNetOutput[] = ['epsilon', 'velocity'];

/** The ε-predictor of a network `f(x_t, t)` whose output is read as `output`. */
export function asEpsilon(schedule: NoiseSchedule, output: UNetOutput, f: EpsilonModel): EpsilonModel {
  return output === 'epsilon' ? f : (x, t) => schedule.epsilonFromVelocity(x, t, f(x, t));
}

/** What both diffusion models configure: the schedule, their U-Net, the EMA and the sampler's steps. */
export interface DiffusionConfig extends ScheduleConfig {
  /** What the U-Net's output is read as ('velocity' by default; see `UNetOutput`). */
  output: UNetOutput;
  /** U-Net channels of the first level; the levels have width·mults, halved in size between them. */
  width: number;
  mults: number[];
  groups: number;
  /** Attention heads at the lowest level (0: none). */
  heads: number;
  /** EMA decay of the sampling weights (warmed up by `emaDecayAt`). */
  emaDecay: number;
  /** DDIM steps of `sample`. */
  steps: number;
}

/** β_t, α_t and ᾱ_t as float64 host arrays (index i is step t = i + 1). */
export class NoiseSchedule {
  readonly betas: Float64Array;
  readonly alphas: Float64Array;
  readonly alphaBars: Float64Array;

  constructor(readonly timesteps: number, kind: BetaSchedule = 'linear', betaStart = 1e-4, betaEnd = 0.02) {
    if (!Number.isInteger(timesteps) || timesteps < 1) throw new ArgumentError(`NoiseSchedule: timesteps must be a positive integer, got ${timesteps}`);
    this.betas = kind === 'cosine' ? cosineBetas(timesteps) : Float64Array.from({ length: timesteps }, (_, i) => betaStart + ((betaEnd - betaStart) * i) / Math.max(timesteps - 1, 1));
    this.alphas = this.betas.map((b) => 1 - b);
    // ᾱ as the library's cumulative product, in float64 on the host.
    const product = T.cumprod(T.tensor(this.alphas, { dtype: 'float64', device: 'cpu' }), 0);
    this.alphaBars = Float64Array.from(product.dataSync());
    product.dispose();
  }

  /** ᾱ at index i, with ᾱ at index -1 (no noise yet) equal to 1. */
  alphaBar(i: number): number {
    return i < 0 ? 1 : this.alphaBars[i]!;
  }

  /**
   * The posterior q(x_{t-1} | x_t, x_0) = N(c0·x_0 + ct·x_t, β̃_t I) at index i:
   * c0 = √ᾱ_{t-1} β_t / (1-ᾱ_t), ct = √α_t (1-ᾱ_{t-1}) / (1-ᾱ_t), β̃_t = β_t (1-ᾱ_{t-1}) / (1-ᾱ_t).
   */
  posterior(i: number): { c0: number; ct: number; variance: number } {
    const [beta, prev, now] = [this.betas[i]!, this.alphaBar(i - 1), this.alphaBar(i)];
    return { c0: (Math.sqrt(prev) * beta) / (1 - now), ct: (Math.sqrt(this.alphas[i]!) * (1 - prev)) / (1 - now), variance: (beta * (1 - prev)) / (1 - now) };
  }

  /** Per-example values of `table` at the step indices `t` (int32 [N]), shaped [N, 1, 1, 1] for broadcasting over images. */
  gather(table: Float64Array, t: Tensor, like: Tensor): Tensor {
    const column = T.tensor(Float32Array.from(table), { shape: [table.length, 1], dtype: like.dtype, device: like.device });
    return T.reshape(T.embedding(t, column), [t.shape[0]!, 1, 1, 1]);
  }

  /** x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε: a draw from q(x_t | x_0), for step indices t (int32 [N]). */
  qSample(x0: Tensor, t: Tensor, noise: Tensor): Tensor {
    const signal = this.gather(this.alphaBars.map(Math.sqrt), t, x0);
    const spread = this.gather(this.alphaBars.map((a) => Math.sqrt(1 - a)), t, x0);
    return T.add(T.mul(signal, x0), T.mul(spread, noise));
  }

  /**
   * ε from a network output read as the velocity v = √ᾱ_t ε - √(1-ᾱ_t) x_0 (Salimans and Ho 2022):
   * ε = √(1-ᾱ_t) x_t + √ᾱ_t v, and x̂_0 = √ᾱ_t x_t - √(1-ᾱ_t) v.
   */
  epsilonFromVelocity(x: Tensor, t: Tensor, v: Tensor): Tensor {
    return T.add(T.mul(this.gather(this.alphaBars.map((a) => Math.sqrt(1 - a)), t, x), x), T.mul(this.gather(this.alphaBars.map(Math.sqrt), t, x), v));
  }

  /** `steps` indices from T-1 down to 0, evenly spaced (DDIM's τ; all T of them for the full chain). */
  stride(steps: number): number[] {
    if (!Number.isInteger(steps) || steps < 1 || steps > this.timesteps) throw new ArgumentError(`sampler: steps must be an integer in [1, ${this.timesteps}], got ${steps}`);
    const out = Array.from({ length: steps }, (_, k) => Math.round(((steps - 1 - k) * (this.timesteps - 1)) / Math.max(steps - 1, 1)));
    return steps === 1 ? [this.timesteps - 1] : out;
  }
}

/** β_t from the cosine ᾱ, clipped at 0.999 as in Nichol and Dhariwal. */
function cosineBetas(steps: number, s = 0.008): Float64Array {
  const f = (t: number) => Math.cos(((t / steps + s) / (1 + s)) * (Math.PI / 2)) ** 2;
  return Float64Array.from({ length: steps }, (_, i) => Math.min(1 - f(i + 1) / f(i), 0.999));
}

/** The noise predictor: ε_θ(x_t, t) for images x_t at the step indices t (int32 [N]). */
export type EpsilonModel = (x: Tensor, t: Tensor) => Tensor;

/** The notes' J(θ) = ‖ε - ε_θ(x_t, t)‖², averaged over pixels and batch, with t uniform over the steps. */
export function epsilonLoss(schedule: NoiseSchedule, eps: EpsilonModel, x0: Tensor): Tensor {
  const t = T.randint(0, schedule.timesteps, [x0.shape[0]!], { device: x0.device, dtype: 'int32' });
  const noise = T.randnLike(x0);
  return T.mseLoss(eps(schedule.qSample(x0, t, noise), t), noise);
}

/** The EMA's decay at a step: min(decay, (1 + step)/(10 + step)), so the average forgets its random start quickly. */
export const emaDecayAt = (decay: number, step: number): number => Math.min(decay, (1 + step) / (10 + step));

const steps = (i: number, like: Tensor) => T.full([like.shape[0]!], i, { dtype: 'int32', device: like.device });

/**
 * One ancestral step of the notes' sampling algorithm at index i:
 * x_{t-1} = (x_t - β_t/√(1-ᾱ_t) ε_θ(x_t, t)) / √α_t + σ_t z, σ_t = √β_t, z = 0 at the last step.
 */
export function pSample(schedule: NoiseSchedule, eps: EpsilonModel, x: Tensor, i: number): Tensor {
  const [beta, alpha] = [schedule.betas[i]!, schedule.alphas[i]!];
  const mean = T.div(T.sub(x, T.mul(eps(x, steps(i, x)), beta / Math.sqrt(1 - schedule.alphaBars[i]!))), Math.sqrt(alpha));
  return i === 0 ? mean : T.add(mean, T.mul(T.randnLike(x), Math.sqrt(beta)));
}

/**
 * One DDIM step from index i to index `next` (-1: to the data), with x̂_0 predicted from ε:
 * x̂_0 = (x_t - √(1-ᾱ_t) ε) / √ᾱ_t,
 * x_next = √ᾱ_next x̂_0 + √(1-ᾱ_next-σ²) ε + σ z,  σ = η √((1-ᾱ_next)/(1-ᾱ_t)) √(1-ᾱ_t/ᾱ_next).
 * `clip` bounds x̂_0 (pixel space, where the data live in [-1, 1]).
 */
export function ddimStep(schedule: NoiseSchedule, eps: EpsilonModel, x: Tensor, i: number, next: number, eta: number, clip?: number): Tensor {
  const [now, after] = [schedule.alphaBar(i), schedule.alphaBar(next)];
  const e = eps(x, steps(i, x));
  let x0 = T.div(T.sub(x, T.mul(e, Math.sqrt(1 - now))), Math.sqrt(now));
  if (clip !== undefined) x0 = T.clamp(x0, -clip, clip);
  const sigma = eta * Math.sqrt((1 - after) / (1 - now)) * Math.sqrt(1 - now / after);
  const out = T.add(T.mul(x0, Math.sqrt(after)), T.mul(e, Math.sqrt(Math.max(1 - after - sigma * sigma, 0))));
  return sigma > 0 ? T.add(out, T.mul(T.randnLike(x), sigma)) : out;
}

export interface SamplerOptions {
  /** DDIM steps; `undefined` or T with `ancestral` runs the full ancestral chain. */
  steps: number;
  sampler: 'ancestral' | 'ddim';
  /** DDIM's η: 0 deterministic, 1 the ancestral chain's variance. */
  eta: number;
  /** Bound on DDIM's x̂_0 (pixel space); none in latent space. */
  clip?: number;
  /** Called with each intermediate x (for a trajectory grid); the tensor is freed after. */
  onStep?: (x: Tensor, index: number) => void;
}
export const SAMPLERS = ['ancestral', 'ddim'] as const;

/** x_T ~ N(0, I) of `shape`, denoised to x_0 by the chosen sampler; each step's intermediates are freed. */
export function denoise(schedule: NoiseSchedule, eps: EpsilonModel, xT: Tensor, opts: SamplerOptions): Tensor {
  const path = opts.sampler === 'ancestral' ? schedule.stride(schedule.timesteps) : schedule.stride(opts.steps);
  let x = xT;
  path.forEach((i, k) => {
    const next = T.tidy(() => (opts.sampler === 'ancestral' ? pSample(schedule, eps, x, i) : ddimStep(schedule, eps, x, i, path[k + 1] ?? -1, opts.eta, opts.clip)));
    if (x !== xT) x.dispose();
    x = next;
    opts.onStep?.(x, i);
  });
  return x;
}
