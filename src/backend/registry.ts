/**
 * Which backends exist in this process and which device new tensors land on by default.
 * The CPU backend is always present. WebGPU is added by `initWebGPU()` (acquiring an adapter is
 * asynchronous) and wasm by `initWasm()`: this module imports neither, so a program that never
 * starts them does not bundle their code (src/device.ts loads each with a dynamic import).
 */
import type { Backend, DeviceName } from './backend.js';
import { cpuBackend } from './cpu/index.js';
import { DeviceError } from '../errors.js';

const backends = new Map<DeviceName, Backend>([['cpu', cpuBackend]]);
let defaultDevice: DeviceName = 'cpu';

/**
 * The backend object of a started device (advanced use: primitives, memory pools). Throws
 * `DeviceError` for a device not started (`initWebGPU()`, `initWasm()`) or an unknown name.
 */
export function getBackend(device: DeviceName, op = 'getBackend'): Backend {
  const b = backends.get(device);
  if (!b) {
    if (device === 'wasm') throw new DeviceError(`${op}: the wasm backend is not started; call \`await initWasm()\` first`);
    if (device === 'webgpu') {
      throw new DeviceError(`${op}: the WebGPU backend is not initialised; call \`await initWebGPU()\` first`);
    }
    throw new DeviceError(`${op}: unknown device '${String(device)}' (expected 'cpu', 'wasm' or 'webgpu')`);
  }
  return b;
}

export function registerBackend(backend: Backend): void {
  backends.set(backend.name, backend);
}

export function hasBackend(device: DeviceName): boolean {
  return backends.has(device);
}

export function allBackends(): Backend[] {
  return [...backends.values()];
}

/**
 * The device new tensors go to when `opts.device` is not given (`'cpu'` until `setDefaultDevice` or
 * `makeDefault`).
 */
export function getDefaultDevice(): DeviceName {
  return defaultDevice;
}

/** New tensors go to `device` unless an op says otherwise. */
export function setDefaultDevice(device: DeviceName): void {
  getBackend(device, 'setDefaultDevice');
  defaultDevice = device;
}
