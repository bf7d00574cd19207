/**
 * Training checkpoints (Node): a directory holding
 *   model.safetensors      the module's state dict under PyTorch's names, plus string metadata
 *                          (loads in PyTorch with safetensors.torch.load_file + load_state_dict);
 *   optimizer.safetensors  every optimizer's state tensors, with parameter groups, step counts and
 *                          the caller's training state (step, epoch, ...) as JSON metadata,
 * in a generation directory that one rename makes current (see checkpoint-layout.ts): a kill at
 * any instant leaves the previous or the new checkpoint loadable. Both files carry checksums of
 * their tensors and metadata, verified on load; corrupt metadata is a FormatError.
 */
import { existsSync } from 'node:fs';
import type { Module } from '../nn/module.js';
import type { Optimizer, OptimizerStateDict } from '../optim/optimizer.js';
import type { Tensor } from '../tensor.js';
import { FormatError } from './format-error.js';
import { commitCheckpoint, MODEL_FILE, OPTIMIZER_FILE, resolveCheckpoint, type CheckpointPaths } from './checkpoint-layout.js';
import { loadSafetensors } from './safetensors-file.js';
import { serializeSafetensors, type SafetensorsContents } from './safetensors.js';

export { MODEL_FILE, OPTIMIZER_FILE, hasCheckpoint, resolveCheckpoint } from './checkpoint-layout.js';
const STEP_KEY = 'genlab.step';
const TRAINING_KEY = 'genlab.training_state';

/** What a checkpoint holds or loads into: a module and, optionally, named optimizers. */
export interface CheckpointParts {
  /** The module whose state dict is the model file (model.safetensors). */
  module: Module;
  /** Optimizers by name, whose state goes to optimizer.safetensors under that name. */
  optimizers?: Record<string, Optimizer>;
  /** Whether the model file must hold exactly the module's state dict (default true). */
  strict?: boolean;
}

/** Options of `saveCheckpoint`: the parts, plus metadata and the training state to resume from. */
export interface SaveOptions extends CheckpointParts {
  /** Strings stored in model.safetensors (what model this is, its configuration). */
  metadata?: Record<string, string>;
  /** JSON-serialisable state to resume from (stored in optimizer.safetensors). */
  trainingState?: { step: number } & Record<string, unknown>;
}

/** Save a checkpoint into `dir` atomically; returns where its files are. */
export async function saveCheckpoint(dir: string, opts: SaveOptions): Promise<CheckpointPaths> {
  const stepNumber = opts.trainingState?.step ?? 0;
  const step = String(stepNumber);
  const model = await serializeSafetensors(opts.module.stateDict(), { ...opts.metadata, [STEP_KEY]: step }, { checksum: true });
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
  const optimizer = await serializeSafetensors(tensors, metadata, { checksum: true });
  return commitCheckpoint(dir, stepNumber, { [MODEL_FILE]: model, [OPTIMIZER_FILE]: optimizer });
}

/**
 * What `readCheckpointInfo` returns without loading tensors: the model file's metadata and the
 * training state.
 */
export interface CheckpointInfo {
  /** The model file's metadata (what `saveCheckpoint` was given, plus the step). */
  metadata: Record<string, string>;
  /**
   * The JSON state a run saved to resume from (its step, and whatever else the trainer recorded).
   */
  trainingState: { step: number } & Record<string, unknown>;
}

interface CheckpointFiles {
  model: SafetensorsContents;
  optimizer: SafetensorsContents | null;
  optimizerPath: string;
  modelPath: string;
}

/** Which optimizer file to read: none (the model file alone suffices), the one that is there, or a required one. */
type OptimizerFile = 'none' | 'if-present' | 'required';

function readFiles(path: string, optimizerFile: OptimizerFile): CheckpointFiles {
  const paths = resolveCheckpoint(path);
  const model = loadSafetensors(paths.model);
  let optimizer: SafetensorsContents | null = null;
  try {
    const read = optimizerFile === 'required' || (optimizerFile === 'if-present' && existsSync(paths.optimizer));
    optimizer = read ? loadSafetensors(paths.optimizer) : null;
  } catch (e) {
    disposeFiles({ model, optimizer: null, optimizerPath: paths.optimizer, modelPath: paths.model });
    throw e;
  }
  const files = { model, optimizer, optimizerPath: paths.optimizer, modelPath: paths.model };
  if (optimizer && optimizer.metadata[STEP_KEY] !== model.metadata[STEP_KEY]) {
    disposeFiles(files);
    throw new FormatError(`${paths.dir}: ${MODEL_FILE} is from step ${model.metadata[STEP_KEY]} but ${OPTIMIZER_FILE} from step ${optimizer.metadata[STEP_KEY]}; the checkpoint is inconsistent`);
  }
  return files;
}

