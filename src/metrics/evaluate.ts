/**
 * A generative model's scores beside their floor: every metric of N generated images against the
 * held-out images, and the same metric of N real training images against the same held-out
 * images. The floor is what a model that samples the data distribution itself would score with
 * the same N and the same reference set, so the two numbers compare directly.
 *
 * N is matched: N = min(requested, training set size) on both the generated and the real side,
 * against the whole held-out set (1,000 digits for the embedded MNIST, 10,000 test images for
 * Fashion-MNIST). The N training images are a stratified seeded draw.
 */
import type { ImageDataset } from '../io/dataset.js';
import { stratifiedSplitIndices, subset } from '../io/split.js';
import { slice } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import type { Extracted, FeatureExtractor } from './extractor.js';
import { fid } from './fid.js';
import { accuracyOf, inceptionScore, recognition } from './inception.js';
import { kid } from './kid.js';
import { perceptualPathLength, type LatentPath } from './ppl.js';
import { precisionRecall } from './precision-recall.js';

/** What the evaluation needs of a model: images in [0, 1], and optionally more. */
export interface EvaluableModel {
  /** `n` images [n, C, H, W] in [0, 1], of the classes `labels` for conditional models. */
  generate(n: number, labels?: Int32Array): Promise<Tensor>;
  /** Number of classes a conditional model takes (then class accuracy is measured). */
  classes?: number;
  /** The generator's latent path, when it has one (then PPL is measured). */
  latentPath?: LatentPath;
  /** log p(x) in nats for each image of a batch in [0, 1] (a bound where the model has only one). */
  logLikelihood?(images: Tensor): Promise<Float64Array>;
  /** What `logLikelihood` computes, for the report (e.g. "ELBO"). */
  likelihoodKind?: string;
  /** The model's reconstructions of images [N, C, H, W], both in [0, 1] (autoencoders). */
  reconstruct?(images: Tensor): Promise<Tensor>;
}

/** One metric of a report: the model's value beside the floor (the same metric for training images). */
export interface Scored {
  /** The metric for the model's samples. */
  value: number;
  /** Standard deviation over splits (IS) or subsets (KID). */
  std?: number;
  /** Samples measured. */
  n: number;
  /** Size of the other set (the held-out reference). */
  nReference?: number;
  /** The same metric for real images (n training images against the held-out ones; the held-out images themselves for class accuracy): the best to expect at this n. */
  floor?: { value: number; std?: number; n: number };
}

/** What evaluate returns (genlab eval prints it and writes it as JSON). */
export interface EvaluationReport {
  /** Samples generated (and training images for the floor). */
  n: number;
  /** Held-out images the samples are compared with. */
  nHeldOut: number;
  /** The feature extractor's name: values are comparable only within one feature space. */
  featureNet: string;
  /** Inception score, when the extractor classifies (higher is better). */
  is?: Scored;
  /** Fréchet distance to the held-out features (lower is better). */
  fid: Scored;
  /** Kernel distance to the held-out features (lower is better; may be negative near 0). */
  kid: Scored;
  /** Share of samples inside the held-out manifold. */
  precision: Scored;
  /** Share of held-out images inside the samples' manifold. */
  recall: Scored;
  /** For conditional models: the share of samples the classifier puts in the class asked for. */
  classAccuracy?: Scored;
  /** The fraction of samples the feature net's classifier names with probability ≥ 0.9. */
  confident?: Scored;
  /** The share of samples in each class by the classifier, with the training images' shares as the floor. */
  classShares?: { shares: number[]; floor: number[]; n: number };
  /** Perceptual path length, for models with a latent path. */
  ppl?: Scored & { epsilon: number; space: 'z' | 'w' };
  /** Held-out log-likelihood (or its bound), for models with logLikelihood. */
  likelihood?: { kind: string; natsPerImage: number; bitsPerDim: number; n: number };
  /** Held-out reconstruction error: mean squared error per pixel, and the BCE summed over an image's pixels (nats). */
  reconstruction?: { mse: number; bce: number; n: number };
  /** Wall time of the evaluation. */
  seconds: number;
}

