/**
 * A checkpoint's optimizer file (optimizer.safetensors) as bytes, without the file system, so the
 * browser writes and reads the same file `genlab train` does: every optimizer's buffers as
 * `<name>.state.<i>.<buffer>` tensors, its parameter groups and per-parameter step counts as JSON
 * metadata (PyTorch's `state_dict()` layout), and the run's training state.
 */
import type { Optimizer, OptimizerStateDict } from '../optim/optimizer.js';
import type { Tensor } from '../tensor.js';
import { FormatError } from './format-error.js';
import { serializeSafetensors, type SafetensorsContents } from './safetensors.js';

/** The step a checkpoint file was saved at (in both files). */
export const STEP_KEY = 'genlab.step';
/** The run's JSON state to resume from (in the optimizer file). */
export const TRAINING_KEY = 'genlab.training_state';

/** optimizer.safetensors of `optimizers` (by name) with the run's `trainingState`, checksummed. */
export function serializeOptimizerFile(optimizers: Record<string, Optimizer>, trainingState: { step: number } & Record<string, unknown>): Promise<Uint8Array> {
  const tensors: Record<string, Tensor> = {};
  const metadata: Record<string, string> = { [STEP_KEY]: String(trainingState.step), [TRAINING_KEY]: JSON.stringify(trainingState) };
  for (const [key, optimizer] of Object.entries(optimizers)) {
    const { state, paramGroups } = optimizer.stateDict();
    const steps: Record<string, number> = {};
    for (const [i, s] of Object.entries(state)) {
      steps[i] = s.step;
      for (const [name, t] of Object.entries(s.buffers)) tensors[`${key}.state.${i}.${name}`] = t;
    }
    metadata[`${key}.param_groups`] = JSON.stringify(paramGroups);
    metadata[`${key}.steps`] = JSON.stringify(steps);
  }
  return serializeSafetensors(tensors, metadata, { checksum: true });
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

/** Whether parsed JSON is a plain object. */
export const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
/** Whether parsed JSON is a count (a non-negative safe integer). */
export const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Whether parsed safetensors contents are an optimizer file (they carry a training state). */
export function isOptimizerFile(contents: SafetensorsContents): boolean {
  return contents.metadata[TRAINING_KEY] !== undefined;
}

/**
 * The state of the optimizer saved as `key` in an optimizer file, checked before anything loads
 * it (`path` names the file in errors). The tensors are the file's own: the caller disposes them.
 */
export function optimizerStateOf(file: SafetensorsContents, key: string, path: string): OptimizerStateDict {
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
