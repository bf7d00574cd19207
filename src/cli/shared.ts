/** What the `genlab` subcommands share: checkpoint metadata keys and the data-range transform. */
import type { Transform } from '../io/transforms.js';
import { toSymmetric } from '../io/transforms.js';
import { ArgumentError } from '../errors.js';
import type { DeviceName, Tensor } from '../index.js';
import { taskRecord, type Batch, type ModelEntry } from '../../models/index.js';

/** Keys of the model file's metadata: the registry name and configuration that rebuild the model. */
export const MODEL_KEY = 'genlab.model';
export const CONFIG_KEY = 'genlab.config';
export const DATA_KEY = 'genlab.data';
/** The training protocol a checkpoint was written under (absent before v2: see load-model.ts). */
export const PROTOCOL_KEY = 'genlab.protocol';
export const PROTOCOL_VERSION = '2';
/** The step a model file was saved at (io/checkpoint.ts writes it). */
export const STEP_KEY = 'genlab.step';
/** Buffers a checkpoint written before protocol v2 may lack: they start at their initial values. */
export const ADDED_IN_V2: readonly string[] = ['code_prior.mean', 'code_prior.var'];

/** Datasets load in [0, 1]; this maps a batch into the range a model trains in. */
export function rangeTransform(range: readonly [number, number]): Transform {
  if (range[0] === 0 && range[1] === 1) return (x) => x;
  if (range[0] === -1 && range[1] === 1) return toSymmetric();
  throw new ArgumentError(`no transform from [0, 1] to [${range.join(', ')}]`);
}

/**
 * The record a task entry (models/tasks) trains on, made on the host from images [N, 1, H, W] in
 * [0, 1] on the CPU (and their classes, which the captions task needs) and the batch's seed, then
 * uploaded to `device`.
 */
export async function uploadedTaskRecord(entry: ModelEntry, config: object, images: Tensor, seed: number, device: DeviceName, labels?: Tensor): Promise<Batch> {
  const host = taskRecord(entry.task!(config), images, seed, entry.dataRange, labels);
  const out: Record<string, Tensor> = {};
  for (const [field, t] of Object.entries(host)) {
    out[field] = await t.to(device);
    if (out[field] !== t) t.dispose();
  }
  return out;
}