/** Options of evaluate. */
export interface EvaluateOptions {
  /** Samples to generate (capped at the training set's size). */
  n: number;
  /** Training images: the floor draws n of them, stratified by label. */
  train: ImageDataset;
  /** Held-out images every metric compares with. */
  heldOut: ImageDataset;
  /** The feature space (loadFeatureNet('mnist') in Node, or your own network). */
  extractor: FeatureExtractor;
  /** Images generated and extracted at once (default 250). */
  batch?: number;
  /** Seed of the floor's draw, KID's subsets and PPL's codes (default 0). */
  seed?: number;
  /** PPL's pairs (default min(n, 2000)). */
  pplPairs?: number;
  /** Receives a line per stage, for progress. */
  log?: (line: string) => void;
}

/** Features of `n` images produced `batch` at a time (generation and extraction interleaved to bound memory). */
export async function extractAll(n: number, batch: number, extractor: FeatureExtractor, produce: (start: number, m: number) => Promise<Tensor>): Promise<Extracted> {
  const features = new Float64Array(n * extractor.featureDim);
  const probs = extractor.classes ? new Float64Array(n * extractor.classes) : undefined;
  for (let start = 0; start < n; start += batch) {
    const m = Math.min(batch, n - start);
    const images = await produce(start, m);
    const part = await extractor.extract(images);
    images.dispose();
    features.set(part.features, start * extractor.featureDim);
    if (probs && part.probs) probs.set(part.probs, start * extractor.classes!);
  }
  return { features, probs, n };
}

/** The floor's side: `n` training images, a stratified seeded draw (the whole set when n is its size). */
export function floorImages(train: ImageDataset, n: number, seed: number): ImageDataset {
  const size = train.images.shape[0]!;
  if (n === size) return train;
  return subset(train, stratifiedSplitIndices(train.labels?.dataSync() ?? new Int32Array(size), { heldOut: n, seed, allocation: 'proportional' }).heldOut);
}

/**
 * Measures a model's samples against held-out images (FID, KID, precision/recall, and IS, class
 * accuracy, PPL, likelihood or reconstruction where the model and extractor allow), each beside
 * its floor. The model's images are disposed; the datasets are the caller's.
 */
