/**
 * Picking the device to train on: the one asked for; else a hardware WebGPU adapter; else, with
 * only a software adapter (SwiftShader runs shaders on the same CPU cores), whichever of it and
 * the CPU backend runs this model's training step faster, timed on a real batch record.
 */
import * as T from '../index.js';
import type { DeviceName } from '../index.js';
import type { Batch, ModelEntry } from '../../models/index.js';
import { ArgumentError } from '../errors.js';

/**
 * Seconds per training step of `entry` on `device` (two warm-up steps, then three timed). With a
 * `rival` time, gives up as soon as one step takes more than three times it (returning that
 * step's time): a conv model's step can take half a minute on the CPU backend where SwiftShader
 * needs three seconds, and five of them would make the choice cost more than the run.
 */
async function timeStep(entry: ModelEntry, config: object, lr: number, device: DeviceName, probe: Batch, rival = Infinity): Promise<number> {
  const model = entry.build(config, device);
  const training = entry.train(model, { lr });
  const batch: Batch = Object.fromEntries(await Promise.all(Object.entries(probe).map(async ([k, t]) => [k, await t!.to(device)])));
  let step = 0;
  const timed = async () => {
    const t0 = performance.now();
    for (const loss of Object.values(training.step(batch, { step: step++, totalSteps: 5 }))) loss.dispose();
    await T.sync(device);
    return (performance.now() - t0) / 1000;
  };
  try {
    const first = await timed();
    if (first > 3 * rival) return first;
    await timed();
    let total = 0;
    for (let i = 0; i < 3; i++) {
      total += await timed();
      if (total / (i + 1) > 3 * rival) return total / (i + 1);
    }
    return total / 3;
  } finally {
    for (const [k, t] of Object.entries(batch)) if (t !== probe[k as keyof Batch]) t!.dispose();
    model.dispose();
    for (const opt of Object.values(training.optimizers)) opt.dispose();
  }
}

export async function chooseDevice(
  requested: string | undefined, entry: ModelEntry, config: object, lr: number, probe: Batch, log: (line: string) => void,
): Promise<DeviceName> {
  const only = restricted(entry, requested);
  if (only) return only;
  if (requested === 'cpu') return 'cpu';
  if (requested === 'wasm') {
    log(`Using the wasm backend (${(await T.initWasm()).adapter}).`);
    return 'wasm';
  }
  let info: T.DeviceInfo | undefined;
  try {
    info = await T.initWebGPU();
  } catch (e) {
    if (requested === 'webgpu') throw e;
    log(`WebGPU unavailable (${(e as Error).message.split('\n')[0]}).`);
  }
  if (requested === 'webgpu') return 'webgpu';
  if (info && !info.isSoftware) {
    log(`Using WebGPU on ${info.adapter}.`);
    return 'webgpu';
  }
  // Software WebGPU, the wasm backend and the CPU backend all run on these cores: time each.
  const candidates: DeviceName[] = [...(info ? ['webgpu' as const] : []), ...(allows(entry, 'wasm') ? ['wasm' as const] : []), 'cpu'];
  if (candidates.includes('wasm')) await T.initWasm();
  const times: string[] = [];
  let pick: DeviceName = 'cpu';
  let best = Infinity;
  for (const device of candidates) {
    const t = await timeStep(entry, config, lr, device, probe, best);
    times.push(`${DEVICE_LABEL[device]} ${(t * 1000).toFixed(0)} ms/step`);
    if (t < best) [best, pick] = [t, device];
  }
  log(`${info ? `Software WebGPU adapter (${info.adapter})` : 'No WebGPU'}: ${times.join(', ')}; using ${pick}.`);
  return pick;
}

const DEVICE_LABEL: Record<DeviceName, string> = { webgpu: 'WebGPU', wasm: 'wasm backend', cpu: 'CPU backend' };

function allows(entry: ModelEntry, device: DeviceName): boolean {
  return !entry.devices || entry.devices.includes(device);
}

/**
 * Checks `requested`; returns the device when the model leaves no choice (it names one device in
 * `devices`), else undefined.
 */
function restricted(entry: ModelEntry, requested: string | undefined): DeviceName | undefined {
  if (requested !== undefined && requested !== 'webgpu' && requested !== 'wasm' && requested !== 'cpu') throw new ArgumentError(`--device must be webgpu, wasm or cpu, got '${requested}'`);
  const allowed = entry.devices;
  if (!allowed) return undefined;
  if (requested !== undefined && !allowed.includes(requested)) throw new ArgumentError(`${entry.name} trains on ${allowed.join(' or ')} only, not ${requested}`);
  return allowed.length === 1 ? allowed[0] : undefined;
}

/** Whether training can use a hardware WebGPU adapter (not a software one, not the CPU backend). */
export async function hasHardwareGpu(requested: string | undefined): Promise<boolean> {
  if (requested === 'cpu' || requested === 'wasm') return false;
  try {
    return !(await T.initWebGPU()).isSoftware;
  } catch {
    return false;
  }
}

/**
 * For work too short to time (sampling, scoring): the requested device, else a hardware WebGPU
 * adapter, else the wasm backend where the model runs on it (several times the CPU backend's
 * speed on every model measured), else the CPU.
 */
export async function preferredDevice(requested: string | undefined, entry: ModelEntry): Promise<DeviceName> {
  const only = restricted(entry, requested);
  if (only) return only;
  if (requested === 'webgpu') {
    await T.initWebGPU();
    return 'webgpu';
  }
  if (requested === 'wasm') {
    await T.initWasm();
    return 'wasm';
  }
  if (await hasHardwareGpu(requested)) return 'webgpu';
  if (requested !== 'cpu' && allows(entry, 'wasm')) {
    try {
      await T.initWasm();
      return 'wasm';
    } catch {
      // No WebAssembly SIMD in this engine: the CPU backend always works.
    }
  }
  return 'cpu';
}
