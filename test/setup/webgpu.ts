// One WebGPU backend per test file (vitest runs files in separate processes). Creating it throws a
// DeviceError explaining how to get an adapter when none exists, so the suites fail loudly
// instead of skipping.
import { createWebGPUBackend } from '../../src/backend/webgpu/index.js';
import type { WebGPUBackend } from '../../src/backend/webgpu/index.js';

let shared: Promise<WebGPUBackend> | undefined;

export function webgpuBackend(): Promise<WebGPUBackend> {
  return (shared ??= createWebGPUBackend());
}
