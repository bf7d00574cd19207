// Building a registered model and its training the way `genlab train` does, for the model tests.
import type { DeviceName, Tensor } from '../../src/index.js';
import { configOf, getModel, type Batch, type GenerativeModel, type Model, type ModelEntry, type Training } from '../../models/index.js';

/** `M`: what the test knows the entry builds (a generative model unless it says otherwise). */
export interface Harness<M extends Model = GenerativeModel> {
  entry: ModelEntry;
  model: M;
  training: Training;
  /** Steps taken: the context of the next one. */
  steps: number;
}

/** The entry `name` built on `device` with `config` over its defaults, and its training at `lr`. */
export function harness<M extends Model = GenerativeModel>(name: string, device: DeviceName = 'cpu', opts: { lr?: number; config?: object } = {}): Harness<M> {
  const entry = getModel(name);
  const model = entry.build(configOf(entry, opts.config ?? {}), device) as M;
  return { entry, model, training: entry.train(model, { lr: opts.lr ?? entry.training.lr }), steps: 0 };
}

/** One training step on `batch` (images, or a record); returns the losses (the caller disposes them). */
export function step(h: Harness<Model>, batch: Tensor | Batch, totalSteps = 100): Record<string, Tensor> {
  const record: Batch = 'shape' in batch ? { images: batch as Tensor } : (batch as Batch);
  return h.training.step(record, { step: h.steps++, totalSteps });
}

/** One step, then the value of its first loss. */
export async function stepLoss(h: Harness<Model>, batch: Tensor | Batch): Promise<number> {
  const losses = step(h, batch);
  const value = await Object.values(losses)[0]!.item();
  for (const l of Object.values(losses)) l.dispose();
  return value;
}

export function disposeHarness(h: Harness<Model>): void {
  h.model.dispose();
  for (const o of Object.values(h.training.optimizers)) o.dispose();
}
