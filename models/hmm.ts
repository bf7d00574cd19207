/**
 * Hidden Markov model with the image rows as time (docs/models.md "Classical"; notes 002 §1.4, the HMM
 * as the generative model before deep learning, fitted by the maximum likelihood of §1.3).
 *
 * Model: a hidden state s_t ∈ {1..K} per row t = 1..28, a Markov chain p(s_1) = π,
 * p(s_t | s_{t-1}) = A, and each 28-pixel row drawn from a diagonal Gaussian of its state,
 * x_t ~ N(μ_s, diag σ²_s). Border pixels are constant, so variances are floored (σ² >= floor:
 * the maximum-likelihood estimate under that constraint, which keeps EM monotone).
 * Fit: Baum-Welch (EM). The forward and backward recursions run in log space with log-sum-exp,
 *   log α_t(k) = log b_k(x_t) + log Σ_j α_{t-1}(j) A_jk,
 *   log β_t(j) = log Σ_k A_jk b_k(x_{t+1}) β_{t+1}(k),
 * giving log p(x) = log Σ_k α_T(k), the state posteriors γ_t(k) and the transition posteriors
 * ξ_t(j, k), from which the M-step re-estimates π, A, μ and σ². Each training step is one EM
 * iteration on its batch (the whole dataset by default); the reported loss is the negative
 * log-likelihood per image, in nats, under the parameters the E-step used.
 * Sampling: ancestral, row by row: s_1 ~ π, x_t ~ N(μ_{s_t}, σ²_{s_t}), s_{t+1} ~ A[s_t].
 */
import { nn } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { logSumExp } from './blocks/linalg.js';
import { drawLog, f64, normals, read, hostLogLikelihood, hostTraining, requireCpu, toImages, uniforms, write } from './blocks/host.js';
import type { Batch, GenerativeModel } from './protocol.js';
import { registerModel } from './registry.js';

export interface HmmConfig {
  states: number;
  /** Sequence length T (rows) and emission size D (pixels per row); T * D = 784 for images. */
  steps: number;
  dim: number;
  varianceFloor: number;
}

/** Expected counts gathered by the E-step over a batch. */
interface Statistics {
  first: Float64Array;
  transitions: Float64Array;
  occupancy: Float64Array;
  sum: Float64Array;
  sumSquares: Float64Array;
  logLikelihood: number;
}

export class Hmm extends nn.Module implements GenerativeModel {
  initial!: Tensor;
  transitions!: Tensor;
  means!: Tensor;
  variances!: Tensor;

  constructor(readonly config: HmmConfig) {
    super();
    const { states: k, dim: d } = config;
    this.registerBuffer('initial', f64([k]));
    this.registerBuffer('transitions', f64([k, k]));
    this.registerBuffer('means', f64([k, d]));
    this.registerBuffer('variances', f64([k, d]));
  }

  get fitted(): boolean {
    return read(this.initial).some((p) => p > 0);
  }

  /** Uniform π and A; state k starts at a random image's row near height k·T/K, with the global row variance. */
  initialize(x: Float64Array, n: number): void {
    const { states: k, steps: t, dim: d, varianceFloor } = this.config;
    const u = uniforms(k);
    const means = new Float64Array(k * d);
    for (let s = 0; s < k; s++) {
      const row = Math.floor(u[s]! * n) * t + Math.floor(((s + 0.5) * t) / k);
      means.set(x.subarray(row * d, (row + 1) * d), s * d);
    }
    const mean = new Float64Array(d);
    const square = new Float64Array(d);
    for (let i = 0; i < n * t; i++) for (let j = 0; j < d; j++) {
      mean[j] += x[i * d + j]! / (n * t);
      square[j] += x[i * d + j]! ** 2 / (n * t);
    }
    const variances = new Float64Array(k * d).map((_, i) => Math.max(square[i % d]! - mean[i % d]! ** 2, varianceFloor));
    write(this.initial, new Float64Array(k).fill(1 / k));
    write(this.transitions, new Float64Array(k * k).fill(1 / k));
    write(this.means, means);
    write(this.variances, variances);
  }

