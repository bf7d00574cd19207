/**
 * Picking the device to train on: the one asked for; else a hardware WebGPU adapter; else, with
 * only a software adapter (SwiftShader runs shaders on the same CPU cores), whichever of it and
 * the CPU backend runs this model's training step faster, timed on a real batch record.
 */
import * as T from '../index.js';
import type { DeviceName } from '../index.js';
import type { Batch, ModelEntry } from '../../models/index.js';
import { ArgumentError } from '../errors.js';

/** How long timing one device may take, and how much slower than the best so far a device may be before it is given up. */
export interface TimingLimits {
  /** Wall-clock seconds per device: past it, the steps timed so far decide. */
  budget: number;
  /** A step (or the mean so far) over `margin` times the best device's ends that device's timing. */
  margin: number;
}

/**
 * Each device gets 20 s: under load (other processes on these cores) five steps of each model on
 * each backend once took 13 minutes of a 20-minute run.
 */
export const TIMING_LIMITS: TimingLimits = { budget: 20, margin: 3 };

/**
 * Seconds per call of `step`: two warm-up calls (the first compiles kernels), then up to three
 * timed. Gives up early, returning the time measured so far, when a call or the mean exceeds
 * `margin` times `rival` (the best device's time: a conv model's step can take half a minute on
 * the CPU backend where SwiftShader needs three seconds) or when the device's `budget` is spent.
 * `clock` (seconds) is injectable so that the policy is tested without timing anything.
 */
export async function measureStep(
  step: () => Promise<void>, rival = Infinity, limits: TimingLimits = TIMING_LIMITS, clock: () => number = () => performance.now() / 1000,
): Promise<number> {
  const start = clock();
  const timed = async () => {
    const t0 = clock();
    await step();
    return clock() - t0;
  };
  const first = await timed();
  const over = (t: number) => t > limits.margin * rival || clock() - start > limits.budget;
  if (over(first)) return first;
  const second = await timed();
  if (over(second)) return second;
  let total = 0;
  for (let i = 1; i <= 3; i++) {
    total += await timed();
    if (over(total / i)) return total / i;
  }
  return total / 3;
}

/** Seconds per training step of `entry` on `device` (see measureStep). */
async function timeStep(entry: ModelEntry, config: object, lr: number, device: DeviceName, probe: Batch, rival = Infinity): Promise<number> {
  const model = entry.build(config, device);
  const training = entry.train(model, { lr });
  const batch: Batch = Object.fromEntries(await Promise.all(Object.entries(probe).map(async ([k, t]) => [k, await t!.to(device)])));
  let step = 0;
  try {
    return await measureStep(async () => {
      for (const loss of Object.values(training.step(batch, { step: step++, totalSteps: 5 }))) loss.dispose();
      await T.sync(device);
    }, rival);
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
