/**
 * Gaussian mixture model on PCA features (docs/models.md "Classical"; notes 002 §1.2, the
 * `sklearn.mixture.GaussianMixture` example, fitted by the maximum likelihood of §1.3).
 *
 * Model: the images are projected on their top P principal components, z = Wᵀ(x - μ), and
 * p(z) = Σ_k π_k N(z; m_k, Σ_k) with full or diagonal Σ_k. To be a density over the 784 pixels
 * (comparable with `gaussian` and `hmm`), the residual outside the PCA subspace gets an isotropic
 * Gaussian N(0, σ²I) with σ² the mean discarded eigenvalue:
 *   log p(x) = log Σ_k π_k N(z; m_k, Σ_k) + log N(x - μ - Wz; 0, σ²I).
 * Fit: the first training step fits the PCA and starts the components at random images; every
 * step is then one EM iteration on its batch, in log space: the E-step turns log π_k + log N into
 * responsibilities with log-sum-exp, the M-step re-estimates π, m and Σ from them (plus a small
 * ridge, as the features have tiny directions). The reported loss is the negative
 * log-likelihood per image, in nats, of the parameters the E-step used, so with the whole dataset
 * as the batch (the default on the embedded digits) it never increases.
 * Sampling: pick k ~ π, draw z = m_k + L_k ε (L_k the Cholesky factor of Σ_k), and map back to
 * pixels as μ + Wz (the white residual noise is left out of pictures).
 */
import { nn } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { cholesky, choleskyLogDet, logSumExp, matmul, meanAndCovariance, mulLower, solveLower, topEigen } from './blocks/linalg.js';
import { drawLog, f64, normals, read, hostLogLikelihood, hostTraining, requireCpu, toImages, uniforms, write } from './blocks/host.js';
import type { Batch, GenerativeModel } from './protocol.js';
import { registerModel } from './registry.js';

export interface GmmConfig {
  components: number;
  /** PCA dimension P. */
  features: number;
  covariance: 'full' | 'diagonal';
  /** Ridge added to every Σ_k. */
  reg: number;
}

const DIM = 784;
const LOG_2PI = Math.log(2 * Math.PI);

export class Gmm extends nn.Module implements GenerativeModel {
  pcaMean!: Tensor;
  pcaBasis!: Tensor;
  residualVariance!: Tensor;
  weights!: Tensor;
  means!: Tensor;
  covariances!: Tensor;

  constructor(readonly config: GmmConfig) {
    super();
    const { components: k, features: p } = config;
    this.registerBuffer('pcaMean', f64([DIM]));
    this.registerBuffer('pcaBasis', f64([DIM, p]));
    this.registerBuffer('residualVariance', f64([1]));
    this.registerBuffer('weights', f64([k]));
    this.registerBuffer('means', f64([k, p]));
    this.registerBuffer('covariances', f64([k, p, p]));
  }

  /** Whether the PCA and the starting components exist (a fresh model has all-zero weights). */
  get fitted(): boolean {
    return read(this.weights).some((w) => w > 0);
  }

  /** PCA of the batch, then K random images as the means, each Σ_k the global feature covariance. */
  initialize(x: Float64Array, n: number): void {
    const { components: k, features: p } = this.config;
    const { mean, covariance } = meanAndCovariance(x, n, DIM);
    const pca = topEigen(covariance, DIM, p, normals(DIM * (p + 10)));
    let trace = 0;
    for (let i = 0; i < DIM; i++) trace += covariance[i * DIM + i]!;
    const kept = pca.values.reduce((s, v) => s + v, 0);
    write(this.pcaMean, mean);
    write(this.pcaBasis, pca.vectors);
    write(this.residualVariance, Float64Array.of(Math.max((trace - kept) / (DIM - p), 1e-6)));
    const z = this.project(x, n);
    const u = uniforms(k);
    const means = new Float64Array(k * p);
    const covariances = new Float64Array(k * p * p);
    for (let c = 0; c < k; c++) {
      const row = Math.floor(u[c]! * n);
      means.set(z.subarray(row * p, (row + 1) * p), c * p);
      for (let i = 0; i < p; i++) covariances[c * p * p + i * p + i] = pca.values[i]!;
    }
    write(this.weights, new Float64Array(k).fill(1 / k));
    write(this.means, means);
    write(this.covariances, covariances);
  }

  /** PCA features z = Wᵀ(x - μ) of n rows [n, P]. */
  project(x: Float64Array, n: number): Float64Array {
    const mean = read(this.pcaMean);
    const centred = x.map((v, i) => v - mean[i % DIM]!);
    return matmul(centred, read(this.pcaBasis), n, DIM, this.config.features);
  }

  /** Cholesky factors of the Σ_k (ridge included) and their log-determinants. */
  factors(): { l: Float64Array[]; logDet: number[] } {
    const { components: k, features: p } = this.config;
    const cov = read(this.covariances);
    const l = Array.from({ length: k }, (_, c) => cholesky(cov.subarray(c * p * p, (c + 1) * p * p), p));
    return { l, logDet: l.map((lc) => choleskyLogDet(lc, p)) };
  }

