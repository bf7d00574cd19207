/**
 * Inception score (Salimans et al., 2016) and classifier accuracy, from class probabilities.
 *
 *   IS = exp( E_x KL( p(y|x) || p(y) ) ),  p(y) the mean of p(y|x) over the split,
 * computed on `splits` consecutive equal parts (the reference code's 10; the last rows are
 * dropped when N is not a multiple), reported as the mean and the population standard deviation
 * over the parts, as the reference code does. 0 log 0 counts as 0.
 */
import { ArgumentError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import type { FeatureExtractor } from './extractor.js';

/** What inceptionScore returns. */
export interface InceptionScore {
  /** The mean of the per-split scores (from 1 to the class count; higher is better). */
  mean: number;
  /** The population standard deviation of the per-split scores. */
  std: number;
  /** Parts the samples were split into. */
  splits: number;
  /** Samples used (splits x rows per split). */
  n: number;
}

/**
 * IS of class probabilities `probs` ([N × classes], row-major rows summing to 1) over `splits` parts
 * (default 10). Throws ArgumentError when the length is not rows of `classes` or N < splits.
 */
export function inceptionScore(probs: ArrayLike<number>, classes: number, opts: { splits?: number } = {}): InceptionScore {
  const splits = opts.splits ?? 10;
  const rows = Math.floor(probs.length / classes);
  if (rows * classes !== probs.length) throw new ArgumentError(`inceptionScore: ${probs.length} probabilities are not rows of ${classes} classes`);
  const per = Math.floor(rows / splits);
  if (!Number.isInteger(splits) || splits < 1 || per < 1) throw new ArgumentError(`inceptionScore: ${rows} samples cannot make ${splits} splits`);
  const scores: number[] = [];
  const marginal = new Float64Array(classes);
  for (let s = 0; s < splits; s++) {
    marginal.fill(0);
    for (let r = s * per; r < (s + 1) * per; r++) for (let c = 0; c < classes; c++) marginal[c] += probs[r * classes + c]!;
    for (let c = 0; c < classes; c++) marginal[c] /= per;
    let kl = 0;
    for (let r = s * per; r < (s + 1) * per; r++) {
      for (let c = 0; c < classes; c++) {
        const p = probs[r * classes + c]!;
        if (p > 0) kl += p * (Math.log(p) - Math.log(marginal[c]!));
      }
    }
    scores.push(Math.exp(kl / per));
  }
  const mean = scores.reduce((a, b) => a + b, 0) / splits;
  const std = Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / splits);
  return { mean, std, splits, n: per * splits };
}

/** The most probable class of each row of `probs` [n, classes], and its probability. */
function argmaxRows(probs: ArrayLike<number>, classes: number): { best: Int32Array; top: Float64Array } {
  const n = Math.floor(probs.length / classes);
  const best = new Int32Array(n);
  const top = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let b = 0;
    for (let c = 1; c < classes; c++) if (probs[r * classes + c]! > probs[r * classes + b]!) b = c;
    best[r] = b;
    top[r] = probs[r * classes + b]!;
  }
  return { best, top };
}

/**
 * How a classifier sees a set of samples: the fraction it recognises with probability at least
 * `threshold` (a blurred or malformed digit gets a spread-out softmax), and the share of the set it
 * puts in each class (a mode-collapsed generator draws a few classes far more often than 1/classes).
 */
export function recognition(probs: ArrayLike<number>, classes: number, threshold = 0.9): { confident: number; shares: number[]; n: number } {
  const { best, top } = argmaxRows(probs, classes);
  const n = best.length;
  const counts = new Array<number>(classes).fill(0);
  let confident = 0;
  for (let r = 0; r < n; r++) {
    counts[best[r]!]!++;
    if (top[r]! >= threshold) confident++;
  }
  return { confident: confident / n, shares: counts.map((c) => c / n), n };
}

/** The fraction of rows whose most probable class is `labels[i]`. */
export function accuracyOf(probs: ArrayLike<number>, classes: number, labels: ArrayLike<number>): number {
  if (probs.length !== labels.length * classes) throw new ArgumentError(`accuracy: ${probs.length / classes} rows of probabilities but ${labels.length} labels`);
  const { best } = argmaxRows(probs, classes);
  let right = 0;
  for (let r = 0; r < labels.length; r++) if (best[r] === labels[r]) right++;
  return right / labels.length;
}

/** How often the extractor's classifier names `labels[i]` for image i. */
export async function classAccuracy(extractor: FeatureExtractor, images: Tensor, labels: ArrayLike<number>): Promise<{ accuracy: number; n: number }> {
  if (!extractor.classes) throw new ArgumentError(`classAccuracy: the feature extractor '${extractor.name}' has no classifier`);
  const { probs, n } = await extractor.extract(images);
  return { accuracy: accuracyOf(probs!, extractor.classes, labels), n };
}