  /** log b_k(x_t) for one sequence: [T, K]. */
  private logEmissions(seq: Float64Array, means: Float64Array, variances: Float64Array): Float64Array {
    const { states: k, steps: t, dim: d } = this.config;
    const out = new Float64Array(t * k);
    for (let s = 0; s < k; s++) {
      let constant = 0;
      for (let j = 0; j < d; j++) constant -= 0.5 * Math.log(2 * Math.PI * variances[s * d + j]!);
      for (let step = 0; step < t; step++) {
        let q = 0;
        for (let j = 0; j < d; j++) q += (seq[step * d + j]! - means[s * d + j]!) ** 2 / variances[s * d + j]!;
        out[step * k + s] = constant - 0.5 * q;
      }
    }
    return out;
  }

  /**
   * The forward-backward pass over n sequences: per-sequence log p(x), and (when `stats` is
   * asked for) the expected counts of the E-step.
   */
  forwardBackward(x: Float64Array, n: number, stats = false): { logLikelihood: Float64Array; statistics?: Statistics } {
    const { states: k, steps: t, dim: d } = this.config;
    const pi = read(this.initial);
    const a = read(this.transitions);
    const means = read(this.means);
    const variances = read(this.variances);
    const logLikelihood = new Float64Array(n);
    const st: Statistics = {
      first: new Float64Array(k), transitions: new Float64Array(k * k), occupancy: new Float64Array(k),
      sum: new Float64Array(k * d), sumSquares: new Float64Array(k * d), logLikelihood: 0,
    };
    const alpha = new Float64Array(t * k);
    const beta = new Float64Array(t * k);
    const scratch = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      const seq = x.subarray(i * t * d, (i + 1) * t * d);
      const logB = this.logEmissions(seq, means, variances);
      for (let s = 0; s < k; s++) alpha[s] = Math.log(pi[s]!) + logB[s]!;
      // Each log-sum-exp over j: factor out the largest α_{t-1}(j) so A stays a plain product.
      for (let step = 1; step < t; step++) {
        const prev = step * k - k;
        const m = Math.max(...alpha.subarray(prev, prev + k));
        for (let j = 0; j < k; j++) scratch[j] = Math.exp(alpha[prev + j]! - m);
        for (let s = 0; s < k; s++) {
          let sum = 0;
          for (let j = 0; j < k; j++) sum += scratch[j]! * a[j * k + s]!;
          alpha[step * k + s] = logB[step * k + s]! + m + Math.log(sum);
        }
      }
      const logZ = logSumExp(alpha, (t - 1) * k, t * k);
      logLikelihood[i] = logZ;
      if (!stats) continue;
      st.logLikelihood += logZ;
      beta.fill(0, (t - 1) * k, t * k);
      for (let step = t - 2; step >= 0; step--) {
        const next = (step + 1) * k;
        for (let s = 0; s < k; s++) scratch[s] = logB[next + s]! + beta[next + s]!;
        const m = Math.max(...scratch);
        for (let s = 0; s < k; s++) scratch[s] = Math.exp(scratch[s]! - m);
        for (let j = 0; j < k; j++) {
          let sum = 0;
          for (let s = 0; s < k; s++) sum += a[j * k + s]! * scratch[s]!;
          beta[step * k + j] = m + Math.log(sum);
          // ξ_t(j, s) = α_t(j) A_js b_s(x_{t+1}) β_{t+1}(s) / p(x) = γ_t(j) A_js b_s β_{t+1}(s) / β_t(j):
          // the second form is a ratio of shifted terms, so it cannot overflow.
          const g = Math.exp(alpha[step * k + j]! + beta[step * k + j]! - logZ);
          if (sum > 0) for (let s = 0; s < k; s++) st.transitions[j * k + s] += (g * a[j * k + s]! * scratch[s]!) / sum;
        }
      }
      for (let step = 0; step < t; step++) {
        for (let s = 0; s < k; s++) {
          const g = Math.exp(alpha[step * k + s]! + beta[step * k + s]! - logZ);
          if (step === 0) st.first[s] += g;
          st.occupancy[s] += g;
          for (let j = 0; j < d; j++) {
            const v = seq[step * d + j]!;
            st.sum[s * d + j] += g * v;
            st.sumSquares[s * d + j] += g * v * v;
          }
        }
      }
    }
    return { logLikelihood, statistics: stats ? st : undefined };
  }

  /** One Baum-Welch iteration on n sequences; returns the mean log p(x) under the parameters before it. */
  emStep(x: Float64Array, n: number): number {
    const { states: k, dim: d, varianceFloor } = this.config;
    const st = this.forwardBackward(x, n, true).statistics!;
    const transitions = new Float64Array(k * k);
    for (let j = 0; j < k; j++) {
      let row = 0;
      for (let s = 0; s < k; s++) row += st.transitions[j * k + s]!;
      for (let s = 0; s < k; s++) transitions[j * k + s] = row > 0 ? st.transitions[j * k + s]! / row : 1 / k;
    }
    const means = read(this.means);
    const variances = read(this.variances);
    for (let s = 0; s < k; s++) {
      // A state no sequence visits keeps its emission.
      if (st.occupancy[s]! < 1e-10) continue;
      for (let j = 0; j < d; j++) {
        const mu = st.sum[s * d + j]! / st.occupancy[s]!;
        means[s * d + j] = mu;
        variances[s * d + j] = Math.max(st.sumSquares[s * d + j]! / st.occupancy[s]! - mu * mu, varianceFloor);
      }
    }
    write(this.initial, st.first.map((g) => g / n));
    write(this.transitions, transitions);
    write(this.means, means);
    write(this.variances, variances);
    return st.logLikelihood / n;
  }

  /** log p(x) per image [N] by the forward algorithm, in nats (a density over [0, 1]^784). */
  logLikelihood(batch: Batch): Tensor {
    return hostLogLikelihood(batch, 'hmm', (x, n) => this.forwardBackward(x, n).logLikelihood);
  }

  sample(n: number): Tensor {
    const { states: k, steps: t, dim: d } = this.config;
    const logPi = read(this.initial).map(Math.log);
    const logA = read(this.transitions).map(Math.log);
    const means = read(this.means);
    const sd = read(this.variances).map(Math.sqrt);
    const u = uniforms(n * t);
    const eps = normals(n * t * d);
    const x = new Float64Array(n * t * d);
    for (let i = 0; i < n; i++) {
      let s = drawLog(logPi, 0, k, u[i * t]!);
      for (let step = 0; step < t; step++) {
        if (step > 0) s = drawLog(logA, s * k, k, u[i * t + step]!);
        for (let j = 0; j < d; j++) {
          const o = (i * t + step) * d + j;
          x[o] = means[s * d + j]! + sd[s * d + j]! * eps[o]!;
        }
      }
    }
    return toImages(x, n);
  }
}

export const hmm = registerModel({
  name: 'hmm',
  description: 'HMM over image rows (24 states, diagonal Gaussian emissions), Baum-Welch in log space (host, float64)',
  notes: 'notes 002 §1.3',
  dataRange: [0, 1],
  fields: ['images'],
  devices: ['cpu'],
  config: { states: 24, steps: 28, dim: 28, varianceFloor: 0.01 } as HmmConfig,
  training: { batch: 10000, lr: 1, steps: 30, sampleEvery: 10 },
  build: (config, device) => {
    requireCpu('hmm', device);
    return new Hmm(config);
  },
  train: (model) => hostTraining('hmm', (x, n) => {
    if (!model.fitted) model.initialize(x, n);
    return -model.emStep(x, n);
  }),
});
