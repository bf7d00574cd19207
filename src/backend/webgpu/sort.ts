/** Launching kernels/sort.wgsl. */
import type { KernelRegistry } from './kernels.js';
import type { PooledBuffer } from './buffer-pool.js';
import type { CommandQueue } from './queue.js';

const WG = 64;

/** One thread per element, ranking it within its row of the last axis. */
export function encodeSort(
  kernels: KernelRegistry, queue: CommandQueue, dtype: number, descending: boolean,
  x: PooledBuffer, values: PooledBuffer, indices: PooledBuffer, n: number, width: number,
): void {
  queue.dispatch(kernels.get('sort'), { DTYPE: dtype, DESCENDING: Number(descending), WG }, [x, values, indices], { n, width }, queue.grid1D(Math.ceil(n / WG)));
}