function disposeFiles(files: CheckpointFiles): void {
  for (const t of Object.values(files.model.tensors)) t.dispose();
  for (const t of Object.values(files.optimizer?.tensors ?? {})) t.dispose();
}

/** A metadata string parsed as JSON; corrupt text is a FormatError naming the file and the key. */
export function parseJsonMetadata(metadata: Record<string, string>, key: string, source: string): unknown {
  const text = metadata[key];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new FormatError(`${source}: the metadata '${key}' is not valid JSON (corrupt checkpoint)`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function info(files: CheckpointFiles): CheckpointInfo {
  const saved = files.optimizer ? parseJsonMetadata(files.optimizer.metadata, TRAINING_KEY, files.optimizerPath) : undefined;
  const modelStep = files.model.metadata[STEP_KEY] ?? '0';
  const trainingState = saved ?? { step: /^\d+$/.test(modelStep) ? Number(modelStep) : modelStep };
  if (!isObject(trainingState) || !isCount(trainingState.step)) {
    throw new FormatError(`${files.optimizer ? files.optimizerPath : files.modelPath}: the training state's step is ${JSON.stringify(isObject(trainingState) ? trainingState.step : trainingState)}, not a step count (corrupt checkpoint)`);
  }
  return { metadata: files.model.metadata, trainingState: trainingState as CheckpointInfo['trainingState'] };
}

/**
 * A checkpoint's metadata and training state, without loading it into a model (`path`: its
 * directory or model file). `modelOnly`: read only the model file (the step is then the model's).
 */
export function readCheckpointInfo(path: string, opts: { modelOnly?: boolean } = {}): CheckpointInfo {
  const files = readFiles(path, opts.modelOnly ? 'none' : 'if-present');
  disposeFiles(files);
  return info(files);
}

/**
 * Load a checkpoint into `module` and `optimizers` (made as for training, on any device). Without
 * optimizers only the model file is read: sampling needs nothing else.
 */
export function loadCheckpoint(path: string, parts: CheckpointParts): CheckpointInfo {
  const optimizers = Object.entries(parts.optimizers ?? {});
  const files = readFiles(path, optimizers.length > 0 ? 'required' : 'none');
  try {
    // Every check of the files before anything is loaded into the caller's module and optimizers.
    const result = info(files);
    const states = optimizers.map(([key]) => optimizerState(files.optimizer!, key, files.optimizerPath));
    parts.module.loadStateDict(files.model.tensors, { strict: parts.strict ?? true });
    optimizers.forEach(([, optimizer], i) => optimizer.loadStateDict(states[i]!));
    return result;
  } finally {
    disposeFiles(files);
  }
}

function optimizerState(file: SafetensorsContents, key: string, path: string): OptimizerStateDict {
  const groups = parseJsonMetadata(file.metadata, `${key}.param_groups`, path);
  const steps = parseJsonMetadata(file.metadata, `${key}.steps`, path);
  if (groups === undefined || steps === undefined) throw new FormatError(`${path}: no state for the optimizer '${key}'`);
  const corrupt = (what: string) => new FormatError(`${path}: the optimizer '${key}' has ${what} (corrupt checkpoint)`);
  if (!Array.isArray(groups) || !groups.every((g) => isObject(g) && Array.isArray(g.params) && g.params.every(isCount))) {
    throw corrupt(`param_groups ${JSON.stringify(groups).slice(0, 80)}, not a list of groups with parameter indices`);
  }
  for (const g of groups as Record<string, unknown>[]) {
    for (const [option, v] of Object.entries(g)) {
      const ok = option === 'params' || typeof v === 'boolean' || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))
        || (Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x)));
      if (!ok) throw corrupt(`the option ${option} = ${JSON.stringify(v)} in param_groups`);
    }
  }
  if (!isObject(steps) || !Object.entries(steps).every(([i, n]) => /^\d+$/.test(i) && isCount(n))) {
    throw corrupt(`step counts ${JSON.stringify(steps).slice(0, 80)}, not parameter index -> count`);
  }
  const state: OptimizerStateDict['state'] = {};
  for (const [i, step] of Object.entries(steps)) state[Number(i)] = { step: step as number, buffers: {} };
  const prefix = `${key}.state.`;
  for (const [name, t] of Object.entries(file.tensors)) {
    if (!name.startsWith(prefix)) continue;
    const [i, buffer] = [name.slice(prefix.length, name.indexOf('.', prefix.length)), name.slice(name.indexOf('.', prefix.length) + 1)];
    const entry = state[Number(i)];
    if (!entry) throw new FormatError(`${path}: tensor '${name}' belongs to no parameter with a step count`);
    entry.buffers[buffer] = t;
  }
  return { state, paramGroups: groups as OptimizerStateDict['paramGroups'] };
}
