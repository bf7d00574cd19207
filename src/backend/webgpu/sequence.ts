/** Launching the row-wise sequence kernels: kernels/cumsum.wgsl, kernels/sort.wgsl, kernels/lstm.wgsl. */
import type { KernelRegistry } from './kernels.js';
import { numelOf } from './layout.js';
import type { PooledBuffer } from './pool.js';
import type { CommandQueue } from './queue.js';

const WG = 64;
const LSTM_WG = 256;

/** One thread per line along `axis`; dtype 0 float32, 1 int32. */
export function encodeCumsum(
  kernels: KernelRegistry, queue: CommandQueue, dtype: number, x: PooledBuffer, y: PooledBuffer, shape: readonly number[], axis: number,
): void {
  const len = shape[axis]!;
  const inner = numelOf(shape.slice(axis + 1));
  const lines = numelOf(shape.slice(0, axis)) * inner;
  queue.dispatch(kernels.get('cumsum'), { DTYPE: dtype, WG }, [x, y], { lines, len, inner }, queue.grid1D(Math.ceil(lines / WG)));
}

/** One thread per element, ranking it within its row of the last axis. */
export function encodeSort(
  kernels: KernelRegistry, queue: CommandQueue, dtype: number, descending: boolean,
  x: PooledBuffer, values: PooledBuffer, indices: PooledBuffer, n: number, width: number,
): void {
  queue.dispatch(kernels.get('sort'), { DTYPE: dtype, DESCENDING: Number(descending), WG }, [x, values, indices], { n, width }, queue.grid1D(Math.ceil(n / WG)));
}

/** `bias` null binds `placeholder` (never read). */
export function encodeLstmCell(
  kernels: KernelRegistry, queue: CommandQueue, xGates: PooledBuffer, hGates: PooledBuffer, bias: PooledBuffer | null,
  placeholder: PooledBuffer, c: PooledBuffer, hOut: PooledBuffer, cOut: PooledBuffer, batch: number, hidden: number,
): void {
  const n = batch * hidden;
  queue.dispatch(
    kernels.get('lstm'), { HAS_BIAS: Number(bias !== null), WG: LSTM_WG },
    [xGates, hGates, bias ?? placeholder, c, hOut, cOut], { n, hidden }, queue.grid1D(Math.ceil(n / LSTM_WG)),
  );
}
