/**
 * Training checkpoints (Node): a directory holding
 *   model.safetensors      the module's state dict under PyTorch's names, plus string metadata
 *                          (loads in PyTorch with safetensors.torch.load_file + load_state_dict);
 *   optimizer.safetensors  every optimizer's state tensors, with parameter groups, step counts and
 *                          the caller's training state (step, epoch, ...) as JSON metadata.
 * Each file is written atomically, the model first; both carry the training step, and loading
 * refuses a pair from different steps (a crash between the two writes).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Module } from '../nn/module.js';
import type { Optimizer, OptimizerStateDict } from '../optim/optimizer.js';
import type { Tensor } from '../tensor.js';
import { FormatError } from './format-error.js';
import { loadSafetensors, saveSafetensors } from './safetensors-file.js';
import type { SafetensorsContents } from './safetensors.js';

export const MODEL_FILE = 'model.safetensors';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
const STEP_KEY = 'genlab.step';
const TRAINING_KEY = 'genlab.training_state';

export interface CheckpointParts {
  module: Module;
  optimizers?: Record<string, Optimizer>;
}

export interface SaveOptions extends CheckpointParts {
  /** Strings stored in model.safetensors (what model this is, its configuration). */
  metadata?: Record<string, string>;
  /** JSON-serialisable state to resume from (stored in optimizer.safetensors). */
  trainingState?: { step: number } & Record<string, unknown>;
}

export async function saveCheckpoint(dir: string, opts: SaveOptions): Promise<void> {
  const step = String(opts.trainingState?.step ?? 0);
  await saveSafetensors(join(dir, MODEL_FILE), opts.module.stateDict(), { ...opts.metadata, [STEP_KEY]: step });
  const tensors: Record<string, Tensor> = {};
  const metadata: Record<string, string> = { [STEP_KEY]: step, [TRAINING_KEY]: JSON.stringify(opts.trainingState ?? { step: 0 }) };
  for (const [key, optimizer] of Object.entries(opts.optimizers ?? {})) {
    const { state, paramGroups } = optimizer.stateDict();
    const steps: Record<string, number> = {};
    for (const [i, s] of Object.entries(state)) {
      steps[i] = s.step;
      for (const [name, t] of Object.entries(s.buffers)) tensors[`${key}.state.${i}.${name}`] = t;
    }
    metadata[`${key}.param_groups`] = JSON.stringify(paramGroups);
    metadata[`${key}.steps`] = JSON.stringify(steps);
  }
  await saveSafetensors(join(dir, OPTIMIZER_FILE), tensors, metadata);
}

export interface CheckpointInfo {
  /** The model file's metadata (what `saveCheckpoint` was given, plus the step). */
  metadata: Record<string, string>;
  trainingState: { step: number } & Record<string, unknown>;
}

interface CheckpointFiles {
  model: SafetensorsContents;
  optimizer: SafetensorsContents | null;
  optimizerPath: string;
}

function readFiles(dir: string, needOptimizer: boolean): CheckpointFiles {
  const model = loadSafetensors(join(dir, MODEL_FILE));
  const optimizerPath = join(dir, OPTIMIZER_FILE);
  const optimizer = needOptimizer || existsSync(optimizerPath) ? loadSafetensors(optimizerPath) : null;
  if (optimizer && optimizer.metadata[STEP_KEY] !== model.metadata[STEP_KEY]) {
    disposeFiles({ model, optimizer, optimizerPath });
    throw new FormatError(`${dir}: ${MODEL_FILE} is from step ${model.metadata[STEP_KEY]} but ${OPTIMIZER_FILE} from step ${optimizer.metadata[STEP_KEY]}; the checkpoint is inconsistent`);
  }
  return { model, optimizer, optimizerPath };
}

function disposeFiles(files: CheckpointFiles): void {
  for (const t of Object.values(files.model.tensors)) t.dispose();
  for (const t of Object.values(files.optimizer?.tensors ?? {})) t.dispose();
}

function info(files: CheckpointFiles): CheckpointInfo {
  const saved = files.optimizer?.metadata[TRAINING_KEY];
  let trainingState: CheckpointInfo['trainingState'];
  try {
    trainingState = saved ? JSON.parse(saved) : { step: Number(files.model.metadata[STEP_KEY] ?? 0) };
  } catch {
    throw new FormatError(`${files.optimizerPath}: the training state is not valid JSON`);
  }
  return { metadata: files.model.metadata, trainingState };
}

/** A checkpoint's metadata and training state, without loading it into a model. */
export function readCheckpointInfo(dir: string): CheckpointInfo {
  const files = readFiles(dir, false);
  disposeFiles(files);
  return info(files);
}

/** Load a checkpoint into `module` and `optimizers` (made as for training, on any device). */
export function loadCheckpoint(dir: string, parts: CheckpointParts): CheckpointInfo {
  const optimizers = Object.entries(parts.optimizers ?? {});
  const files = readFiles(dir, optimizers.length > 0);
  try {
    parts.module.loadStateDict(files.model.tensors);
    for (const [key, optimizer] of optimizers) optimizer.loadStateDict(optimizerState(files.optimizer!, key, files.optimizerPath));
    return info(files);
  } finally {
    disposeFiles(files);
  }
}

function optimizerState(file: { tensors: Record<string, Tensor>; metadata: Record<string, string> }, key: string, path: string): OptimizerStateDict {
  const groups = file.metadata[`${key}.param_groups`];
  const steps = file.metadata[`${key}.steps`];
  if (!groups || !steps) throw new FormatError(`${path}: no state for the optimizer '${key}'`);
  const state: OptimizerStateDict['state'] = {};
  for (const [i, step] of Object.entries(JSON.parse(steps) as Record<string, number>)) state[Number(i)] = { step, buffers: {} };
  const prefix = `${key}.state.`;
  for (const [name, t] of Object.entries(file.tensors)) {
    if (!name.startsWith(prefix)) continue;
    const [i, buffer] = [name.slice(prefix.length, name.indexOf('.', prefix.length)), name.slice(name.indexOf('.', prefix.length) + 1)];
    const entry = state[Number(i)];
    if (!entry) throw new FormatError(`${path}: tensor '${name}' belongs to no parameter with a step count`);
    entry.buffers[buffer] = t;
  }
  return { state, paramGroups: JSON.parse(groups) };
}
