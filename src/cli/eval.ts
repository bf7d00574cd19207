/**
 * `genlab eval <checkpoint>`: rebuild the model a checkpoint names, generate N images and print
 * IS, FID, KID, precision and recall beside their floor (the same metric of N real training
 * images against the same held-out images), class accuracy for conditional models, PPL where the
 * model has a latent path and nats / bits per dim where it has a likelihood; `--json` writes it all.
 * Encoders (no samples) get a linear probe and k-NN accuracy instead (eval-encoder.ts).
 */
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import * as T from '../index.js';
import { writeFileAtomic } from '../io/files.js';
import { loadTrainAndHeldOut } from '../io/held-out.js';
import { selectClasses } from '../io/datasets.js';
import { evaluate, type EvaluationReport } from '../metrics/evaluate.js';
import { formatReport } from './eval-format.js';
import { loadFeatureNet } from '../metrics/shipped.js';
import { ArgumentError } from '../errors.js';
import { preferredDevice } from './device.js';
import { evaluableModel } from './eval-model.js';
import { readCheckpointInfo } from '../io/checkpoint.js';
import { loadModel, readModelFile, type LoadedModel } from './load-model.js';
import { evaluateEncoderCheckpoint } from './eval-encoder.js';
import { generatorOf, isEncoder } from '../../models/index.js';
import type { DeviceName } from '../index.js';
import { DATA_KEY } from './shared.js';

export { formatReport } from './eval-format.js';

export interface EvalArgs {
  checkpoint: string;
  n: number;
  /** The dataset of the real side (default: the one the checkpoint was trained on). */
  data?: string;
  /** The shipped feature network (default: fashion-mnist for Fashion-MNIST data, else mnist). */
  featureNet?: string;
  json?: string;
  seed?: number;
  device?: string;
  quiet?: boolean;
  /** Importance samples for the likelihood bound of models that take them (the VAE; default 1, the ELBO). */
  iwSamples?: number;
  /** `--config key=value`: sampling keys of the trained configuration to change (see `loadModel`). */
  config?: Record<string, string>;
}

/** A checkpoint opened for evaluation: its model rebuilt on the chosen device, and its dataset. */
export interface OpenedCheckpoint extends LoadedModel {
  device: DeviceName;
  data: string;
  say: (line: string) => void;
  /** Whether the run may have trained on the held-out images (it records no held-out split). */
  sawHeldOut: boolean;
  /** The labels the run kept (`genlab train --classes`): both sides of the evaluation keep only these. */
  classes?: number[];
}

export async function openCheckpoint(args: EvalArgs): Promise<OpenedCheckpoint> {
  if (!Number.isInteger(args.n) || args.n < 2) throw new ArgumentError(`--n must be an integer >= 2, got ${args.n}`);
  const say = args.quiet ? () => undefined : (line: string) => console.log(line);
  const dir = args.checkpoint;
  // The entry decides the device (host models need the CPU) before the model is built on one.
  const file = readModelFile(dir);
  const device = await preferredDevice(args.device, file.entry);
  T.manualSeed(args.seed ?? 0);
  const loaded = loadModel(file, device, args.config);
  for (const note of loaded.notes) say(note);
  // Runs record whether they left the held-out images out (genlab train does since it records it).
  const run = readCheckpointInfo(dir).trainingState as { data?: string; heldOut?: boolean; classes?: number[] | null };
  const sawHeldOut = run.heldOut !== true;
  if (sawHeldOut) say(`note: ${dir} records no held-out split left out of training: its model may have trained on the held-out images, which flatters its scores against them`);
  return { ...loaded, device, say, sawHeldOut, data: args.data ?? loaded.metadata[DATA_KEY] ?? 'mnist', ...(run.classes ? { classes: run.classes } : {}) };
}

export async function evaluateCheckpoint(args: EvalArgs, opened?: OpenedCheckpoint): Promise<{ report: EvaluationReport; json: Record<string, unknown> }> {
  const { entry, model: built, config, step, device, say, sawHeldOut, data, classes } = opened ?? (await openCheckpoint(args));
  const dir = args.checkpoint;
  const name = entry.name;
  const model = generatorOf(built, name);
  const featureNet = args.featureNet ?? (data === 'fashion-mnist' ? 'fashion-mnist' : 'mnist');
  const extractor = loadFeatureNet(featureNet);
  const split = loadTrainAndHeldOut(data);
  // A run on some classes (the bags of notes 002 §3.2) is measured against those classes only.
  const [train, heldOut] = classes ? [selectClasses(split.train, classes, { source: data }), selectClasses(split.heldOut, classes, { source: data })] : [split.train, split.heldOut];
  const description = classes ? `${split.description}; classes ${classes.join(',')} only` : split.description;
  const evaluable = evaluableModel(entry, model, config, device, args.iwSamples, heldOut.images, heldOut.labels);
  say(`genlab eval ${dir}: ${name} (step ${step}) on ${device}; ${description}; feature network ${extractor.name}`);
  const report = await evaluate(evaluable, { n: args.n, train, heldOut, extractor, seed: args.seed, log: (l) => say(`  ${l} ...`) });
  for (const t of [train.images, train.labels, heldOut.images, heldOut.labels]) t?.dispose();
  model.dispose();
  say(`N = ${report.n} generated images against the ${report.nHeldOut} held-out; the floor is ${report.n} training images against the same held-out set`);
  say(`(N matched: min(--n ${args.n}, ${train.images.shape[0]} training images)). ${report.seconds.toFixed(0)} s.`);
  say(formatReport(report));
  const json = {
    model: name, checkpoint: dir, step, config, data, heldOut: description,
    featureNetAccuracy: extractor.metadata['genlab.held_out_accuracy'], trainedOnHeldOut: sawHeldOut ? 'possibly' : false, device, seed: args.seed ?? 0,
    date: new Date().toISOString(), machine: { cpus: cpus().length, loadAverage: loadavg() }, ...report,
  };
  if (args.json) {
    writeFileAtomic(args.json, new TextEncoder().encode(`${JSON.stringify(json, null, 2)}\n`));
    say(`wrote ${args.json}`);
  }
  return { report, json };
}

export async function evalCommand(args: EvalArgs): Promise<number> {
  const opened = await openCheckpoint(args);
  // Encoders have features, not samples: a linear probe and k-NN instead of the sample metrics.
  if (isEncoder(opened.model)) await evaluateEncoderCheckpoint(args, opened, opened.model);
  else await evaluateCheckpoint(args, opened);
  return 0;
}
