/**
 * `genlab eval` of an encoder (SimCLR, MoCo, DINO: models with features, not samples): a linear
 * probe and a weighted k-NN on its frozen features, trained on N training images (a stratified
 * draw) and measured on the held-out split, beside the floor: the same measures for a randomly
 * initialised encoder of the same configuration (what training added).
 */
import { cpus, loadavg } from 'node:os';
import { writeFileAtomic } from '../io/files.js';
import { loadTrainAndHeldOut } from '../io/held-out.js';
import type { EncoderModel } from '../../models/index.js';
import type { EvalArgs, OpenedCheckpoint } from './eval.js';
import { formatEncoderReport, probeEncoder, type EncoderReport } from './encoder-probe.js';

export { featuresOf, type EncoderReport } from './encoder-probe.js';

export async function evaluateEncoderCheckpoint(args: EvalArgs, opened: OpenedCheckpoint, model: EncoderModel): Promise<{ report: EncoderReport; json: Record<string, unknown> }> {
  const { entry, config, step, device, say, sawHeldOut, data } = opened;
  const { train, heldOut, description } = loadTrainAndHeldOut(data);
  say(`genlab eval ${args.checkpoint}: ${entry.name} (step ${step}) on ${device}; ${description}; ${model.featureDim} features`);
  let report: EncoderReport;
  try {
    report = await probeEncoder(entry, config, device, model, train, heldOut, { n: args.n, seed: args.seed ?? 0, say });
  } finally {
    for (const t of new Set([train.images, train.labels, heldOut.images, heldOut.labels])) t?.dispose();
    model.dispose();
  }
  say(formatEncoderReport(report));
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
