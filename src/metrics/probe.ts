/**
 * Judging a representation by the labels it was trained without (notes 004 §1, the second stage
 * of the "2단계 절차": freeze the encoder, fit a small classifier on few labels):
 * - `linearProbe`: one linear layer with cross-entropy on the frozen training features
 *   (standardised with the training set's mean and deviation), accuracy on held-out features;
 * - `knnAccuracy`: each held-out feature votes among its k most cosine-similar training
 *   features, each vote weighted exp(similarity / τ) (the weighted k-NN of Wu et al. and DINO).
 * Features are row-major Float64Arrays; the work runs on the CPU backend.
 */
import { noGrad } from '../autograd.js';
import { ArgumentError } from '../errors.js';
import { tidy } from '../memory.js';
import { Linear } from '../nn/linear.js';
import { Adam } from '../optim/index.js';
import { argmax, crossEntropy, div, eq, matmul, mean, normalize, std, sub, tensor, topk, transpose, where } from '../ops/index.js';
import type { Tensor } from '../tensor.js';

/** Feature rows with a class label each, for linearProbe and knnAccuracy. */
export interface LabelledFeatures {
  /** n rows of `dim` features, row-major. */
  features: Float64Array;
  /** n class indices in [0, classes). */
  labels: Int32Array;
}

/** Options of linearProbe. */
export interface ProbeOptions {
  /** Number of classes of the labels. */
  classes: number;
  /** Full-batch Adam steps (default 300) at learning rate `lr` (default 0.01). */
  steps?: number;
  /** Adam's learning rate (default 0.01). */
  lr?: number;
}

function rows(set: LabelledFeatures, dim: number, op: string): number {
  const n = set.labels.length;
  if (set.features.length !== n * dim) throw new ArgumentError(`${op}: ${set.features.length} features for ${n} labels of dimension ${dim}`);
  return n;
}

/** Fraction of `predicted` equal to `labels`. */
function accuracy(predicted: ArrayLike<number>, labels: Int32Array): number {
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) right++;
  return right / labels.length;
}

/** Held-out accuracy of a linear classifier trained on the frozen training features. */
export function linearProbe(train: LabelledFeatures, heldOut: LabelledFeatures, dim: number, opts: ProbeOptions): number {
  const [n, m] = [rows(train, dim, 'linearProbe'), rows(heldOut, dim, 'linearProbe')];
  const place = { device: 'cpu', dtype: 'float32' } as const;
  const x = tensor(train.features, { shape: [n, dim], ...place });
  const xt = tensor(heldOut.features, { shape: [m, dim], ...place });
  const y = tensor(train.labels, { shape: [n], dtype: 'int32', device: 'cpu' });
  const [mu, sigma] = [mean(x, 0, true), std(x, 0, { keepdim: true })];
  // A constant feature (a dead unit) has no deviation: divide by 1 there instead of 0.
  const scale = tidy(() => where(eq(sigma, 0), 1, sigma));
  const standard = (f: Tensor) => div(sub(f, mu), scale);
  const [xs, xts] = [tidy(() => standard(x)), tidy(() => standard(xt))];
  const layer = new Linear(dim, opts.classes, { device: 'cpu' });
  const adam = new Adam(layer.parameters(), { lr: opts.lr ?? 0.01 });
  for (let i = 0; i < (opts.steps ?? 300); i++) {
    tidy(() => {
      adam.zeroGrad();
      crossEntropy(layer.forward(xs), y).backward();
      adam.step();
    });
  }
  const predicted = noGrad(() => tidy(() => argmax(layer.forward(xts), 1)));
  const result = accuracy(predicted.dataSync(), heldOut.labels);
  for (const t of [x, xt, y, mu, sigma, scale, xs, xts, predicted]) t.dispose();
  layer.dispose();
  adam.dispose();
  return result;
}

/** Held-out accuracy of the similarity-weighted k-NN vote over the training features. */
export function knnAccuracy(train: LabelledFeatures, heldOut: LabelledFeatures, dim: number, opts: { classes: number; k?: number; temperature?: number }): number {
  const [n, m] = [rows(train, dim, 'knnAccuracy'), rows(heldOut, dim, 'knnAccuracy')];
  const k = Math.min(opts.k ?? 20, n);
  const tau = opts.temperature ?? 0.07;
  const { values, indices } = tidy(() => {
    const a = normalize(tensor(heldOut.features, { shape: [m, dim], device: 'cpu', dtype: 'float32' }), { axis: 1 });
    const b = normalize(tensor(train.features, { shape: [n, dim], device: 'cpu', dtype: 'float32' }), { axis: 1 });
    return topk(matmul(a, transpose(b)), k, 1);
  });
  const [sims, nearest] = [values.dataSync(), indices.dataSync()];
  values.dispose();
  indices.dispose();
  const predicted = new Int32Array(m);
  const votes = new Float64Array(opts.classes);
  for (let i = 0; i < m; i++) {
    votes.fill(0);
    for (let j = 0; j < k; j++) votes[train.labels[nearest[i * k + j]!]!]! += Math.exp(sims[i * k + j]! / tau);
    predicted[i] = votes.indexOf(Math.max(...votes));
  }
  return accuracy(predicted, heldOut.labels);
}
