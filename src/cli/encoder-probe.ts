/**
 * The measure of an encoder (SimCLR, MoCo, DINO) that `genlab eval` and the playground share, with
 * no Node imports: a linear probe and a weighted k-NN on its frozen features of N training images
 * (a stratified draw), scored on the held-out images, beside the same for a randomly initialised
 * encoder of the same configuration (the floor: what training added).
 */
import * as T from '../index.js';
import type { DeviceName, Tensor } from '../index.js';
import type { ImageDataset } from '../io/dataset.js';
import { stratifiedSplitIndices, subset } from '../io/split.js';
import { knnAccuracy, linearProbe, type LabelledFeatures } from '../metrics/probe.js';
import { ArgumentError } from '../errors.js';
import type { EncoderModel, ModelEntry } from '../../models/index.js';
import { rangeTransform } from './shared.js';

const BATCH = 500;
/** Neighbours of the k-NN classifier. */
export const K = 20;

/** The probe's numbers, `genlab eval --json`'s fields for an encoder. */
export interface EncoderReport {
  featureDim: number;
  classes: number;
  nTrain: number;
  nHeldOut: number;
  /** Held-out accuracy of the model's features and of a random encoder's (the floor). */
  linearProbe: { value: number; floor: number };
  knn: { value: number; floor: number; k: number };
  seconds: number;
}

/** `encoder`'s features of a dataset's images (in [0, 1]), `BATCH` at a time, eval mode and no tape. */
export async function featuresOf(encoder: EncoderModel, set: ImageDataset, range: readonly [number, number]): Promise<LabelledFeatures> {
  const n = set.images.shape[0]!;
  const device = encoder.parameters()[0]!.device;
  const toRange = rangeTransform(range);
  const features = new Float64Array(n * encoder.featureDim);
  const wasTraining = encoder.training;
  encoder.eval();
  for (let start = 0; start < n; start += BATCH) {
    const part = T.slice(set.images, [{ start, stop: Math.min(n, start + BATCH) }]);
    const moved = await part.to(device);
    const f: Tensor = T.noGrad(() => T.tidy(() => encoder.encode(toRange(moved))));
    features.set(await f.data(), start * encoder.featureDim);
    // A slice of every row is the images tensor itself (and `to` its own device returns it): the caller's, kept.
    for (const t of new Set([part, moved, f])) if (t !== set.images) t.dispose();
  }
  encoder.train(wasTraining);
  return { features, labels: Int32Array.from(set.labels!.dataSync()) };
}

/**
 * Probe `model` (and a random encoder of `config`, seeded by `seed`) with `n` stratified training
 * images of `train` against `heldOut`; `say` reports progress. Frees nothing of the caller's.
 */
export async function probeEncoder(
  entry: ModelEntry, config: object, device: DeviceName, model: EncoderModel,
  train: ImageDataset, heldOut: ImageDataset, opts: { n: number; seed: number; say?: (line: string) => void },
): Promise<EncoderReport> {
  const started = Date.now();
  if (!train.labels || !heldOut.labels) throw new ArgumentError(`${entry.name}: the data have no labels, which a linear probe and k-NN need`);
  const trainSize = train.images.shape[0]!;
  const n = Math.min(opts.n, trainSize);
  const probeSet = n === trainSize ? train : subset(train, stratifiedSplitIndices(train.labels.dataSync(), { heldOut: n, seed: opts.seed, allocation: 'proportional' }).heldOut);
  const classes = Math.max(...train.labels.dataSync()) + 1;
  T.manualSeed(opts.seed);
  const random = entry.build(config, device) as EncoderModel;
  const probe: number[] = [];
  const knn: number[] = [];
  try {
    for (const [who, encoder] of [['trained', model], ['random', random]] as const) {
      opts.say?.(`  features of ${n} training and ${heldOut.images.shape[0]} held-out images (${who} encoder) ...`);
      const [f, h] = [await featuresOf(encoder, probeSet, entry.dataRange), await featuresOf(encoder, heldOut, entry.dataRange)];
      opts.say?.('  linear probe and k-NN ...');
      probe.push(linearProbe(f, h, encoder.featureDim, { classes }));
      knn.push(knnAccuracy(f, h, encoder.featureDim, { classes, k: K }));
    }
  } finally {
    random.dispose();
    if (probeSet !== train) for (const t of [probeSet.images, probeSet.labels]) t?.dispose();
  }
  return {
    featureDim: model.featureDim, classes, nTrain: n, nHeldOut: heldOut.labels.shape[0]!,
    linearProbe: { value: probe[0]!, floor: probe[1]! }, knn: { value: knn[0]!, floor: knn[1]!, k: K }, seconds: (Date.now() - started) / 1000,
  };
}

/** The probe's table, as `genlab eval` prints it. */
export function formatEncoderReport(report: EncoderReport): string {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  return [
    `${'metric'.padEnd(20)}${'model'.padEnd(12)}${'floor'.padEnd(12)}N (floor: a randomly initialised encoder of the same configuration)`,
    `${'linear probe'.padEnd(20)}${pct(report.linearProbe.value).padEnd(12)}${pct(report.linearProbe.floor).padEnd(12)}${report.nTrain} training, ${report.nHeldOut} held out`,
    `${`k-NN (k=${report.knn.k})`.padEnd(20)}${pct(report.knn.value).padEnd(12)}${pct(report.knn.floor).padEnd(12)}${report.nTrain} training, ${report.nHeldOut} held out`,
  ].join('\n');
}
