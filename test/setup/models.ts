// Building a registered model and its training the way `genlab train` does, for the model tests.
import type { DeviceName, Tensor } from '../../src/index.js';
import { configOf, getModel, type Batch, type GenerativeModel, type ModelEntry, type Training } from '../../models/index.js';

export interface Harness {
  entry: ModelEntry;
  model: GenerativeModel;
  training: Training;
  /** Steps taken: the context of the next one. */
  steps: number;
}

/** The entry `name` built on `device` with `config` over its defaults, and its training at `lr`. */
export function harness(name: string, device: DeviceName = 'cpu', opts: { lr?: number; config?: object } = {}): Harness {
  const entry = getModel(name);
  const model = entry.build(configOf(entry, opts.config ?? {}), device);
  return { entry, model, training: entry.train(model, { lr: opts.lr ?? entry.training.lr }), steps: 0 };
}

/** One training step on `batch` (images, or a record); returns the losses (the caller disposes them). */
export function step(h: Harness, batch: Tensor | Batch, totalSteps = 100): Record<string, Tensor> {
  const record: Batch = 'shape' in batch ? { images: batch as Tensor } : (batch as Batch);
  return h.training.step(record, { step: h.steps++, totalSteps });
}

/** One step, then the value of its first loss. */
export async function stepLoss(h: Harness, batch: Tensor | Batch): Promise<number> {
  const losses = step(h, batch);
  const value = await Object.values(losses)[0]!.item();
  for (const l of Object.values(losses)) l.dispose();
  return value;
}

export function disposeHarness(h: Harness): void {
  h.model.dispose();
  for (const o of Object.values(h.training.optimizers)) o.dispose();
}