export async function evaluate(model: EvaluableModel, opts: EvaluateOptions): Promise<EvaluationReport> {
  const started = Date.now();
  const log = opts.log ?? (() => undefined);
  const { extractor } = opts;
  const batch = opts.batch ?? 250;
  const trainSize = opts.train.images.shape[0]!;
  const n = Math.min(opts.n, trainSize);
  const d = extractor.featureDim;

  const real = floorImages(opts.train, n, opts.seed ?? 0);
  log(`features of ${n} training and ${opts.heldOut.images.shape[0]} held-out images (${extractor.name})`);
  const realF = await extractor.extract(real.images);
  if (real !== opts.train) for (const t of [real.images, real.labels]) t?.dispose();
  const heldF = await extractor.extract(opts.heldOut.images);
  const nHeld = heldF.n;

  const labels = model.classes ? Int32Array.from({ length: n }, (_, i) => i % model.classes!) : undefined;
  log(`generating ${n} images${labels ? ` (${n / model.classes!} of each of ${model.classes} classes)` : ''}`);
  const genF = await extractAll(n, batch, extractor, (start, m) => model.generate(m, labels?.subarray(start, start + m)));

  const report: Partial<EvaluationReport> = { n, nHeldOut: nHeld, featureNet: extractor.name };
  if (extractor.classes && genF.probs && realF.probs) {
    const [g, r] = [inceptionScore(genF.probs, extractor.classes), inceptionScore(realF.probs, extractor.classes)];
    report.is = { value: g.mean, std: g.std, n: g.n, floor: { value: r.mean, std: r.std, n: r.n } };
    const [sg, sr] = [recognition(genF.probs, extractor.classes), recognition(realF.probs, extractor.classes)];
    report.confident = { value: sg.confident, n, floor: { value: sr.confident, n } };
    report.classShares = { shares: sg.shares, floor: sr.shares, n };
  }
  log('FID');
  const [fg, fr] = [fid(genF.features, heldF.features, d), fid(realF.features, heldF.features, d)];
  report.fid = { value: fg.value, n, nReference: nHeld, floor: { value: fr.value, n } };
  log('KID');
  const [kg, kr] = [kid(genF.features, heldF.features, d, { seed: opts.seed }), kid(realF.features, heldF.features, d, { seed: opts.seed })];
  report.kid = { value: kg.mean, std: kg.std, n, nReference: nHeld, floor: { value: kr.mean, std: kr.std, n } };
  log('precision and recall');
  const [pg, pr] = [precisionRecall(heldF.features, genF.features, d), precisionRecall(heldF.features, realF.features, d)];
  report.precision = { value: pg.precision, n, nReference: nHeld, floor: { value: pr.precision, n } };
  report.recall = { value: pg.recall, n, nReference: nHeld, floor: { value: pr.recall, n } };
  if (labels && extractor.classes && genF.probs) {
    const heldLabels = opts.heldOut.labels?.dataSync();
    const floor = heldLabels && heldF.probs ? { value: accuracyOf(heldF.probs, extractor.classes, heldLabels), n: nHeld } : undefined;
    report.classAccuracy = { value: accuracyOf(genF.probs, extractor.classes, labels), n, floor };
  }
  if (model.latentPath) {
    log('perceptual path length');
    const ppl = await perceptualPathLength(model.latentPath, extractor, { n: opts.pplPairs ?? Math.min(n, 2000), seed: opts.seed });
    report.ppl = { value: ppl.mean, n: ppl.n, epsilon: ppl.epsilon, space: ppl.space };
  }
  if (model.logLikelihood) {
    log('likelihood of the held-out images');
    let sum = 0;
    for (let start = 0; start < nHeld; start += batch) {
      const part = slice(opts.heldOut.images, [{ start, stop: Math.min(nHeld, start + batch) }]);
      for (const v of await model.logLikelihood(part)) sum += v;
      part.dispose();
    }
    const dims = opts.heldOut.images.shape.slice(1).reduce((a, b) => a * b, 1);
    const nats = -sum / nHeld;
    report.likelihood = { kind: model.likelihoodKind ?? 'log-likelihood', natsPerImage: nats, bitsPerDim: nats / (dims * Math.LN2), n: nHeld };
  }
  if (model.reconstruct) {
    log('reconstructions of the held-out images');
    report.reconstruction = await reconstructionError(model.reconstruct.bind(model), opts.heldOut.images, batch);
  }
  report.seconds = (Date.now() - started) / 1000;
  return report as EvaluationReport;
}

/** Mean squared error per pixel and BCE per image (intensities as soft targets) of `reconstruct` over `images`. */
async function reconstructionError(reconstruct: (x: Tensor) => Promise<Tensor>, images: Tensor, batch: number): Promise<{ mse: number; bce: number; n: number }> {
  const n = images.shape[0]!;
  let [squared, crossEntropy, pixels] = [0, 0, 0];
  for (let start = 0; start < n; start += batch) {
    const part = slice(images, [{ start, stop: Math.min(n, start + batch) }]);
    const x = await part.data();
    const rebuilt = await reconstruct(part);
    const y = await rebuilt.data();
    part.dispose();
    rebuilt.dispose();
    for (let i = 0; i < x.length; i++) {
      // BCE's logarithms need p inside (0, 1); the squared error takes the reconstruction as it is.
      const [t, p] = [x[i]!, Math.min(1 - 1e-7, Math.max(1e-7, y[i]!))];
      squared += (t - y[i]!) ** 2;
      crossEntropy -= t * Math.log(p) + (1 - t) * Math.log(1 - p);
    }
    pixels += x.length;
  }
  return { mse: squared / pixels, bce: crossEntropy / n, n };
}
