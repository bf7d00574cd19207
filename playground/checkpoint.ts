/**
 * The checkpoint's model file in the browser: the same bytes `genlab train` writes as
 * model.safetensors (the state dict under PyTorch's names, checksums, and the metadata that names
 * the model and its configuration), so `genlab sample run.safetensors` reads a downloaded one and
 * the page reads one from `genlab train` or `genlab import` (PyTorch weights). A file without the
 * genlab metadata (plain PyTorch safetensors) loads into the model chosen in the form.
 */
import { io, type DeviceName } from '../src/index.js';
import { ADDED_IN_V2, CONFIG_KEY, DATA_KEY, MODEL_KEY, PROTOCOL_KEY, PROTOCOL_VERSION, STEP_KEY } from '../src/cli/shared.js';
import { getModel, type Model, type ModelEntry } from '../models/index.js';

export interface RunInfo {
  entry: ModelEntry;
  config: object;
  data: string;
  step: number;
}

/** model.safetensors of `model` at `run.step`, as `genlab train` writes it. */
export function encodeModelFile(model: Model, run: RunInfo): Promise<Uint8Array> {
  const metadata = {
    [MODEL_KEY]: run.entry.name, [CONFIG_KEY]: JSON.stringify(run.config), [DATA_KEY]: run.data, [PROTOCOL_KEY]: PROTOCOL_VERSION, [STEP_KEY]: String(run.step),
  };
  return io.serializeSafetensors(model.stateDict(), metadata, { checksum: true });
}

export interface LoadedFile extends RunInfo {
  model: Model;
  notes: string[];
}

/**
 * Build the model a parsed model file names on `device` and load its weights (the file's tensors
 * stay the caller's to dispose). `fallback`: the model and configuration to use when the file does
 * not say (weights saved by PyTorch alone).
 */
export function decodeModelFile(file: io.SafetensorsContents, name: string, device: DeviceName, fallback: { entry: ModelEntry; config: object }): LoadedFile {
  const { tensors, metadata } = file;
  const notes: string[] = [];
  let { entry, config } = fallback;
  if (metadata[MODEL_KEY]) {
    entry = getModel(metadata[MODEL_KEY]);
    config = parseConfig(metadata[CONFIG_KEY], name);
  } else {
    notes.push(`${name} does not name its model (no '${MODEL_KEY}' metadata): loaded into ${entry.name} with the form's configuration`);
  }
  const model = entry.build(config, device);
  const { missingKeys, unexpectedKeys } = model.loadStateDict(tensors, { strict: false });
  // Only a file from before protocol v2 may lack the buffers v2 added.
  const allowed: readonly string[] = metadata[PROTOCOL_KEY] === undefined ? ADDED_IN_V2 : [];
  const unknown = [...missingKeys.filter((k) => !allowed.includes(k)), ...unexpectedKeys];
  if (unknown.length > 0) {
    model.dispose();
    throw new io.FormatError(`${name}: its tensors do not match ${entry.name} (${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', ...' : ''})`);
  }
  if (missingKeys.length > 0) notes.push(`${name} lacks ${missingKeys.join(', ')}: they start at their initial values`);
  return { entry, config, model, notes, data: metadata[DATA_KEY] ?? 'unknown', step: Number(metadata[STEP_KEY] ?? 0) || 0 };
}

function parseConfig(text: string | undefined, name: string): object {
  let config: unknown;
  try {
    config = JSON.parse(text ?? '{}');
  } catch {
    throw new io.FormatError(`${name}: '${CONFIG_KEY}' is not valid JSON`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new io.FormatError(`${name}: '${CONFIG_KEY}' is not a configuration object`);
  return config;
}
