/**
 * `genlab eval` in the worker, on demand: the same evaluation (src/metrics/evaluate.ts) of the
 * current model's samples against the held-out part of the data, beside the floor (N training
 * images against the same held-out images), with the shipped feature network fetched from beside
 * the page. The numbers are the command line's: the same split, feature network (on the CPU
 * backend, float64), stratified draw of the floor's images and seed. An encoder gets the command
 * line's linear probe and k-NN instead (src/cli/encoder-probe.ts).
 */
import * as T from '../src/index.js';
import { io } from '../src/index.js';
import { evaluate, type EvaluationReport } from '../src/metrics/evaluate.js';
import type { FeatureExtractor } from '../src/metrics/extractor.js';
import { featureNetFromFile } from '../src/metrics/feature-net-file.js';
import { formatReport } from '../src/cli/eval-format.js';
import { evaluableModel } from '../src/cli/eval-model.js';
import { generatorOf, isEncoder, type EncoderModel } from '../models/index.js';
import { formatEncoderReport, probeEncoder, type EncoderReport } from '../src/cli/encoder-probe.js';
import type { TrainingData } from './data.js';
import { fetchBytes } from './data.js';
import type { ModelRun } from './model-run.js';

export type FeatureNetName = 'mnist' | 'fashion-mnist';

const featureNets = new Map<FeatureNetName, Promise<FeatureExtractor & { metadata: Record<string, string> }>>();

/** The shipped feature network `name` (fetched once). */
function featureNet(name: FeatureNetName, base: string): Promise<FeatureExtractor & { metadata: Record<string, string> }> {
  const known = featureNets.get(name);
  if (known) return known;
  const file = `feature-net-${name}.safetensors`;
  const net = fetchBytes(new URL(`data/${file}`, base).href).then((bytes: Uint8Array) => featureNetFromFile(io.parseSafetensors(bytes, { source: file }), `feature-net-${name}`));
  net.catch(() => featureNets.delete(name));
  featureNets.set(name, net);
  return net;
}

export interface EvaluationResult {
  /** The table `genlab eval` prints, with the lines above it. */
  text: string;
  report: EvaluationReport | EncoderReport;
}

/**
 * Evaluate `run`'s model with `n` samples against `data`'s held-out part (`seed` as `--seed`).
 * The model is in eval mode while it runs (as `genlab eval` has it) and back in its mode after.
 */
export async function evaluateRun(run: ModelRun, data: TrainingData, opts: { n: number; featureNet: FeatureNetName; seed: number; base: string }): Promise<EvaluationResult> {
  if (!Number.isInteger(opts.n) || opts.n < 2) throw new T.ArgumentError(`evaluate: N must be an integer >= 2, got ${opts.n}`);
  if (isEncoder(run.model)) return probeRun(run, run.model, data, opts);
  const model = generatorOf(run.model, run.entry.name);
  const extractor = await featureNet(opts.featureNet, opts.base);
  const train = { images: data.images, labels: data.labels };
  const wasTraining = model.training;
  T.manualSeed(opts.seed);
  const evaluable = evaluableModel(run.entry, model, run.config, run.device, undefined, data.heldOut.images);
  const log: string[] = [];
  try {
    const report = await evaluate(evaluable, { n: opts.n, train, heldOut: data.heldOut, extractor, seed: opts.seed, log: (l) => log.push(l) });
    const heldOut = data.heldOut.images.shape[0]!;
    const text = [
      `${run.entry.name} (step ${run.step}) on ${run.device}; ${data.source}: ${data.images.shape[0]} training and ${heldOut} held-out images; feature network ${extractor.name} (${extractor.metadata['genlab.held_out_accuracy'] ?? '?'} on its held-out images)`,
      `N = ${report.n} generated images against the ${report.nHeldOut} held-out; the floor is ${report.n} training images against the same held-out set. ${report.seconds.toFixed(1)} s.`,
      formatReport(report),
    ].join('\n');
    return { text, report };
  } finally {
    model.train(wasTraining);
  }
}

/** An encoder (simclr, moco, dino) has no samples: `genlab eval`'s linear probe and k-NN on N training images instead, beside a random encoder's. */
async function probeRun(run: ModelRun, model: EncoderModel, data: TrainingData, opts: { n: number; seed: number }): Promise<EvaluationResult> {
  const train = { images: data.images, labels: data.labels };
  const report = await probeEncoder(run.entry, run.config, run.device, model, train, data.heldOut, { n: opts.n, seed: opts.seed });
  const text = [
    `${run.entry.name} (step ${run.step}) on ${run.device}; ${data.source}: ${data.images.shape[0]} training and ${data.heldOut.images.shape[0]} held-out images; ${report.featureDim} features`,
    formatEncoderReport(report),
    `${report.seconds.toFixed(1)} s.`,
  ].join('\n');
  return { text, report };
}
