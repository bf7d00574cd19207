/**
 * The model registry: what `genlab train <name>` can train. Each model file registers one entry
 * (models/index.ts imports them all); see protocol.ts for what an entry, a model and a training
 * are.
 */
import { ArgumentError } from '../src/index.js';
import { isEncoder, type GenerativeModel, type Model, type ModelEntry } from './protocol.js';

const entries = new Map<string, ModelEntry>();

/** Registers `entry` under its name and returns it (model files export it: `new Dcgan(dcgan.config)`). */
export function registerModel<C extends object, M extends Model>(entry: ModelEntry<C, M>): ModelEntry<C, M> {
  if (entries.has(entry.name)) throw new ArgumentError(`registerModel: '${entry.name}' is already registered`);
  entries.set(entry.name, entry as unknown as ModelEntry);
  return entry;
}

export function getModel(name: string): ModelEntry {
  const entry = entries.get(name);
  if (!entry) throw new ArgumentError(`unknown model '${name}'; available: ${[...entries.keys()].join(', ')}`);
  return entry;
}

export function listModels(): ModelEntry[] {
  return [...entries.values()];
}

/** The entry's configuration with `overrides` on top (a deep copy: entries are never mutated). */
export function configOf<C extends object>(entry: ModelEntry<C, Model>, overrides: Partial<C> = {}): C {
  return { ...structuredClone(entry.config), ...overrides };
}

/** `model` as a generative model, or a typed error for an encoder (it has features, not samples). */
export function generatorOf(model: Model, name: string): GenerativeModel {
  if (isEncoder(model)) throw new ArgumentError(`${name} is an encoder: it learns features, not a distribution, so it has no samples (genlab eval reports its linear probe and k-NN accuracy; --preview draws its augmented views)`);
  return model;
}
