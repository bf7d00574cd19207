// The classical models of notes 002 §1: closed forms (the Gaussian MLE, the HMM forward
// probability against enumeration), EM monotonicity (GMM, HMM), sample shapes and ranges,
// checkpoint round trips, RBM / GSN training moving their losses, and CPU / WebGPU agreement on
// one RBM / GSN step.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { loadEmbeddedMnist, loadSafetensors, saveSafetensors } from '../src/node.js';
import { Gaussian, Gmm, Hmm, Rbm, getModel, type GsnConfig, type RbmConfig } from '../models/index.js';
import { harness, step, type Harness } from './setup/models.js';
import { cholesky, mulLower, symmetricEigen } from '../models/blocks/linalg.js';
import { write } from '../models/blocks/host.js';
import { TOL, firstMismatch } from './setup/tolerance.js';

beforeAll(async () => {
  await T.initWebGPU();
});

const D = 784;
/** The first n embedded MNIST digits as float64 rows, and as [n, 1, 28, 28] images. */
function digits(n: number): { x: Float64Array; images: Tensor } {
  const images = loadEmbeddedMnist({ limit: n }).images;
  return { x: Float64Array.from(images.dataSync()), images };
}

const increasing = (v: number[]) => v.every((ll, i) => i === 0 || ll >= v[i - 1]! - 1e-9 * Math.abs(ll));

function expectImages(t: Tensor, n: number) {
  expect(t.shape).toEqual([n, 1, 28, 28]);
  const v = t.dataSync();
  expect(v.every((p) => p >= 0 && p <= 1)).toBe(true);
}

describe('linalg', () => {
  it('Cholesky reproduces A = L Lᵀ and Jacobi diagonalises a symmetric matrix', () => {
    const a = Float64Array.of(4, 2, 0.4, 2, 5, 1, 0.4, 1, 3);
    const l = cholesky(a, 3);
    const cols = [0, 1, 2].map((j) => mulLower(l, 3, [0, 1, 2].map((r) => l[j * 3 + r]!)));
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(cols[j]![i]).toBeCloseTo(a[i * 3 + j]!, 12);
    const { values, vectors } = symmetricEigen(a, 3);
    for (let c = 0; c < 3; c++) {
      const v = [0, 1, 2].map((r) => vectors[r * 3 + c]!);
      for (let r = 0; r < 3; r++) expect(a[r * 3]! * v[0]! + a[r * 3 + 1]! * v[1]! + a[r * 3 + 2]! * v[2]!).toBeCloseTo(values[c]! * v[r]!, 10);
    }
    expect(values[0]).toBeGreaterThan(values[1]!);
  });
});

describe('gaussian', () => {
  it('fits the sample mean and covariance, merged over batches', () => {
    const n = 60;
    const { x } = digits(n);
    const g = new Gaussian({ ridge: 0.01 });
    for (let b = 0; b < 3; b++) g.fit(x.subarray(b * 20 * D, (b + 1) * 20 * D), 20);
    const mean = new Float64Array(D);
    for (let r = 0; r < n; r++) for (let j = 0; j < D; j++) mean[j] += x[r * D + j]! / n;
    const fitMean = g.mean.dataSync();
    const fitCov = g.covariance.dataSync();
    let worst = 0;
    for (let j = 0; j < D; j++) worst = Math.max(worst, Math.abs(fitMean[j]! - mean[j]!));
    for (let i = 0; i < D; i += 7) {
      for (let j = 0; j < D; j++) {
        let c = 0;
        for (let r = 0; r < n; r++) c += (x[r * D + i]! - mean[i]!) * (x[r * D + j]! - mean[j]!);
        worst = Math.max(worst, Math.abs(fitCov[i * D + j]! - c / n));
      }
    }
    expect(worst).toBeLessThan(1e-12);
    T.manualSeed(3);
    expectImages(g.sample(5), 5);
  });
});

describe('gmm', () => {
  for (const covariance of ['full', 'diagonal'] as const) {
    it(`EM never decreases the log-likelihood (${covariance} covariance)`, () => {
      const n = 300;
      const { x } = digits(n);
      T.manualSeed(1);
      const g = new Gmm({ components: 3, features: 8, covariance, reg: 1e-6 });
      g.initialize(x, n);
      const ll = Array.from({ length: 8 }, () => g.emStep(x, n));
      expect(increasing(ll)).toBe(true);
      expect(ll.at(-1)!).toBeGreaterThan(ll[0]!);
      expectImages(g.sample(4), 4);
    });
  }

  it('round-trips a checkpoint', async () => {
    const n = 200;
    const { x } = digits(n);
    T.manualSeed(2);
    const config = { components: 2, features: 6, covariance: 'full' as const, reg: 1e-3 };
    const a = new Gmm(config);
    a.initialize(x, n);
    a.emStep(x, n);
    const path = join(mkdtempSync(join(tmpdir(), 'genlab-gmm-')), 'gmm.safetensors');
    await saveSafetensors(path, a.stateDict());
    const b = new Gmm(config);
    b.loadStateDict(loadSafetensors(path).tensors);
    T.manualSeed(5);
    const sa = a.sample(3).dataSync();
    T.manualSeed(5);
    expect(Array.from(b.sample(3).dataSync())).toEqual(Array.from(sa));
  });
});

