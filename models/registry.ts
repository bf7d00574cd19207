/**
 * The model registry: what `genlab train <name>` can train. Each model file registers one entry
 * (models/index.ts imports them all); an entry makes a `Trainer` (the model, its optimizers, a
 * training step and a sampler) from a configuration, so the command, the tests and the browser
 * playground drive every model the same way.
 */
import { ArgumentError } from '../src/index.js';
import type { DeviceName, Tensor, nn, optim } from '../src/index.js';

export interface Trainer {
  /** The whole model as one Module: its state dict is the checkpoint's model file. */
  readonly module: nn.Module;
  /** The optimizers by name, saved in and restored from the checkpoint. */
  readonly optimizers: Record<string, optim.Optimizer>;
  /**
   * One optimisation step on a batch of images (in the entry's `dataRange`). Returns scalar
   * losses by name, the first being the one to watch; the caller disposes them.
   */
  trainStep(images: Tensor, labels?: Tensor): Record<string, Tensor>;
  /**
   * `n` images for a sample grid, in `dataRange`. `real` is a batch of `n` data images, for
   * models that reconstruct or translate rather than generate from noise.
   */
  sample(n: number, real: Tensor): Tensor;
}

export interface TrainingDefaults {
  batch: number;
  lr: number;
  steps: number;
  /** Steps between sample grids. */
  sampleEvery: number;
}

export interface ModelEntry<C extends object = object> {
  name: string;
  /** One line for `genlab info` and `--help`. */
  description: string;
  /** The pixel range the model trains and samples in: data are scaled to it. */
  dataRange: readonly [number, number];
  /**
   * The devices the model can train on, when not all: the classical models of seed 002 §1 fit in
   * float64 on the host and read their batches synchronously, so they need the CPU backend.
   */
  devices?: readonly DeviceName[];
  defaults: TrainingDefaults;
  /**
   * The run `genlab train <name>` makes when the machine has no hardware GPU (only a software
   * WebGPU adapter, or none) and the command sets neither --config nor the run's length:
   * MODELS.md's configuration can take hours on two CPU cores, this one finishes in minutes and
   * still gives samples worth looking at. On a GPU, `defaults` and `config` apply.
   */
  withoutGpu?: { config?: Partial<C>; steps?: number; sampleEvery?: number };
  /** The default configuration (saved in checkpoints, so `genlab sample` rebuilds the same model). */
  config: C;
  create(opts: { device: DeviceName; lr: number; config: C }): Trainer;
}

const entries = new Map<string, ModelEntry>();

export function registerModel<C extends object>(entry: ModelEntry<C>): void {
  if (entries.has(entry.name)) throw new ArgumentError(`registerModel: '${entry.name}' is already registered`);
  entries.set(entry.name, entry as unknown as ModelEntry);
}

export function getModel(name: string): ModelEntry {
  const entry = entries.get(name);
  if (!entry) throw new ArgumentError(`unknown model '${name}'; available: ${[...entries.keys()].join(', ')}`);
  return entry;
}

export function listModels(): ModelEntry[] {
  return [...entries.values()];
}
