/**
 * `genlab eval` of an encoder (SimCLR, MoCo, DINO: models with features, not samples): a linear
 * probe and a weighted k-NN on its frozen features, trained on N training images (a stratified
 * draw) and measured on the held-out split, beside the floor: the same measures for a randomly
 * initialised encoder of the same configuration (what training added).
 */
import { cpus, loadavg } from 'node:os';
import * as T from '../index.js';
import type { Tensor } from '../index.js';
import type { ImageDataset } from '../io/dataset.js';
import { writeFileAtomic } from '../io/files.js';
import { loadTrainAndHeldOut } from '../io/held-out.js';
import { stratifiedSplitIndices, subset } from '../io/split.js';
import { knnAccuracy, linearProbe, type LabelledFeatures } from '../metrics/probe.js';
import { ArgumentError } from '../errors.js';
import type { EncoderModel } from '../../models/index.js';
import type { EvalArgs, OpenedCheckpoint } from './eval.js';
import { rangeTransform } from './shared.js';

const BATCH = 500;
const K = 20;

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

export async function evaluateEncoderCheckpoint(args: EvalArgs, opened: OpenedCheckpoint, model: EncoderModel): Promise<{ report: EncoderReport; json: Record<string, unknown> }> {
  const started = Date.now();
  const { entry, config, step, device, say, sawHeldOut, data } = opened;
  const { train, heldOut, description } = loadTrainAndHeldOut(data);
  if (!train.labels || !heldOut.labels) throw new ArgumentError(`genlab eval: ${data} has no labels, which a linear probe and k-NN need`);
  const trainSize = train.images.shape[0]!;
  const n = Math.min(args.n, trainSize);
  const probeSet = n === trainSize ? train : subset(train, stratifiedSplitIndices(train.labels.dataSync(), { heldOut: n, seed: args.seed ?? 0, allocation: 'proportional' }).heldOut);
  const classes = Math.max(...train.labels.dataSync()) + 1;
  say(`genlab eval ${args.checkpoint}: ${entry.name} (step ${step}) on ${device}; ${description}; ${model.featureDim} features`);
  // The floor: the same architecture at a random initialisation, seeded.
  T.manualSeed(args.seed ?? 0);
  const random = entry.build(config, device) as EncoderModel;
  const probe: number[] = [];
  const knn: number[] = [];
  for (const [who, encoder] of [['trained', model], ['random', random]] as const) {
    say(`  features of ${n} training and ${heldOut.images.shape[0]} held-out images (${who} encoder) ...`);
    const [f, h] = [await featuresOf(encoder, probeSet, entry.dataRange), await featuresOf(encoder, heldOut, entry.dataRange)];
    say('  linear probe and k-NN ...');
    probe.push(linearProbe(f, h, encoder.featureDim, { classes }));
    knn.push(knnAccuracy(f, h, encoder.featureDim, { classes, k: K }));
  }
  for (const t of new Set([train.images, train.labels, heldOut.images, heldOut.labels, probeSet.images, probeSet.labels])) t?.dispose();
  random.dispose();
  model.dispose();
  const report: EncoderReport = {
    featureDim: model.featureDim, classes, nTrain: n, nHeldOut: heldOut.labels.shape[0]!,
    linearProbe: { value: probe[0]!, floor: probe[1]! }, knn: { value: knn[0]!, floor: knn[1]!, k: K }, seconds: (Date.now() - started) / 1000,
  };
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  say(`${'metric'.padEnd(20)}${'model'.padEnd(12)}${'floor'.padEnd(12)}N (floor: a randomly initialised encoder of the same configuration)`);
  say(`${'linear probe'.padEnd(20)}${pct(report.linearProbe.value).padEnd(12)}${pct(report.linearProbe.floor).padEnd(12)}${n} training, ${report.nHeldOut} held out`);
  say(`${`k-NN (k=${K})`.padEnd(20)}${pct(report.knn.value).padEnd(12)}${pct(report.knn.floor).padEnd(12)}${n} training, ${report.nHeldOut} held out`);
  say(`${report.seconds.toFixed(0)} s.`);
  const json = {
    model: entry.name, checkpoint: args.checkpoint, step, config, data, heldOut: description, trainedOnHeldOut: sawHeldOut ? 'possibly' : false,
    device, seed: args.seed ?? 0, date: new Date().toISOString(), machine: { cpus: cpus().length, loadAverage: loadavg() }, ...report,
  };
  if (args.json) {
    writeFileAtomic(args.json, new TextEncoder().encode(`${JSON.stringify(json, null, 2)}\n`));
    say(`wrote ${args.json}`);
  }
  return { report, json };
}
