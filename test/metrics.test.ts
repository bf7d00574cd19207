// Generative metrics against their closed forms: FID of Gaussians, FID(x, x) = 0, KID's
// unbiasedness, precision = recall = 1 for identical sets, IS of uniform one-hot predictions,
// and the perceptual path length of a path with a known step.
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { metrics } from '../src/index.js';
import { philoxFill, seedToKey } from '../src/random.js';

const normals = (n: number, seed: number, stream = 0) => {
  const out = new Float64Array(n);
  philoxFill(out, 'normal', seedToKey(seed), stream);
  return out;
};

/** n rows of d: x = z A + mu for standard normal z. */
function gaussianRows(n: number, d: number, a: Float64Array, mu: ArrayLike<number>, seed: number): Float64Array {
  const z = normals(n * d, seed);
  const out = new Float64Array(n * d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) {
    let s = mu[j]!;
    for (let k = 0; k < d; k++) s += z[r * d + k]! * a[k * d + j]!;
    out[r * d + j] = s;
  }
  return out;
}

const stats = (mean: number[], cov: number[]): metrics.GaussianStats => ({ mean: Float64Array.from(mean), cov: Float64Array.from(cov), dim: mean.length, n: Infinity });

describe('FID', () => {
  it('equals the closed form for two non-commuting 2x2 Gaussians', () => {
    const s1 = [2, 0.6, 0.6, 1];
    const s2 = [1, -0.3, -0.3, 0.5];
    // A 2x2 product with positive eigenvalues λ1, λ2: (√λ1 + √λ2)² = tr(Σ1Σ2) + 2 √det(Σ1Σ2).
    const tr12 = s1[0]! * s2[0]! + s1[1]! * s2[2]! + s1[2]! * s2[1]! + s1[3]! * s2[3]!;
    const det = (s1[0]! * s1[3]! - s1[1]! ** 2) * (s2[0]! * s2[3]! - s2[1]! ** 2);
    const analytic = (1 - 0.5) ** 2 + (-2 - 1) ** 2 + 3 + 1.5 - 2 * Math.sqrt(tr12 + 2 * Math.sqrt(det));
    expect(metrics.frechetDistance(stats([1, -2], s1), stats([0.5, 1], s2))).toBeCloseTo(analytic, 12);
  });

  it('equals Σ(√a − √b)² + ‖Δμ‖² for covariances with shared eigenvectors (d = 24)', () => {
    const d = 24;
    // A random orthogonal Q from the eigenvectors of a random symmetric matrix.
    const r = normals(d * d, 5);
    const sym = Float64Array.from({ length: d * d }, (_, k) => r[k]! + r[(k % d) * d + Math.floor(k / d)]!);
    const q = metrics.eigh(sym, d).vectors;
    const a = Float64Array.from({ length: d }, (_, i) => 0.1 + i);
    const b = Float64Array.from({ length: d }, (_, i) => 3 + Math.sin(i));
    const cov = (ev: Float64Array) => Float64Array.from({ length: d * d }, (_, k) => {
      const [i, j] = [Math.floor(k / d), k % d];
      let s = 0;
      for (let m = 0; m < d; m++) s += q[i * d + m]! * ev[m]! * q[j * d + m]!;
      return s;
    });
    const mu1 = normals(d, 6), mu2 = normals(d, 7);
    let analytic = 0;
    for (let i = 0; i < d; i++) analytic += (Math.sqrt(a[i]!) - Math.sqrt(b[i]!)) ** 2 + (mu1[i]! - mu2[i]!) ** 2;
    const value = metrics.frechetDistance({ mean: mu1, cov: cov(a), dim: d, n: 0 }, { mean: mu2, cov: cov(b), dim: d, n: 0 });
    expect(value).toBeCloseTo(analytic, 9);
  });

  it('of samples approaches the analytic FID of their Gaussians', () => {
    const d = 3;
    const a1 = Float64Array.from([1, 0, 0, 0.5, 1, 0, 0, 0, 2]);
    const a2 = Float64Array.from([1.5, 0, 0, 0, 0.5, 0, 0.2, 0, 1]);
    // Rows z A have covariance AᵀA.
    const covOf = (a: Float64Array) => Float64Array.from({ length: 9 }, (_, k) => {
      const [i, j] = [Math.floor(k / 3), k % 3];
      let s = 0;
      for (let m = 0; m < 3; m++) s += a[m * 3 + i]! * a[m * 3 + j]!;
      return s;
    });
    const analytic = metrics.frechetDistance({ mean: Float64Array.from([0, 0, 0]), cov: covOf(a1), dim: 3, n: 0 }, { mean: Float64Array.from([1, 0, -1]), cov: covOf(a2), dim: 3, n: 0 });
    const { value, n1 } = metrics.fid(gaussianRows(40000, d, a1, [0, 0, 0], 1), gaussianRows(40000, d, a2, [1, 0, -1], 2), d);
    expect(n1).toBe(40000);
    expect(Math.abs(value - analytic)).toBeLessThan(0.03 * analytic);
  });

  it('FID(x, x) is 0', () => {
    const x = gaussianRows(300, 32, Float64Array.from(normals(32 * 32, 3)), normals(32, 4), 8);
    const { value } = metrics.fid(x, x, 32);
    expect(Math.abs(value)).toBeLessThan(1e-8);
  });
});

