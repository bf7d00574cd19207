/** Launching kernels/cumsum.wgsl. */
import type { KernelRegistry } from './kernels.js';
import { numel } from '../../shape.js';
import type { PooledBuffer } from './buffer-pool.js';
import type { CommandQueue } from './queue.js';

const WG = 64;

/** One thread per line along `axis`; dtype 0 float32, 1 int32. */
export function encodeCumsum(
  kernels: KernelRegistry, queue: CommandQueue, dtype: number, x: PooledBuffer, y: PooledBuffer, shape: readonly number[], axis: number,
): void {
  const len = shape[axis]!;
  const inner = numel(shape.slice(axis + 1));
  const lines = numel(shape.slice(0, axis)) * inner;
  queue.dispatch(kernels.get('cumsum'), { DTYPE: dtype, WG }, [x, y], { lines, len, inner }, queue.grid1D(Math.ceil(lines / WG)));
}
