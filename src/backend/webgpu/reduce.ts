/**
 * Launching kernels/reduce.wgsl: splits an input into kept and reduced index spaces and picks
 * between one thread per output (short rows) and one workgroup per output (long rows, few outputs).
 */
import type { KernelRegistry } from './kernels.js';
import { mergeDims, numelOf } from './layout.js';
import type { PooledBuffer } from './pool.js';
import type { CommandQueue } from './queue.js';

const WG = 256;
/** A row at least this long, with few enough rows, is reduced by a whole workgroup. */
const WORKGROUP_ROW_MIN = 256;
const WORKGROUP_ROWS_MAX = 16384;

export interface ReduceSpace {
  shape: readonly number[];
  strides: readonly number[];
}

export function encodeReduce(
  kernels: KernelRegistry, queue: CommandQueue, op: number, dtype: number,
  src: PooledBuffer, dst: PooledBuffer, kept: ReduceSpace, reduced: ReduceSpace,
): void {
  const out = mergeDims(kept.shape, [kept.strides], 'reduce');
  const red = mergeDims(reduced.shape, [reduced.strides], 'reduce');
  const nOut = numelOf(out.shape);
  const nRed = numelOf(red.shape);
  const rowPerWorkgroup = nRed >= WORKGROUP_ROW_MIN && nOut <= WORKGROUP_ROWS_MAX;
  const params = {
    n_out: nOut,
    n_red: nRed,
    out_rank: out.shape.length,
    red_rank: red.shape.length,
    out_shape: out.shape,
    out_strides: out.strides[0]!,
    red_shape: red.shape,
    red_strides: red.strides[0]!,
  };
  const grid = queue.grid1D(rowPerWorkgroup ? nOut : Math.ceil(nOut / WG));
  queue.dispatch(kernels.get('reduce'), { OP: op, DTYPE: dtype, ROW_PER_WORKGROUP: Number(rowPerWorkgroup), WG }, [src, dst], params, grid);
}
