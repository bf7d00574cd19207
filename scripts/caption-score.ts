/**
 * A text-to-image checkpoint (gan-cls, gigagan) judged by what its captions ask for: over the
 * captions of the held-out digits genlab train leaves out (the captions task, seed 0), the share
 * of generated digits whose class the shipped MNIST feature network names as the caption's digit,
 * and whose thickness and slant the task's detectors (models/tasks/captions.ts) read as the
 * caption says; beside the same scores of the task's own drawings of those digits (the floor).
 * Optionally a grid: rows of 8 per caption from the grid's captions (row r digit r mod 10, columns
 * thin/thick x upright/slanted).
 *   node --import tsx --import ./scripts/wgsl-register.mjs scripts/caption-score.ts CHECKPOINT [--n 1000] [grid.png]
 */
import * as T from '../src/index.js';
import { loadTrainAndHeldOut } from '../src/io/held-out.js';
import { saveImageGrid } from '../src/io/png.js';
import { loadModel } from '../src/cli/load-model.js';
import { loadFeatureNet } from '../src/metrics/shipped.js';
import { classAccuracy } from '../src/metrics/inception.js';
import { captionMeaning, detectAttributes, generatorOf, taskRecord } from '../models/index.js';

const args = process.argv.slice(2);
const nAt = args.indexOf('--n');
const n = nAt >= 0 ? Number(args.splice(nAt, 2)[1]) : 1000;
const [checkpoint, grid] = args;
const { entry, model, step } = loadModel(checkpoint!, 'cpu');
if (!entry.fields.includes('tokens')) throw new Error(`${entry.name} does not draw from captions`);
const generator = generatorOf(model, entry.name);
const { heldOut } = loadTrainAndHeldOut('mnist');
const take = (t: T.Tensor) => T.slice(t, [{ stop: n }]);
const record = taskRecord('captions', take(heldOut.images), 0, [0, 1], take(heldOut.labels!));
const tokens = Array.from(record.tokens!.dataSync());
const meanings = Array.from({ length: n }, (_, i) => captionMeaning(tokens.slice(4 * i, 4 * i + 4)));
const unit = (x: T.Tensor) => T.clamp(T.div(T.sub(x, entry.dataRange[0]), entry.dataRange[1] - entry.dataRange[0]), 0, 1);

T.manualSeed(0);
const parts: T.Tensor[] = [];
for (let start = 0; start < n; start += 100) {
  const sources = { tokens: T.slice(record.tokens!, [{ start, stop: Math.min(n, start + 100) }]) };
  parts.push(T.tidy(() => unit(generator.sample(sources.tokens.shape[0]!, { sources }))));
}
const generated = T.cat(parts, 0);
const extractor = loadFeatureNet('mnist');
const score = async (images: T.Tensor) => {
  const { accuracy } = await classAccuracy(extractor, images, meanings.map((m) => m.digit));
  const seen = detectAttributes(images);
  const share = (f: (i: number) => boolean) => meanings.filter((_, i) => f(i)).length / n;
  const thick = share((i) => seen.thick[i] === meanings[i]!.thick);
  const slanted = share((i) => seen.slanted[i] === meanings[i]!.slanted);
  const all = share((i) => seen.thick[i] === meanings[i]!.thick && seen.slanted[i] === meanings[i]!.slanted);
  return `class ${(100 * accuracy).toFixed(1)}%, thickness ${(100 * thick).toFixed(1)}%, slant ${(100 * slanted).toFixed(1)}%, both attributes ${(100 * all).toFixed(1)}%`;
};
console.log(`${entry.name} (step ${step}), ${n} held-out captions: ${await score(generated)}`);
console.log(`floor (the task's own drawings of those digits): ${await score(record.images!)}`);
if (grid) {
  T.manualSeed(0);
  await saveImageGrid(grid, generator.sample(80), { range: entry.dataRange, nrow: 8 });
  console.log(`wrote ${grid}: row r digit r mod 10; columns thin upright, thick upright, thin slanted, thick slanted, twice`);
}
