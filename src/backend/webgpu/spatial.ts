/**
 * What the convolution, pooling and moments launchers need from the WebGPU backend: its kernels and
 * queue, storages to write, and the two helper passes (a strided copy and a row sum) they reuse.
 */
import type { Storage } from '../backend.js';
import type { KernelRegistry } from './kernels.js';
import type { PooledBuffer } from './buffer-pool.js';
import type { CommandQueue } from './queue.js';

export interface SpatialContext {
  kernels: KernelRegistry;
  queue: CommandQueue;
  /** A CPU adapter (SwiftShader): few fat threads beat many thin ones and barriers are dear. */
  isSoftware: boolean;
  /** The device has the 'subgroups' feature (subgroup builtins may be compiled). */
  hasSubgroups: boolean;
  /** A fresh float32 storage of `numel` elements and its buffer. */
  alloc(numel: number): { storage: Storage; buffer: PooledBuffer };
  /** The same, filled with zeros. */
  zeros(numel: number): { storage: Storage; buffer: PooledBuffer };
  release(storage: Storage): void;
  bufferOf(storage: Storage): PooledBuffer;
  /** The backend's strided copy between float32 storages (the destination offset is 0). */
  copy(src: Storage, dst: Storage, shape: readonly number[], srcStrides: readonly number[], srcOffset: number, dstStrides: readonly number[]): void;
  /** Sums `rows` consecutive blocks of `width` floats of `src` into `dst`. */
  sumRows(src: PooledBuffer, dst: PooledBuffer, rows: number, width: number): void;
}
