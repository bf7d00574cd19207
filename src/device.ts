/**
 * Bringing up the WebGPU and wasm backends and waiting for devices. Each backend's code is loaded
 * with a dynamic import when it is first started, so a program that only uses the CPU backend
 * leaves it out, and a code-splitting bundler (Vite, esbuild with `splitting`) puts it in a chunk
 * of its own that a page fetches when it calls `initWebGPU()` or `initWasm()`.
 */
import type { DeviceName } from './backend/backend.js';
import { allBackends, getBackend, hasBackend, registerBackend, setDefaultDevice } from './backend/registry.js';
import type { WebGPUBackend } from './backend/webgpu/index.js';
import type { WasmBackend } from './backend/wasm/index.js';

/** What `initWebGPU`, `initWasm` and `deviceInfo` report about a device. */
export interface DeviceInfo {
  /** The device described. */
  device: DeviceName;
  /** Adapter vendor / architecture / description as the browser or Dawn reports them. */
  adapter?: string;
  /** True for software adapters (SwiftShader, llvmpipe). */
  isSoftware?: boolean;
  /** WebGPU only: the device's limits (`maxBufferSize`, `maxComputeWorkgroupSizeX`, ...). */
  limits?: Record<string, number>;
  /** WebGPU only: the features the device was created with (`shader-f16`, `subgroups`, ...). */
  features?: string[];
}

/**
 * What `initWebGPU` needs of WebGPU's `GPU` object: `navigator.gpu`, or `create([])` of the
 * `webgpu` package. Written out structurally so these declarations compile without the DOM lib
 * or `@webgpu/types` in the consumer's project.
 */
export interface GpuProvider {
  /** `GPU.requestAdapter`: resolves to an adapter, or null when there is none. */
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<object | null>;
}

/** Options of `initWebGPU`. */
export interface InitWebGPUOptions {
  /** An already created `GPU`; by default `navigator.gpu`, or in Node the `webgpu` package. */
  gpu?: GpuProvider;
  /** Make WebGPU the default device of new tensors. */
  makeDefault?: boolean;
  /** Which adapter to ask for where a machine has two (integrated or discrete GPU). */
  powerPreference?: 'low-power' | 'high-performance';
}

let webgpu: WebGPUBackend | null = null;
/** The device request in flight: concurrent first calls share it (two requests at once crashed Dawn). */
let pending: Promise<WebGPUBackend> | null = null;

/**
 * Acquire a WebGPU adapter and device (`navigator.gpu` in the browser, the `webgpu` package in
 * Node) and register the backend. Idempotent, and concurrent calls share one request. After the
 * device was lost (driver reset, `destroy()`), a call makes a fresh device; tensors of the lost
 * one raise a DeviceError. With `makeDefault`, new tensors go to WebGPU. Throws a DeviceError
 * explaining how to get an adapter when none is found.
 */
export async function initWebGPU(opts: InitWebGPUOptions = {}): Promise<DeviceInfo> {
  if (!webgpu || webgpu.lost) {
    pending ??= import('./backend/webgpu/index.js')
      .then(({ createWebGPUBackend }) => createWebGPUBackend({ gpu: opts.gpu as GPU | undefined, powerPreference: opts.powerPreference }))
      .then((backend) => {
        webgpu = backend;
        registerBackend(backend);
        return backend;
      })
      .finally(() => {
        pending = null;
      });
    await pending;
  }
  if (opts.makeDefault) setDefaultDevice('webgpu');
  return deviceInfo('webgpu');
}

/**
 * Start the wasm backend (SIMD kernels in a WebAssembly memory) with `threads` participants
 * (default: the logical cores; 1 where there is no SharedArrayBuffer) and wait for its workers.
 * Call it before the first use of the `'wasm'` device; later calls change the thread count.
 */
export async function initWasm(opts: { threads?: number; makeDefault?: boolean } = {}): Promise<DeviceInfo> {
  if (!hasBackend('wasm')) {
    const { WasmBackend } = await import('./backend/wasm/index.js');
    // Another call may have registered it while the module loaded.
    if (!hasBackend('wasm')) registerBackend(new WasmBackend());
  }
  await (getBackend('wasm', 'initWasm') as WasmBackend).setThreads(opts.threads);
  if (opts.makeDefault) setDefaultDevice('wasm');
  return deviceInfo('wasm');
}

/**
 * What is known about a started device: its adapter, whether it is software, and for WebGPU its
 * limits and features. Throws `DeviceError` for a device not started.
 */
export function deviceInfo(device: DeviceName): DeviceInfo {
  const backend = getBackend(device, 'deviceInfo');
  if (device === 'wasm') return { device, adapter: (backend as WasmBackend).describe(), isSoftware: true };
  if (device === 'cpu' || !webgpu) return { device: 'cpu', adapter: 'JavaScript (float64-capable reference backend)', isSoftware: true };
  const { vendor, architecture, description, isSoftware } = webgpu.adapterInfo;
  const limits: Record<string, number> = {};
  // GPUSupportedLimits exposes its values as prototype getters, so enumerate with for..in.
  for (const name in webgpu.device.limits) limits[name] = (webgpu.device.limits as unknown as Record<string, number>)[name]!;
  return {
    device: 'webgpu',
    adapter: [vendor, architecture, description].filter(Boolean).join(' / ') || 'unknown adapter',
    isSoftware,
    limits,
    features: [...webgpu.device.features],
  };
}

/** Submit queued GPU work now (ops queue it; reads flush on their own). */
export function flush(): void {
  for (const b of allBackends()) b.flush();
}

/** Resolves when every backend has finished its submitted work (use it to time GPU code). */
export async function sync(device?: DeviceName): Promise<void> {
  const list = device ? (hasBackend(device) ? [getBackend(device, 'sync')] : []) : allBackends();
  for (const b of list) {
    b.flush();
    await b.sync();
  }
}
