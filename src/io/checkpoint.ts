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
import type { Optimizer } from '../optim/optimizer.js';
import { FormatError } from './format-error.js';
import { commitCheckpoint, MODEL_FILE, OPTIMIZER_FILE, resolveCheckpoint, type CheckpointPaths } from './checkpoint-layout.js';
import { isCount, isObject, optimizerStateOf, parseJsonMetadata, serializeOptimizerFile, STEP_KEY, TRAINING_KEY } from './optimizer-file.js';
import { loadSafetensors } from './safetensors-file.js';
import { serializeSafetensors, type SafetensorsContents } from './safetensors.js';

export { MODEL_FILE, OPTIMIZER_FILE, hasCheckpoint, resolveCheckpoint } from './checkpoint-layout.js';
export { parseJsonMetadata } from './optimizer-file.js';

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
  const optimizer = await serializeOptimizerFile(opts.optimizers ?? {}, opts.trainingState ?? { step: 0 });
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
    const states = optimizers.map(([key]) => optimizerStateOf(files.optimizer!, key, files.optimizerPath));
    parts.module.loadStateDict(files.model.tensors, { strict: parts.strict ?? true });
    optimizers.forEach(([, optimizer], i) => optimizer.loadStateDict(states[i]!));
    return result;
  } finally {
    disposeFiles(files);
  }
}
