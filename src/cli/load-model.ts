/**
 * A model from a checkpoint directory, for sampling and evaluation: only the model file is read
 * (no optimizer), the model is rebuilt from the registry name and configuration in its metadata,
 * and the weights are loaded.
 *
 * Checkpoints from before protocol v2 (no `genlab.protocol` key) load too: the state dict names
 * did not change, and the one thing v2 added, the code prior of the plain autoencoders
 * (`code_prior.mean`, `code_prior.var`), is a buffer that starts at N(0, I) when missing (said in
 * `notes`). Any other mismatch is a FormatError that names the keys.
 */
import type { DeviceName } from '../backend/backend.js';
import type { Tensor } from '../tensor.js';
import { join } from 'node:path';
import { hasCheckpoint, resolveCheckpoint } from '../io/checkpoint.js';
import { FormatError } from '../io/format-error.js';
import { ArgumentError } from '../errors.js';
import { applyConfig } from './config.js';
import { loadSafetensors } from '../io/safetensors-file.js';
import { getModel, type Model, type ModelEntry } from '../../models/index.js';
import { ADDED_IN_V2, CONFIG_KEY, MODEL_KEY, PROTOCOL_KEY, STEP_KEY } from './shared.js';

export interface LoadedModel {
  entry: ModelEntry;
  model: Model;
  config: object;
  /** The model file's metadata. */
  metadata: Record<string, string>;
  step: number;
  /** What the load had to assume (a pre-v2 checkpoint's missing buffers). */
  notes: string[];
}

/** The registry entry and configuration a model file's metadata names. */
export function describedModel(metadata: Record<string, string>, source: string): { entry: ModelEntry; config: object } {
  const name = metadata[MODEL_KEY];
  if (!name) throw new FormatError(`${source}: the checkpoint does not say which model it holds (no '${MODEL_KEY}' metadata)`);
  let config: unknown;
  try {
    config = JSON.parse(metadata[CONFIG_KEY] ?? '{}');
  } catch {
    throw new FormatError(`${source}: '${CONFIG_KEY}' is not valid JSON`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new FormatError(`${source}: '${CONFIG_KEY}' is not a configuration object`);
  return { entry: getModel(name), config };
}

/** A model file read from disk, with the entry and configuration it names; dispose `tensors` when done. */
export interface ModelFile {
  path: string;
  entry: ModelEntry;
  config: object;
  metadata: Record<string, string>;
  tensors: Record<string, Tensor>;
}

/** A checkpoint directory, its model file, or a run directory holding `checkpoint/`. */
export function checkpointPath(path: string): string {
  if (path.endsWith('.safetensors') || hasCheckpoint(path) || !hasCheckpoint(join(path, 'checkpoint'))) return path;
  return join(path, 'checkpoint');
}

/** Read the model file of a checkpoint (see `checkpointPath`) without building anything. */
export function readModelFile(dir: string): ModelFile {
  const path = resolveCheckpoint(checkpointPath(dir)).model;
  const { tensors, metadata } = loadSafetensors(path);
  try {
    return { path, ...describedModel(metadata, path), metadata, tensors };
  } catch (e) {
    for (const t of Object.values(tensors)) t.dispose();
    throw e;
  }
}

/**
 * Load the model of checkpoint directory `dir` onto `device` (or of a file already read, which this
 * disposes). `overrides` (`--config key=value`) change keys of the trained configuration that only
 * decide how it samples (DDIM's step count, a guidance scale); one that changes a weight's shape
 * is an ArgumentError.
 */
export function loadModel(dir: string | ModelFile, device: DeviceName, overrides: Record<string, string> = {}): LoadedModel {
  const { path, entry, config: trained, metadata, tensors } = typeof dir === 'string' ? readModelFile(dir) : dir;
  try {
    const config = applyConfig(entry, overrides, trained);
    const model = entry.build(config, device);
    const current = metadata[PROTOCOL_KEY] !== undefined;
    let loaded: { missingKeys: string[]; unexpectedKeys: string[] };
    try {
      loaded = model.loadStateDict(tensors, { strict: current });
    } catch (e) {
      model.dispose();
      if (Object.keys(overrides).length === 0) throw e;
      throw new ArgumentError(`--config ${Object.entries(overrides).map(([k, v]) => `${k}=${v}`).join(' ')}: the weights in ${path} no longer fit ${entry.name} (${(e as Error).message.split('\n')[0]}); only keys that decide sampling can change after training`);
    }
    const { missingKeys, unexpectedKeys } = loaded;
    const notes: string[] = [];
    if (!current) {
      const unknown = [...missingKeys.filter((k) => !ADDED_IN_V2.includes(k)), ...unexpectedKeys];
      if (unknown.length > 0) {
        model.dispose();
        throw new FormatError(`${path}: written before protocol v2, and its tensors do not match ${entry.name} (${unknown.slice(0, 5).join(', ')}); retrain it with \`genlab train ${entry.name}\``);
      }
      if (missingKeys.length > 0) notes.push(`${path} predates protocol v2: ${missingKeys.join(', ')} start at their initial values (N(0, I) codes) until the model is trained further`);
    }
    return { entry, model, config, metadata, step: Number(metadata[STEP_KEY] ?? 0), notes };
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}
