/**
 * A process that saves checkpoints into a directory as fast as it can, for the kill -9 test.
 * Usage: CHECKPOINT_WRITER_DIR=DIR node writer.mjs (this file bundled; see checkpoint.test.ts)
 *
 * It resumes from DIR's checkpoint if there is one (a failed load exits with status 3), then saves
 * steps s+1, s+2, ... where step s has every parameter and every Adam buffer equal to s and Adam's
 * step count s, and prints "saved s" after each save returns, so the test knows which steps were
 * committed before it killed the process.
 */
import * as T from '../../src/index.js';
import { nn } from '../../src/index.js';
import * as optim from '../../src/optim/index.js';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint } from '../../src/node.js';

/** A model (by default ~0.6 MB of parameters, so a save spends measurable time inside its writes) and its Adam. */
export function makeParts(features = 384): { module: nn.Module; adam: optim.Adam } {
  const module = new nn.Linear(features, features);
  return { module, adam: new optim.Adam(module.parameters(), { lr: 0.1 }) };
}

/** Set every value of the model and optimizer to `step`. */
export function fill(parts: ReturnType<typeof makeParts>, step: number): void {
  const state: Record<string, T.Tensor> = {};
  for (const [name, p] of Object.entries(parts.module.stateDict())) state[name] = T.full(p.shape, step);
  parts.module.loadStateDict(state);
  const buffers = parts.module.parameters().map((p) => ({ step, buffers: { exp_avg: T.full(p.shape, step), exp_avg_sq: T.full(p.shape, step) } }));
  const dict = parts.adam.stateDict();
  parts.adam.loadStateDict({ paramGroups: dict.paramGroups, state: Object.fromEntries(buffers.map((b, i) => [i, b])) });
  for (const t of [...Object.values(state), ...buffers.flatMap((b) => Object.values(b.buffers))]) t.dispose();
}

/** The step every value of a loaded checkpoint agrees on, or an error saying which value does not. */
export async function agreedStep(parts: ReturnType<typeof makeParts>, step: number): Promise<void> {
  const values = [...parts.module.parameters(), ...Object.values(parts.adam.stateDict().state).flatMap((s) => Object.values(s.buffers))];
  for (const t of values) {
    for (const v of await t.data()) if (v !== step) throw new Error(`a value is ${v} in the checkpoint of step ${step}`);
  }
  for (const s of Object.values(parts.adam.stateDict().state)) if (s.step !== step) throw new Error(`Adam's step is ${s.step}, the checkpoint's ${step}`);
}

async function main(dir: string): Promise<void> {
  const parts = makeParts();
  let step = 0;
  if (hasCheckpoint(dir)) {
    try {
      step = loadCheckpoint(dir, { module: parts.module, optimizers: { adam: parts.adam } }).trainingState.step;
      await agreedStep(parts, step);
    } catch (e) {
      console.log(`load failed: ${(e as Error).message}`);
      process.exit(3);
    }
  }
  console.log(`resumed ${step}`);
  for (;;) {
    step++;
    fill(parts, step);
    await saveCheckpoint(dir, { module: parts.module, optimizers: { adam: parts.adam }, trainingState: { step } });
    console.log(`saved ${step}`);
  }
}

const dir = process.env.CHECKPOINT_WRITER_DIR;
if (dir) void main(dir);
