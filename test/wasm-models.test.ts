// Every registered model that trains by steps, one training step on the CPU reference and on the
// wasm backend from the same seed and batch: the losses agree. And a DCGAN training loop on wasm
// holds its memory flat: tensors, the heap's in-use bytes and the wasm memory itself.
import { afterAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { listModels } from '../models/index.js';
import type { Model, ModelEntry } from '../models/index.js';
import { disposeHarness, harness, step as trainingStep } from './setup/models.js';
import { loadEmbeddedMnist } from '../src/node.js';
import { getBackend } from '../src/backend/registry.js';
import type { WasmBackend } from '../src/backend/wasm/index.js';
import { heldBytes } from './setup/memory.js';

const N = 8;
const wasmModels = listModels().filter((e) => !e.devices || e.devices.includes('wasm'));

afterAll(() => (getBackend('wasm') as WasmBackend).rt.pool.stop());

/** The registered configuration with conv trunks narrowed, as the other model tests do. */
function smallConfig(entry: ModelEntry): object {
  return { ...entry.config, ...('width' in entry.config ? { width: 8 } : {}) };
}

async function batch(entry: ModelEntry, device: DeviceName): Promise<{ images: Tensor; labels: Tensor }> {
  const data = loadEmbeddedMnist({ limit: N });
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
        const { images, labels } = await batch(entry, device);
        T.manualSeed(100);
        const losses: Record<string, number> = {};
        for (const [name, loss] of Object.entries(trainingStep(trainer, entry.fields.includes('labels') ? { images, labels } : { images }))) losses[name] = await loss.item();
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
    const { images } = await batch(entry, 'wasm');
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
