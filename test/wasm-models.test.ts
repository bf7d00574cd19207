// Every registered model that trains by steps, one training step on the CPU reference and on the
// wasm backend from the same seed and batch: the losses agree. And a DCGAN training loop on wasm
// holds its memory flat: tensors, the heap's in-use bytes and the wasm memory itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { configOf, listModels, taskRecord } from '../models/index.js';
import type { Batch, Model, ModelEntry } from '../models/index.js';
import { disposeHarness, harness, step as trainingStep } from './setup/models.js';
import { loadEmbeddedMnist } from '../src/node.js';
import { getBackend } from '../src/backend/registry.js';
import type { WasmBackend } from '../src/backend/wasm/index.js';
import { heldBytes } from './setup/memory.js';

const N = 8;
const wasmModels = listModels().filter((e) => !e.devices || e.devices.includes('wasm'));

beforeAll(() => T.initWasm());
afterAll(() => (getBackend('wasm') as WasmBackend).rt.pool.stop());

/** Where narrowing is not enough: fewer blocks and critic steps (each critic step has a double backward). */
const LIGHTER: Record<string, object> = { stargan: { blocks: 1, criticSteps: 1 }, instagan: { width: 4 } };

/** The registered configuration with conv trunks narrowed, as the other model tests do. */
function smallConfig(entry: ModelEntry): object {
  return { ...entry.config, ...('width' in entry.config ? { width: 8 } : {}), ...LIGHTER[entry.name] };
}

async function batch(entry: ModelEntry, device: DeviceName): Promise<Batch> {
  const data = loadEmbeddedMnist({ limit: N });
  if (entry.task) {
    // A task entry's record (models/tasks), made on the host and uploaded.
    const record = taskRecord(entry.task(configOf(entry, smallConfig(entry))), data.images, 0, entry.dataRange, data.labels);
    return Object.fromEntries(await Promise.all(Object.entries(record).map(async ([k, t]) => [k, await t.to(device)])));
  }
  const images = entry.dataRange[0] === -1 ? T.sub(T.mul(data.images, 2), 1) : data.images;
  return { images: await images.to(device), labels: await data.labels.to(device) };
}

describe('every model: one training step on CPU and wasm agree', () => {
  it('has models to check', () => expect(wasmModels.length).toBeGreaterThan(5));

  for (const entry of wasmModels) {
    it(entry.name, async () => {
      const run = async (device: DeviceName) => {
        T.manualSeed(0);
        const trainer = harness<Model>(entry.name, device, { config: smallConfig(entry) });
        const record = await batch(entry, device);
        T.manualSeed(100);
        const losses: Record<string, number> = {};
        const fields = entry.task ? record : entry.fields.includes('labels') ? { images: record.images, labels: record.labels } : { images: record.images };
        for (const [name, loss] of Object.entries(trainingStep(trainer, fields))) losses[name] = await loss.item();
        disposeHarness(trainer);
        return losses;
      };
      const [cpu, wasm] = [await run('cpu'), await run('wasm')];
      expect(Object.keys(wasm)).toEqual(Object.keys(cpu));
      for (const [name, v] of Object.entries(cpu)) {
        expect(Math.abs(wasm[name]! - v), `${entry.name} ${name}: wasm ${wasm[name]} vs cpu ${v}`).toBeLessThan(2e-3 + 2e-3 * Math.abs(v));
      }
    });
  }
});

describe('memory', () => {
  it('a DCGAN training loop on wasm stays flat: tensors, heap and wasm memory', async () => {
    const entry = listModels().find((e) => e.name === 'dcgan')!;
    const wasm = getBackend('wasm') as WasmBackend;
    T.manualSeed(0);
    const trainer = harness(entry.name, 'wasm', { config: smallConfig(entry) });
    const { images } = (await batch(entry, 'wasm')) as { images: Tensor };
    const step = () => {
      for (const l of Object.values(trainingStep(trainer, images))) l.dispose();
    };
    // Step 1 creates Adam's moments; from step 2 on nothing may accumulate.
    step();
    step();
    const [held, inUse, committed] = [heldBytes(), wasm.memory().allocatedBytes, wasm.rt.heap.committedBytes];
    for (let i = 0; i < 5; i++) step();
    expect(heldBytes()).toBe(held);
    expect(wasm.memory().allocatedBytes).toBe(inUse);
    expect(wasm.rt.heap.committedBytes).toBe(committed);
    disposeHarness(trainer);
  });
});
