/**
 * `genlab sample <checkpoint>`: rebuild the model a checkpoint names from its model file alone (no
 * optimizer) and write a grid of `sample(n)`; with `--preview`, the model's picture of real data
 * instead (reconstructions, denoising, chains started at data), on test images of its dataset.
 */
import * as T from '../index.js';
import { loadDataset } from '../io/datasets.js';
import { saveImageGrid } from '../io/png.js';
import { preferredDevice } from './device.js';
import { loadModel, readModelFile } from './load-model.js';
import { DATA_KEY, rangeTransform, uploadedTaskRecord } from './shared.js';
import { ArgumentError } from '../errors.js';
import { batchRecord } from './train.js';
import { generatorOf } from '../../models/index.js';

/** Images per row of a trajectory grid: x_T, six intermediates, x_0. */
const TRAJECTORY_COLUMNS = 8;

export interface SampleArgs {
  checkpoint: string;
  n: number;
  /** Images per grid row (default: a square grid). The class-conditional GANs put one class in each row of 8. */
  nrow?: number;
  out: string;
  seed?: number;
  device?: string;
  /** Draw the model's preview of real test images instead of samples. */
  preview?: boolean;
  /** Draw a diffusion model's reverse process (rows of 8, x_T to x_0; n/8 rows) instead of samples. */
  trajectory?: boolean;
  /** `--config key=value`: sampling keys of the trained configuration to change (see `loadModel`). */
  config?: Record<string, string>;
}

export async function sample(args: SampleArgs): Promise<number> {
  if (!Number.isInteger(args.n) || args.n <= 0) throw new ArgumentError(`--n must be a positive integer, got ${args.n}`);
  // The entry decides the device (host models need the CPU) before the model is built on one.
  const file = readModelFile(args.checkpoint);
  const device = await preferredDevice(args.device, file.entry);
  T.manualSeed(args.seed ?? 0);
  if (args.preview && args.trajectory) throw new ArgumentError('--preview and --trajectory each choose the grid: give one');
  const { entry, model, config, metadata, step, notes } = loadModel(file, device, args.config);
  for (const note of notes) console.log(note);
  let images: T.Tensor;
  if (args.preview) {
    if (!model.preview) throw new ArgumentError(`${entry.name} has no preview; its grid is sample(n) (drop --preview)`);
    const data = loadDataset(metadata[DATA_KEY] ?? 'mnist', { split: 'test', limit: args.n });
    if (entry.task) {
      // A translation model's preview: the task's record of the test images (seed --seed), translated.
      images = model.preview(await uploadedTaskRecord(entry, config, data.images, args.seed ?? 0, device, data.labels));
    } else {
      const real = await T.tidy(() => rangeTransform(entry.dataRange)(data.images)).to(device);
      images = model.preview(batchRecord(entry, real, data.labels && (await data.labels.to(device))));
    }
  } else if (args.trajectory) {
    const generator = generatorOf(model, entry.name);
    if (!generator.trajectory) throw new ArgumentError(`${entry.name} has no trajectory (a diffusion model's reverse process); drop --trajectory`);
    images = generator.trajectory(Math.max(1, Math.round(args.n / TRAJECTORY_COLUMNS)), TRAJECTORY_COLUMNS);
  } else {
    images = generatorOf(model, entry.name).sample(args.n);
  }
  await saveImageGrid(args.out, images, { range: entry.dataRange, nrow: args.trajectory ? TRAJECTORY_COLUMNS : args.nrow });
  const what = args.preview ? 'a preview' : args.trajectory ? 'denoising trajectories' : `${args.n} samples`;
  console.log(`wrote ${args.out}: ${what} of ${entry.name} (step ${step}) on ${device}`);
  images.dispose();
  model.dispose();
  return 0;
}

