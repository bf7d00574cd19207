/**
 * A paired translation checkpoint (pix2pix) on held-out digits: the mean L1 distance between its
 * outputs and the true targets (pixels in [0, 1]) over the held-out part genlab train leaves out,
 * beside the L1 of the sources themselves, and a grid of (source, output, target) rows.
 *   node --import tsx --import ./scripts/wgsl-register.mjs scripts/translation-l1.ts CHECKPOINT [grid.png]
 */
import * as T from '../src/index.js';
import { loadTrainAndHeldOut } from '../src/io/held-out.js';
import { saveImageGrid } from '../src/io/png.js';
import { loadModel } from '../src/cli/load-model.js';
import { taskRecord } from '../models/index.js';

const [checkpoint, grid] = process.argv.slice(2);
const { entry, model, config, step } = loadModel(checkpoint!, 'cpu');
if (!entry.task || !entry.fields.includes('target')) throw new Error(`${entry.name} is not a paired translation model`);
const { heldOut } = loadTrainAndHeldOut('mnist');
const task = entry.task(config);
const record = taskRecord(task, heldOut.images, 0, entry.dataRange);
const unit = (x: T.Tensor) => T.div(T.sub(x, entry.dataRange[0]), entry.dataRange[1] - entry.dataRange[0]);
model.eval();
const output = T.noGrad(() => T.clamp(unit((model as unknown as { translate(x: T.Tensor): T.Tensor }).translate(record.source!)), 0, 1));
const l1 = (a: T.Tensor, b: T.Tensor) => T.mean(T.abs(T.sub(a, b))).item();
const target = unit(record.target!);
console.log(`${entry.name} (${task}, step ${step}) on ${heldOut.images.shape[0]} held-out digits: L1(output, target) = ${(await l1(output, target)).toFixed(4)}; L1(source, target) = ${(await l1(unit(record.source!), target)).toFixed(4)} (pixels in [0, 1])`);
if (grid) {
  const rows = [0, 8, 16].flatMap((s) => [record.source!, T.sub(T.mul(output, 2), 1), record.target!].map((t) => T.slice(t, [{ start: s * 37, stop: s * 37 + 8 }])));
  await saveImageGrid(grid, T.cat(rows, 0), { range: [-1, 1], nrow: 8 });
  console.log(`wrote ${grid}`);
}
