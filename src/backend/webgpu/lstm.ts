/** Launching kernels/lstm.wgsl: the LSTM cell's gate math after its two gate matmuls. */
import type { KernelRegistry } from './kernels.js';
import type { PooledBuffer } from './buffer-pool.js';
import type { CommandQueue } from './queue.js';

const WG = 256;

/** `bias` null binds `placeholder` (never read). */
export function encodeLstmCell(
  kernels: KernelRegistry, queue: CommandQueue, xGates: PooledBuffer, hGates: PooledBuffer, bias: PooledBuffer | null,
  placeholder: PooledBuffer, c: PooledBuffer, hOut: PooledBuffer, cOut: PooledBuffer, batch: number, hidden: number,
): void {
  const n = batch * hidden;
  queue.dispatch(
    kernels.get('lstm'), { HAS_BIAS: Number(bias !== null), WG },
    [xGates, hGates, bias ?? placeholder, c, hOut, cOut], { n, hidden }, queue.grid1D(Math.ceil(n / WG)),
  );
}