describe('hmm', () => {
  it('forward probability equals brute-force enumeration of the state paths', () => {
    const [k, t, d] = [3, 4, 2];
    const h = new Hmm({ states: k, steps: t, dim: d, varianceFloor: 1e-3 });
    const pi = Float64Array.of(0.5, 0.3, 0.2);
    const a = Float64Array.of(0.7, 0.2, 0.1, 0.1, 0.6, 0.3, 0.25, 0.25, 0.5);
    const mu = Float64Array.of(0, 0, 1, -1, -0.5, 2);
    const v = Float64Array.of(1, 0.5, 0.3, 2, 0.8, 0.6);
    write(h.initial, pi);
    write(h.transitions, a);
    write(h.means, mu);
    write(h.variances, v);
    const x = Float64Array.of(0.1, -0.2, 1.2, -0.7, 0.4, 1.5, -0.3, 0.2);
    const emission = (s: number, step: number) => {
      let p = 1;
      for (let j = 0; j < d; j++) {
        const var_ = v[s * d + j]!;
        p *= Math.exp(-((x[step * d + j]! - mu[s * d + j]!) ** 2) / (2 * var_)) / Math.sqrt(2 * Math.PI * var_);
      }
      return p;
    };
    let total = 0;
    for (let path = 0; path < k ** t; path++) {
      const s = Array.from({ length: t }, (_, i) => Math.floor(path / k ** i) % k);
      let p = pi[s[0]!]! * emission(s[0]!, 0);
      for (let i = 1; i < t; i++) p *= a[s[i - 1]! * k + s[i]!]! * emission(s[i]!, i);
      total += p;
    }
    expect(h.forwardBackward(x, 1).logLikelihood[0]).toBeCloseTo(Math.log(total), 12);
  });

  it('Baum-Welch never decreases the log-likelihood; samples and checkpoints', async () => {
    const n = 80;
    const { x } = digits(n);
    T.manualSeed(4);
    const config = { states: 5, steps: 28, dim: 28, varianceFloor: 0.01 };
    const h = new Hmm(config);
    h.initialize(x, n);
    const ll = Array.from({ length: 6 }, () => h.emStep(x, n));
    expect(increasing(ll)).toBe(true);
    expect(ll.at(-1)!).toBeGreaterThan(ll[0]!);
    const path = join(mkdtempSync(join(tmpdir(), 'genlab-hmm-')), 'hmm.safetensors');
    await saveSafetensors(path, h.stateDict());
    const b = new Hmm(config);
    b.loadStateDict(loadSafetensors(path).tensors);
    expect(Array.from(b.forwardBackward(x, 4).logLikelihood)).toEqual(Array.from(h.forwardBackward(x, 4).logLikelihood));
    T.manualSeed(6);
    expectImages(b.sample(3), 3);
  });

  it('is registered as a host model that needs the CPU backend', () => {
    expect(getModel('hmm').devices).toEqual(['cpu']);
    expect(() => getModel('hmm').build(getModel('hmm').config, 'webgpu')).toThrow(/--device cpu/);
  });
});

const rbmConfig: RbmConfig = { hidden: 32, k: 1, persistent: true, sampleSteps: 5 };
const gsnConfig: GsnConfig = { hidden: 32, walkback: 2, noise: 0.3, sampleSteps: 3 };

/** The first loss of `steps` training steps on one batch, before and after. */
async function lossMoves(h: Harness, images: Tensor, steps: number): Promise<[number, number]> {
  const first = async () => {
    const losses = step(h, images);
    const v = await Object.values(losses)[0]!.item();
    for (const l of Object.values(losses)) l.dispose();
    return v;
  };
  const before = await first();
  for (let i = 0; i < steps - 2; i++) for (const l of Object.values(step(h, images))) l.dispose();
  return [before, await first()];
}

describe('rbm and gsn', () => {
  const images = () => loadEmbeddedMnist({ limit: 32 }).images;

  it('RBM: persistent CD lowers the reconstruction error; samples; checkpoint', async () => {
    T.manualSeed(7);
    const trainer = harness('rbm', 'cpu', { lr: 0.1, config: rbmConfig });
    const [before, after] = await lossMoves(trainer, images(), 30);
    expect(after).toBeLessThan(before * 0.8);
    expectImages(trainer.model.sample(4), 4);
    expectImages(trainer.model.preview!({ images: T.slice(images(), [{ stop: 4 }]) }), 4);
    const path = join(mkdtempSync(join(tmpdir(), 'genlab-rbm-')), 'rbm.safetensors');
    await saveSafetensors(path, trainer.model.stateDict());
    const restored = new Rbm(rbmConfig, 'cpu');
    restored.loadStateDict(loadSafetensors(path).tensors);
    expect(await restored.weight.toArray()).toEqual(await (trainer.model as Rbm).weight.toArray());
  });

  it('GSN: the walkback loss falls; samples in range', async () => {
    T.manualSeed(8);
    const trainer = harness('gsn', 'cpu', { lr: 3e-3, config: gsnConfig });
    const [before, after] = await lossMoves(trainer, images(), 30);
    expect(after).toBeLessThan(before * 0.8);
    expectImages(trainer.model.sample(4), 4);
  });

  for (const name of ['rbm', 'gsn'] as const) {
    it(`${name}: one training step agrees on CPU and WebGPU from the same seed`, async () => {
      const params: number[][][] = [];
      for (const device of ['cpu', 'webgpu'] as DeviceName[]) {
        T.manualSeed(11);
        const config = (name === 'rbm' ? rbmConfig : gsnConfig) as RbmConfig & GsnConfig;
        const trainer = harness(name, device, { lr: 0.05, config });
        const batch = await T.slice(loadEmbeddedMnist({ limit: 8 }).images, [{ stop: 8 }]).to(device);
        T.manualSeed(12);
        for (const l of Object.values(step(trainer, batch))) l.dispose();
        params.push(await Promise.all(trainer.model.parameters().map((p) => p.toArray())));
        trainer.model.dispose();
      }
      params[0]!.forEach((cpu, i) => expect(firstMismatch(params[1]![i]!, cpu, TOL.f32Matmul)).toBe(-1));
    });
  }
});
