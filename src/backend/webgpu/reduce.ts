/**
 * Launching kernels/reduce.wgsl: splits an input into kept and reduced index spaces and picks
 * between one thread per output (short rows, or many rows) and workgroups per output (long rows).
 * With few outputs, a long row is split into chunks reduced by separate workgroups, and a second
 * dispatch reduces the chunk partials (so a full reduction is not one workgroup on one core).
 */
import type { RowVariant } from '../backend.js';
import type { KernelRegistry } from './kernels.js';
import { mergeDims, numel, packDims } from './layout.js';
import type { PooledBuffer } from './buffer-pool.js';
import type { CommandQueue } from './queue.js';

/** Threads per workgroup, both modes (SwiftShader: fewer invocations and barriers win). */
const WG = 64;
/** A row at least this long, with few enough rows, is reduced by a whole workgroup. */
const WORKGROUP_ROW_MIN = 256;
const WORKGROUP_ROWS_MAX = 16384;
/** Two-pass split: chunks of at least this many elements, up to this many workgroups in all. */
const CHUNK_MIN = 8192;
const TARGET_WORKGROUPS = 64;

export interface ReduceSpace {
  shape: readonly number[];
  strides: readonly number[];
}

/** Scratch words for the two-pass split; without it every output is one dispatch's workgroup. */
export interface ReduceScratch {
  acquire(words: number): PooledBuffer;
  release(buffer: PooledBuffer): void;
}

export function encodeReduce(
  kernels: KernelRegistry, queue: CommandQueue, op: number, dtype: number,
  src: PooledBuffer, dst: PooledBuffer, kept: ReduceSpace, reduced: ReduceSpace, scratch?: ReduceScratch, variant: RowVariant = 'auto',
): void {
  const out = mergeDims(kept.shape, [kept.strides], 'reduce');
  const red = mergeDims(reduced.shape, [reduced.strides], 'reduce');
  const nOut = numel(out.shape);
  const nRed = numel(red.shape);
  const rowPerWorkgroup = variant === 'auto' ? nRed >= WORKGROUP_ROW_MIN && nOut <= WORKGROUP_ROWS_MAX : variant === 'workgroup';
  const nChunks = rowPerWorkgroup && scratch
    ? Math.max(1, Math.min(Math.floor(nRed / CHUNK_MIN), Math.floor(TARGET_WORKGROUPS / nOut)))
    : 1;
  const chunkLen = Math.ceil(nRed / nChunks);
  const params = {
    n_out: nOut,
    n_red: nRed,
    n_chunks: nChunks,
    chunk_len: chunkLen,
    out_dims: packDims(out),
    red_dims: packDims(red),
  };
  const constants = {
    OP: op, DTYPE: dtype, ROW_PER_WORKGROUP: Number(rowPerWorkgroup),
    OUT_RANK: out.shape.length, RED_RANK: red.shape.length, WG,
  };
  const grid = queue.grid1D(rowPerWorkgroup ? nOut * nChunks : Math.ceil(nOut / WG));
  if (nChunks === 1) {
    queue.dispatch(kernels.get('reduce'), constants, [src, dst], params, grid);
    return;
  }
  const partials = scratch!.acquire(nOut * nChunks);
  queue.dispatch(kernels.get('reduce'), constants, [src, partials], params, grid);
  encodeReduce(kernels, queue, op, dtype, partials, dst,
    { shape: [nOut], strides: [nChunks] }, { shape: [nChunks], strides: [1] });
  scratch!.release(partials);
}
