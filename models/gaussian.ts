/**
 * A single multivariate Gaussian over the 784 pixels (docs/models.md "Classical"; notes 002 §1.2, the
 * `np.mean` / `np.cov` / `multivariate_normal` example, and §1.3 maximum likelihood).
 *
 * Model: p(x) = N(x; μ, Σ + λI). Border pixels are constant across the data, so the sample
 * covariance Σ is singular; the ridge λI makes the density proper and the Cholesky factor exist.
 * Fit: the closed-form maximum-likelihood estimate, μ the sample mean and Σ the sample covariance
 * (divided by N). Each training step merges one batch into the running estimate with the
 * parallel-variance update of Chan et al., so after one epoch the parameters are exactly the MLE
 * of the dataset (whole extra epochs leave it unchanged). The reported loss is the negative
 * log-likelihood per image of the batch, in nats, under the updated fit.
 * Sampling: x = μ + L ε with ε ~ N(0, I) and L the float64 Cholesky factor of Σ + λI.
 */
import { nn } from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { cholesky, choleskyLogDet, meanAndCovariance, mulLower, solveLower } from './blocks/linalg.js';
import { f64, hostLogLikelihood, hostTraining, normals, read, requireCpu, toImages, write } from './blocks/host.js';
import type { Batch, GenerativeModel } from './protocol.js';
import { registerModel } from './registry.js';

export interface GaussianConfig {
  /** λ added to the covariance diagonal. */
  ridge: number;
}

const DIM = 784;

export class Gaussian extends nn.Module implements GenerativeModel {
  mean!: Tensor;
  covariance!: Tensor;
  /** Images merged into the estimate so far. */
  count!: Tensor;

  constructor(readonly config: GaussianConfig) {
    super();
    this.registerBuffer('mean', f64([DIM]));
    this.registerBuffer('covariance', f64([DIM, DIM]));
    this.registerBuffer('count', f64([1]));
  }

  /** Merge n rows of x into the maximum-likelihood estimate. */
  fit(x: Float64Array, n: number): void {
    const batch = meanAndCovariance(x, n, DIM);
    const seen = read(this.count)[0]!;
    const total = seen + n;
    const mean = read(this.mean);
    const cov = read(this.covariance);
    const delta = batch.mean.map((m, j) => m - mean[j]!);
    for (let j = 0; j < DIM; j++) mean[j] += (delta[j]! * n) / total;
    for (let i = 0; i < DIM; i++) {
      for (let j = 0; j < DIM; j++) {
        const k = i * DIM + j;
        cov[k] = (seen * cov[k]! + n * batch.covariance[k]! + (delta[i]! * delta[j]! * seen * n) / total) / total;
      }
    }
    write(this.mean, mean);
    write(this.covariance, cov);
    write(this.count, Float64Array.of(total));
  }

  /** The Cholesky factor of Σ + λI. */
  factor(): Float64Array {
    const c = read(this.covariance);
    for (let i = 0; i < DIM; i++) c[i * DIM + i] += this.config.ridge;
    return cholesky(c, DIM);
  }

  /** log p(x) per image of a batch [N], in nats (a density over [0, 1]^784). */
  logLikelihood(batch: Batch): Tensor {
    return hostLogLikelihood(batch, 'gaussian', (x, n) => this.logDensity(x, n));
  }

  /** log p(x) of each of n rows, in nats. */
  logDensity(x: Float64Array, n: number): Float64Array {
    const l = this.factor();
    const mean = read(this.mean);
    const constant = -0.5 * (DIM * Math.log(2 * Math.PI) + choleskyLogDet(l, DIM));
    const out = new Float64Array(n);
    const centred = new Float64Array(DIM);
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < DIM; j++) centred[j] = x[r * DIM + j]! - mean[j]!;
      const z = solveLower(l, DIM, centred);
      out[r] = constant - 0.5 * z.reduce((s, v) => s + v * v, 0);
    }
    return out;
  }

  /** n images μ + L ε, clamped to the pixel range. */
  sample(n: number): Tensor {
    const l = this.factor();
    const mean = read(this.mean);
    const eps = normals(n * DIM);
    const x = new Float64Array(n * DIM);
    for (let r = 0; r < n; r++) {
      const y = mulLower(l, DIM, eps.subarray(r * DIM, (r + 1) * DIM));
      for (let j = 0; j < DIM; j++) x[r * DIM + j] = mean[j]! + y[j]!;
    }
    return toImages(x, n);
  }
}

export const gaussian = registerModel({
  name: 'gaussian',
  description: 'one Gaussian N(μ, Σ + λI) over the pixels: closed-form MLE, Cholesky sampling (host, float64)',
  notes: 'notes 002 §1.2-1.3',
  dataRange: [0, 1],
  fields: ['images'],
  devices: ['cpu'],
  config: { ridge: 1e-4 } as GaussianConfig,
  training: { batch: 500, lr: 1, steps: 20, sampleEvery: 0 },
  build: (config, device) => {
    requireCpu('gaussian', device);
    return new Gaussian(config);
  },
  train: (model) => hostTraining('gaussian', (x, n) => {
    model.fit(x, n);
    return -model.logDensity(x, n).reduce((s, v) => s + v, 0) / n;
  }),
});
