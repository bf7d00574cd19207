/**
 * Assembling and starting the wasm backend's module: feature detection (SIMD is required; relaxed
 * SIMD's fused multiply-add is used where the engine validates it; a shared memory, hence threads,
 * where SharedArrayBuffer exists and the page is cross-origin isolated), the memory, the heap and
 * the thread pool. Everything here is synchronous except starting workers.
 */
import { DeviceError } from '../../errors';
import { ModuleBuilder } from './emit';
import { addElementwise } from './elementwise';
import { addGemm, GEMM_SCRATCH_BYTES } from './gemm';
import { addIm2col } from './im2col';
import { addOptimizers } from './optimizer';
import { addReduce } from './reduce';
import { WasmHeap } from './heap';
import { CONTROL_BYTES, ThreadPool } from './threads';

/** The control block of the thread pool sits below the heap, away from address 0. */
export const CONTROL_ADDR = 1024;
const HEAP_BASE = 4096;
const INITIAL_PAGES = 256;

export type Kernel = (...args: number[]) => void;

export interface WasmRuntime {
  readonly memory: WebAssembly.Memory;
  readonly kernels: Record<string, Kernel>;
  readonly heap: WasmHeap;
  readonly pool: ThreadPool;
  /** Per-participant GEMM scratch: index 0 is the calling thread's. */
  readonly scratch: number[];
  readonly relaxedSimd: boolean;
  readonly shared: boolean;
}

function build(relaxed: boolean, shared: boolean, maximumPages: number): Uint8Array<ArrayBuffer> {
  const mod = new ModuleBuilder({ initialPages: INITIAL_PAGES, maximumPages, shared });
  addGemm(mod, relaxed);
  addElementwise(mod);
  addIm2col(mod);
  addReduce(mod);
  addOptimizers(mod);
  return mod.bytes();
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/** SharedArrayBuffer works here: always in Node, in a page only when cross-origin isolated. */
export function sharedMemoryAvailable(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  return isNode || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

function createMemory(shared: boolean): { memory: WebAssembly.Memory; maximumPages: number } {
  // 4 GiB is the wasm32 limit; some engines cap a shared memory's reservation lower.
  for (const maximumPages of [65536, 32768, 16384]) {
    try {
      return { memory: new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: maximumPages, shared } as WebAssembly.MemoryDescriptor), maximumPages };
    } catch {
      // try a smaller reservation
    }
  }
  throw new DeviceError('wasm backend: could not reserve a WebAssembly.Memory');
}

export function createRuntime(opts: { shared?: boolean } = {}): WasmRuntime {
  if (typeof WebAssembly === 'undefined') throw new DeviceError('wasm backend: this JavaScript engine has no WebAssembly');
  const shared = opts.shared ?? sharedMemoryAvailable();
  const { memory, maximumPages } = createMemory(shared);
  let relaxedSimd = true;
  let bytes = build(true, shared, maximumPages);
  if (!WebAssembly.validate(bytes)) {
    relaxedSimd = false;
    bytes = build(false, shared, maximumPages);
    if (!WebAssembly.validate(bytes)) throw new DeviceError('wasm backend: this engine lacks WebAssembly SIMD (128-bit), which the wasm kernels need');
  }
  const module = new WebAssembly.Module(bytes);
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const kernels = instance.exports as unknown as Record<string, Kernel>;
  const heap = new WasmHeap(memory, HEAP_BASE, maximumPages * 65536);
  new Int32Array(memory.buffer, CONTROL_ADDR, CONTROL_BYTES / 4).fill(0);
  const names = Object.keys(kernels);
  const pool = new ThreadPool(memory, CONTROL_ADDR, module, names);
  return { memory, kernels, heap, pool, scratch: [heap.alloc(GEMM_SCRATCH_BYTES)], relaxedSimd, shared };
}

/** Logical cores here (navigator.hardwareConcurrency or os.availableParallelism). */
export async function defaultThreads(): Promise<number> {
  if (isNode) {
    // A computed specifier, which browser bundlers leave alone (this branch only runs in Node).
    const osModule = 'node:os';
    const os = (await import(/* @vite-ignore */ osModule)) as typeof import('node:os');
    return os.availableParallelism?.() ?? os.cpus().length;
  }
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
}

/** Grow the pool to `threads` participants (no-op without a shared memory). */
export async function startThreads(rt: WasmRuntime, threads: number): Promise<void> {
  if (!rt.shared) return;
  while (rt.scratch.length < threads) rt.scratch.push(rt.heap.alloc(GEMM_SCRATCH_BYTES));
  await rt.pool.grow(threads, rt.scratch);
}