  /**
   * E-step: log π_k + log N(z_i; m_k, Σ_k) as [n, K], and log p(x_i) per image (the mixture's
   * log-sum-exp plus the residual's isotropic Gaussian).
   */
  logJoint(x: Float64Array, n: number): { z: Float64Array; joint: Float64Array; logLikelihood: Float64Array } {
    const { components: k, features: p } = this.config;
    const z = this.project(x, n);
    const { l, logDet } = this.factors();
    const logWeights = read(this.weights).map(Math.log);
    const means = read(this.means);
    const joint = new Float64Array(n * k);
    const centred = new Float64Array(p);
    for (let c = 0; c < k; c++) {
      const constant = logWeights[c]! - 0.5 * (p * LOG_2PI + logDet[c]!);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < p; j++) centred[j] = z[i * p + j]! - means[c * p + j]!;
        const y = solveLower(l[c]!, p, centred);
        joint[i * k + c] = constant - 0.5 * y.reduce((s, v) => s + v * v, 0);
      }
    }
    const variance = read(this.residualVariance)[0]!;
    const mean = read(this.pcaMean);
    const logLikelihood = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let residual = 0;
      for (let j = 0; j < DIM; j++) residual += (x[i * DIM + j]! - mean[j]!) ** 2;
      for (let j = 0; j < p; j++) residual -= z[i * p + j]! ** 2;
      const outside = -0.5 * ((DIM - p) * Math.log(2 * Math.PI * variance) + Math.max(residual, 0) / variance);
      logLikelihood[i] = logSumExp(joint, i * k, (i + 1) * k) + outside;
    }
    return { z, joint, logLikelihood };
  }

  /** One EM iteration on n rows; returns the mean log p(x) under the parameters before it. */
  emStep(x: Float64Array, n: number): number {
    const { components: k, features: p, covariance, reg } = this.config;
    const { z, joint, logLikelihood } = this.logJoint(x, n);
    // Responsibilities r_ik = exp(log joint - log-sum-exp over k).
    const r = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      const norm = logSumExp(joint, i * k, (i + 1) * k);
      for (let c = 0; c < k; c++) r[i * k + c] = Math.exp(joint[i * k + c]! - norm);
    }
    const weights = new Float64Array(k);
    const means = new Float64Array(k * p);
    const covariances = new Float64Array(k * p * p);
    for (let c = 0; c < k; c++) {
      let nk = 0;
      for (let i = 0; i < n; i++) nk += r[i * k + c]!;
      // An emptied component keeps a tiny weight rather than a log of zero.
      nk = Math.max(nk, 1e-10);
      weights[c] = nk / n;
      for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) means[c * p + j] += (r[i * k + c]! * z[i * p + j]!) / nk;
      const cov = covariances.subarray(c * p * p, (c + 1) * p * p);
      const d = new Float64Array(p);
      for (let i = 0; i < n; i++) {
        const w = r[i * k + c]! / nk;
        if (w < 1e-12) continue;
        for (let j = 0; j < p; j++) d[j] = z[i * p + j]! - means[c * p + j]!;
        for (let a = 0; a < p; a++) for (let b = 0; b <= a; b++) cov[a * p + b] += w * d[a]! * d[b]!;
      }
      for (let a = 0; a < p; a++) {
        for (let b = 0; b < a; b++) {
          if (covariance === 'full') cov[b * p + a] = cov[a * p + b]!;
          else cov[a * p + b] = 0;
        }
        cov[a * p + a] += reg;
      }
    }
    write(this.weights, weights);
    write(this.means, means);
    write(this.covariances, covariances);
    return logLikelihood.reduce((s, v) => s + v, 0) / n;
  }

  /** log p(z) per image [N] of its PCA features z, in nats (the mixture is a density over the PCA space). */
  logLikelihood(batch: Batch): Tensor {
    return hostLogLikelihood(batch, 'gmm', (x, n) => this.logJoint(x, n).logLikelihood);
  }

  sample(n: number): Tensor {
    const { components: k, features: p } = this.config;
    const logWeights = read(this.weights).map(Math.log);
    const means = read(this.means);
    const { l } = this.factors();
    const u = uniforms(n);
    const eps = normals(n * p);
    const z = new Float64Array(n * p);
    for (let i = 0; i < n; i++) {
      const c = drawLog(logWeights, 0, k, u[i]!);
      const y = mulLower(l[c]!, p, eps.subarray(i * p, (i + 1) * p));
      for (let j = 0; j < p; j++) z[i * p + j] = means[c * p + j]! + y[j]!;
    }
    const basisT = transpose(read(this.pcaBasis), DIM, p);
    const mean = read(this.pcaMean);
    return toImages(matmul(z, basisT, n, p, DIM).map((v, i) => v + mean[i % DIM]!), n);
  }
}

function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c]!;
  return t;
}

export const gmm = registerModel({
  name: 'gmm',
  description: 'Gaussian mixture (K=16, full covariance) on PCA-50 features, EM in log space (host, float64)',
  notes: 'notes 002 §1.3',
  dataRange: [0, 1],
  fields: ['images'],
  devices: ['cpu'],
  config: { components: 16, features: 50, covariance: 'full', reg: 1e-3 } as GmmConfig,
  choices: { covariance: ['full', 'diagonal'] },
  training: { batch: 10000, lr: 1, steps: 40, sampleEvery: 10 },
  build: (config, device) => {
    requireCpu('gmm', device);
    return new Gmm(config);
  },
  train: (model) => hostTraining('gmm', (x, n) => {
    if (!model.fitted) model.initialize(x, n);
    return -model.emStep(x, n);
  }),
});