describe('KID', () => {
  const eye = (d: number) => Float64Array.from({ length: d * d }, (_, k) => (k % (d + 1) === 0 ? 1 : 0));

  it('is unbiased: about 0 over subsets for two samples of one distribution, clearly positive for two', () => {
    const d = 8;
    const x = gaussianRows(3000, d, eye(d), new Array(d).fill(0), 11);
    const y = gaussianRows(3000, d, eye(d), new Array(d).fill(0), 12);
    const same = metrics.kid(x, y, d, { subsetSize: 300 });
    expect(same).toMatchObject({ subsets: 100, subsetSize: 300, n1: 3000, n2: 3000 });
    // The mean of 100 subset estimates sits within three standard errors of 0.
    expect(Math.abs(same.mean)).toBeLessThan((3 * same.std) / Math.sqrt(same.subsets));
    const z = gaussianRows(3000, d, eye(d), new Array(d).fill(0.3), 13);
    const apart = metrics.kid(x, z, d, { subsetSize: 300 });
    expect(apart.mean).toBeGreaterThan(10 * apart.std / Math.sqrt(apart.subsets));
  });

  it('subset size is min(1000, N1, N2)', () => {
    const x = gaussianRows(50, 2, eye(2), [0, 0], 1);
    expect(metrics.kid(x, x, 2, { subsets: 3 }).subsetSize).toBe(50);
  });
});

describe('precision and recall', () => {
  it('are 1 for identical sets, duplicates included', () => {
    const x = gaussianRows(200, 5, Float64Array.from(normals(25, 1)), [0, 0, 0, 0, 0], 2);
    const dup = Float64Array.from([...x, ...x.subarray(0, 50)]);
    expect(metrics.precisionRecall(x, x, 5)).toMatchObject({ precision: 1, recall: 1, k: 3, nReal: 200, nFake: 200 });
    expect(metrics.precisionRecall(dup, dup, 5)).toMatchObject({ precision: 1, recall: 1 });
  });

  it('a sample is not its own neighbour: radii are the k-th distance to another point', () => {
    const line = Float64Array.from([0, 1, 3, 6, 10]);
    expect([...metrics.kthNeighbourRadii2(line, 1, 1)]).toEqual([1, 1, 4, 9, 16]);
    expect([...metrics.kthNeighbourRadii2(line, 1, 3)]).toEqual([36, 25, 9, 25, 81]);
  });

  it('a generator stuck on one mode has precision 1 and low recall', () => {
    const real = gaussianRows(400, 2, Float64Array.from([1, 0, 0, 1]), [0, 0], 3);
    const fake = real.map((v) => v * 0.1);
    const pr = metrics.precisionRecall(real, fake, 2);
    expect(pr.precision).toBe(1);
    expect(pr.recall).toBeLessThan(0.2);
  });
});

describe('Inception score', () => {
  it('of uniform one-hot predictions is the number of classes', () => {
    const probs = new Float64Array(100 * 10);
    for (let r = 0; r < 100; r++) probs[r * 10 + (r % 10)] = 1;
    const is = metrics.inceptionScore(probs, 10);
    expect(is.mean).toBeCloseTo(10, 12);
    expect(is.std).toBeCloseTo(0, 12);
    expect(is.n).toBe(100);
  });

  it('of identical predictions is 1', () => {
    const probs = Float64Array.from({ length: 50 * 4 }, (_, k) => [0.1, 0.2, 0.3, 0.4][k % 4]!);
    expect(metrics.inceptionScore(probs, 4, { splits: 5 }).mean).toBeCloseTo(1, 12);
  });
});

describe('recognition (confident fraction, class shares)', () => {
  it('counts rows at or above the threshold and the argmax share of each class', () => {
    // 4 rows over 3 classes: argmax 0 (p 0.95), 0 (p 0.5), 2 (p 0.9 exactly), 1 (p 0.6).
    const probs = [0.95, 0.03, 0.02, 0.5, 0.3, 0.2, 0.05, 0.05, 0.9, 0.2, 0.6, 0.2];
    const r = metrics.recognition(probs, 3, 0.9);
    expect(r.n).toBe(4);
    expect(r.confident).toBe(0.5);
    expect(r.shares).toEqual([0.5, 0.25, 0.25]);
  });
  it('a collapsed set puts every sample in one class', () => {
    const probs = Array.from({ length: 10 * 10 }, (_, k) => (k % 10 === 8 ? 1 : 0));
    expect(metrics.recognition(probs, 10).shares).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
  });
});

describe('perceptual path length', () => {
  /** Identity features of [n, d] "images". */
  const identity = (d: number): metrics.FeatureExtractor => ({
    name: 'identity', featureDim: d,
    async extract(images) { return { features: Float64Array.from(await images.data()), n: images.shape[0]! }; },
  });

  it('of a linear w path is ‖w1 − w0‖² (here 9 for every pair)', async () => {
    const path: metrics.LatentPath = {
      dim: 2, space: 'w',
      async sample(_z, n) { return Float64Array.from({ length: 2 * n }, (_, k) => (k % 4 === 2 ? 3 : 0)); },
      async decode(codes, n) { return T.tensor(codes, { shape: [n, 2], dtype: 'float64', device: 'cpu' }); },
    };
    const ppl = await metrics.perceptualPathLength(path, identity(2), { n: 50, batch: 20 });
    expect(ppl.mean).toBeCloseTo(9, 6);
    expect(ppl).toMatchObject({ n: 50, epsilon: 1e-4, space: 'w' });
  });

  it('slerp keeps the ends and interpolates the norm', () => {
    const out = new Float64Array(2);
    metrics.slerp([2, 0], [0, 4], 0, out, 0);
    expect([...out].map((v) => +v.toFixed(12))).toEqual([2, 0]);
    metrics.slerp([2, 0], [0, 4], 1, out, 0);
    expect([...out].map((v) => +v.toFixed(12))).toEqual([0, 4]);
    metrics.slerp([2, 0], [0, 4], 0.5, out, 0);
    expect(out[0]).toBeCloseTo(3 / Math.SQRT2, 12);
    expect(out[1]).toBeCloseTo(3 / Math.SQRT2, 12);
  });
});
