/**
 * Seconds per training step of each model's no-GPU configuration (its registry entry's
 * `withoutGpu`), on the CPU backend, the wasm backend and WebGPU, at the model's default batch, on
 * the embedded MNIST digits. The numbers behind the README's per-step line and `genlab train`'s
 * device choice. `--devices wasm,webgpu` times only those (the CPU backend is slow for the big ones).
 *
 *   node --import tsx --import ./scripts/wgsl-register.mjs examples/model-step-times.ts [--devices cpu,wasm,webgpu] [model ...]
 *
 * With no names it times every model that trains by steps (the classical fits are one pass).
 */
import * as T from '../src/index.js';
import { getModel, listModels } from '../models/index.js';
import { loadEmbeddedMnist } from '../src/node.js';

const ONE_PASS = new Set(['gaussian', 'gmm', 'hmm']);
const WARMUP = 1;
const TIMED = 3;

type Device = 'cpu' | 'wasm' | 'webgpu';

async function secondsPerStep(name: string, device: Device): Promise<number> {
  const entry = getModel(name);
  const config = { ...structuredClone(entry.config), ...(entry.withoutGpu?.config ?? {}) };
  const data = loadEmbeddedMnist({ limit: entry.training.batch });
  const images = await T.tidy(() => (entry.dataRange[0] === -1 ? T.sub(T.mul(data.images, 2), 1) : data.images)).to(device);
  const labels = await data.labels.to(device);
  T.manualSeed(0);
  const model = entry.build(config, device);
  const training = entry.train(model, { lr: entry.training.lr });
  let total = 0;
  for (let i = 0; i < WARMUP + TIMED; i++) {
    const t0 = performance.now();
    for (const loss of Object.values(training.step({ images, labels }, { step: i, totalSteps: WARMUP + TIMED }))) loss.dispose();
    await T.sync(device);
    if (i >= WARMUP) total += performance.now() - t0;
  }
  model.dispose();
  for (const o of Object.values(training.optimizers)) o.dispose();
  return total / TIMED / 1000;
}

const args = process.argv.slice(2);
const at = args.indexOf('--devices');
const devices = (at >= 0 ? args.splice(at, 2)[1]!.split(',') : ['cpu', 'wasm', 'webgpu']) as Device[];
if (devices.includes('webgpu')) await T.initWebGPU();
if (devices.includes('wasm')) await T.initWasm();
const names = args.length > 0 ? args : listModels().map((e) => e.name).filter((n) => !ONE_PASS.has(n));
for (const name of names) {
  const entry = getModel(name);
  const times: string[] = [];
  for (const device of devices) times.push(`${device} ${(await secondsPerStep(name, device)).toFixed(3)} s/step`);
  const steps = entry.withoutGpu?.steps ?? entry.training.steps;
  console.log(`${name.padEnd(16)} batch ${entry.training.batch}, ${steps} steps: ${times.join(', ')}`);
}
process.exit(0);
