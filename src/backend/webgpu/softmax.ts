/**
 * Launching kernels/softmax.wgsl, choosing between a row per thread and a row per workgroup.
 *
 * On a CPU adapter (SwiftShader) barriers are expensive and a handful of rows already fills the
 * cores, so a row per thread wins unless there are only a few very long rows (measured, 2 cores:
 * 64 x 1000 in 4 ms per thread vs 12 ms per workgroup; 1 x 100000 in 33 ms vs 9 ms). On a hardware
 * GPU a row per thread leaves most lanes idle unless rows are short and plentiful.
 */
import type { RowVariant } from '../backend.js';
import type { KernelRegistry } from './kernels.js';
import type { PooledBuffer } from './buffer-pool.js';
import type { CommandQueue } from './queue.js';

const WG = 64;

export function rowPerWorkgroup(rows: number, width: number, isSoftware: boolean, variant: RowVariant = 'auto'): boolean {
  if (variant !== 'auto') return variant === 'workgroup';
  return isSoftware ? rows < 16 && width >= 8192 : width >= 128;
}

export function encodeSoftmax(
  kernels: KernelRegistry, queue: CommandQueue, isSoftware: boolean, log: boolean,
  src: PooledBuffer, dst: PooledBuffer, rows: number, width: number, variant: RowVariant = 'auto',
): void {
  const perWorkgroup = rowPerWorkgroup(rows, width, isSoftware, variant);
  const grid = queue.grid1D(perWorkgroup ? rows : Math.ceil(rows / WG));
  queue.dispatch(kernels.get('softmax'), { LOG: Number(log), ROW_PER_WORKGROUP: Number(perWorkgroup), WG }, [src, dst], { rows, width }, grid);
}
