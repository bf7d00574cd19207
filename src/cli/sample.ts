/** `genlab sample <checkpoint>`: rebuild the model a checkpoint names, load it, and write a sample grid. */
import { dirname } from 'node:path';
import * as T from '../index.js';
import { loadCheckpoint, readCheckpointInfo } from '../io/checkpoint.js';
import { loadDataset } from '../io/datasets.js';
import { saveImageGrid } from '../io/png.js';
import { getModel } from '../../models/index.js';
import { preferredDevice } from './device.js';
import { CONFIG_KEY, DATA_KEY, MODEL_KEY, rangeTransform } from './shared.js';
import { ArgumentError } from '../errors.js';

export interface SampleArgs {
  checkpoint: string;
  n: number;
  /** Images per grid row (default: a square grid). The class-conditional GANs put one class in each row of 8. */
  nrow?: number;
  out: string;
  seed?: number;
  device?: string;
}

export async function sample(args: SampleArgs): Promise<number> {
  if (!Number.isInteger(args.n) || args.n <= 0) throw new ArgumentError(`--n must be a positive integer, got ${args.n}`);
  // The checkpoint directory, or one of its files.
  const dir = args.checkpoint.endsWith('.safetensors') ? dirname(args.checkpoint) : args.checkpoint;
  const { metadata, trainingState } = readCheckpointInfo(dir);
  const name = metadata[MODEL_KEY];
  if (!name) throw new ArgumentError(`${dir}: the checkpoint does not say which model it holds (no '${MODEL_KEY}' metadata)`);
  const entry = getModel(name);
  const config = JSON.parse(metadata[CONFIG_KEY] ?? '{}') as object;
  // Real images: reconstructing models show them next to their outputs; generators ignore them.
  const data = loadDataset(metadata[DATA_KEY] ?? 'mnist', { split: 'test', limit: args.n });
  const transform = rangeTransform(entry.dataRange);
  const real = T.tidy(() => transform(data.images));
  const device = await preferredDevice(args.device, entry);
  T.manualSeed(args.seed ?? 0);
  const trainer = entry.create({ device, lr: entry.defaults.lr, config });
  loadCheckpoint(dir, { module: trainer.module });
  trainer.module.eval();
  const onDevice = await real.to(device);
  const images = trainer.sample(args.n, onDevice);
  await saveImageGrid(args.out, images, { range: entry.dataRange, nrow: args.nrow });
  console.log(`wrote ${args.out}: ${args.n} samples of ${name} (step ${trainingState.step}) on ${device}`);
  return 0;
}
