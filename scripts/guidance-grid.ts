/**
 * The effect of classifier-free guidance (notes 001 GANs §5): one grid, a row per class, and for each
 * guidance scale the same `per` starting noises z_T denoised with that scale, left to right, so a
 * column block differs from the next only in s (`genlab eval --config guidance=S` measures each).
 *   node --import tsx --import ./scripts/wgsl-register.mjs scripts/guidance-grid.ts CHECKPOINT OUT.png [scales=1,2,4] [per=4]
 */
import * as T from '../src/index.js';
import { saveImageGrid } from '../src/io/png.js';
import { preferredDevice } from '../src/cli/device.js';
import { loadModel, readModelFile } from '../src/cli/load-model.js';

const [checkpoint, out, scaleText = '1,2,4', perText = '4'] = process.argv.slice(2);
if (!checkpoint || !out) throw new Error('usage: guidance-grid.ts CHECKPOINT OUT.png [scales] [per]');
const file = readModelFile(checkpoint);
const device = await preferredDevice(undefined, file.entry);
const { entry, model, config, step } = loadModel(file, device);
const classes = (config as { classes?: number }).classes;
if (classes === undefined || !('guidance' in config)) throw new Error(`${entry.name} has no guidance scale`);
const scales = scaleText.split(',').map(Number);
const per = Number(perText);
// Labels in grid order: class r repeated `per` times, for every class.
const labels = T.tensor(Array.from({ length: classes * per }, (_, i) => Math.floor(i / per)), { dtype: 'int32', device });
const sample = model as unknown as { sample(n: number, o: { labels: T.Tensor; guidance: number }): T.Tensor };
// The same seed before each scale: the same z_T (DDIM with η = 0 draws nothing else).
const blocks = scales.map((guidance) => {
  T.manualSeed(0);
  return T.reshape(sample.sample(classes * per, { labels, guidance }), [classes, per, 1, 28, 28]);
});
const grid = T.reshape(T.cat(blocks, 1), [classes * per * scales.length, 1, 28, 28]);
await saveImageGrid(out, grid, { range: entry.dataRange, nrow: per * scales.length });
console.log(`wrote ${out}: ${entry.name} (step ${step}), rows classes 0-${classes - 1}, column blocks of ${per} at guidance ${scales.join(', ')}`);
