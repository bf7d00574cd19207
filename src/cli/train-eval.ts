/**
 * `genlab train --eval-every K`: every K steps, FID of N fresh samples against the held-out images
 * (and the requested class's accuracy for conditional models, the share of confidently recognised
 * samples otherwise), beside the floor of N real training images. Logged with the progress bar and
 * appended to `<run>/eval.jsonl`, one JSON object a line, so a run's curve can be plotted.
 *
 * The held-out features and the floor are computed once; each evaluation costs N samples through
 * the model and the feature net (N = 1,000: a few seconds for the small models here). The training
 * stream is not disturbed: every training step reseeds the generator, and the modules' train/eval
 * modes are restored after sampling.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DeviceName } from '../index.js';
import { loadTrainAndHeldOut } from '../io/held-out.js';
import { extractAll, floorImages } from '../metrics/evaluate.js';
import { fid } from '../metrics/fid.js';
import { accuracyOf, recognition } from '../metrics/inception.js';
import { loadFeatureNet } from '../metrics/shipped.js';
import { generatorOf, isEncoder, type Model, type ModelEntry } from '../../models/index.js';
import { evaluableModel } from './eval-model.js';

export interface TrainingEvaluator {
  /** Scores the model at `step`; returns the line to log. */
  at(step: number): Promise<string>;
}

const BATCH = 250;

/** An evaluator for a run, or undefined (with the reason in `log`) when the model has no samples to score. */
export async function trainingEvaluator(
  entry: ModelEntry, model: Model, config: object, device: DeviceName, data: string, out: string, n: number, log: (line: string) => void,
): Promise<TrainingEvaluator | undefined> {
  if (isEncoder(model)) {
    log(`--eval-every: ${entry.name} is an encoder (no samples); genlab eval gives its linear probe`);
    return undefined;
  }
  const extractor = loadFeatureNet(data === 'fashion-mnist' ? 'fashion-mnist' : 'mnist');
  const { train, heldOut } = loadTrainAndHeldOut(data);
  const count = Math.min(n, train.images.shape[0]!);
  const picked = floorImages(train, count, 0);
  const [realF, heldF] = [await extractor.extract(picked.images), await extractor.extract(heldOut.images)];
  for (const t of new Set([train.images, train.labels, heldOut.images, heldOut.labels, picked.images, picked.labels])) t?.dispose();
  const d = extractor.featureDim;
  const floor = fid(realF.features, heldF.features, d).value;
  const file = join(out, 'eval.jsonl');
  mkdirSync(out, { recursive: true });
  log(`--eval-every: FID of ${count} samples against ${heldF.n} held-out images (floor ${floor.toFixed(2)}: ${count} training images), logged to ${file}`);

  return {
    async at(step) {
      const modes = model.modules().map((m) => m.training);
      const started = Date.now();
      const evaluable = evaluableModel(entry, generatorOf(model, entry.name), config, device);
      const labels = evaluable.classes ? Int32Array.from({ length: count }, (_, i) => i % evaluable.classes!) : undefined;
      const genF = await extractAll(count, BATCH, extractor, (start, m) => evaluable.generate(m, labels?.subarray(start, start + m)));
      model.modules().forEach((m, i) => (m.training = modes[i]!));
      const score = fid(genF.features, heldF.features, d).value;
      const record: Record<string, number | string> = { step, n: count, fid: score, fidFloor: floor };
      let extra = '';
      if (genF.probs && labels) {
        record.classAccuracy = accuracyOf(genF.probs, extractor.classes!, labels);
        extra = `, class accuracy ${(100 * (record.classAccuracy as number)).toFixed(1)}%`;
      } else if (genF.probs) {
        const r = recognition(genF.probs, extractor.classes!);
        record.confident = r.confident;
        record.maxShare = Math.max(...r.shares);
        extra = `, confident ${(100 * r.confident).toFixed(1)}%, largest class share ${(100 * (record.maxShare as number)).toFixed(1)}%`;
      }
      record.seconds = (Date.now() - started) / 1000;
      record.date = new Date().toISOString();
      appendFileSync(file, `${JSON.stringify(record)}\n`);
      return `eval at step ${step}: FID ${score.toFixed(2)} (floor ${floor.toFixed(2)}, N ${count})${extra}`;
    },
  };
}
