/**
 * Launching kernels/attention.wgsl: the fused forward (with its log-sum-exp) and the three fused
 * backward passes (dq, dk, dv). Head dims are override constants (a pipeline per head-dim pair, a
 * handful per model); sequence lengths, heads and the mask layout are uniforms.
 */
import type { KernelRegistry } from './kernels.js';
import { broadcastStrides } from './layout.js';
import type { PooledBuffer } from './pool.js';
import type { CommandQueue } from './queue.js';

/** Threads per workgroup along the owned rows (each thread owns 4). */
const WG = 16;
/** Output dims per thread: the kernel's eight 4-dim accumulator blocks. */
const SLICE = 32;

const enum Pass {
  Forward = 0,
  GradQ = 1,
  GradK = 2,
  GradV = 3,
}

export interface AttentionGeometry {
  batch: number;
  heads: number;
  queries: number;
  keys: number;
  depth: number;
  valueDepth: number;
}

export interface AttentionOperands {
  q: PooledBuffer;
  k: PooledBuffer;
  v: PooledBuffer;
  mask: { buffer: PooledBuffer; shape: readonly number[] } | null;
  /** Bound in place of inputs a pass does not read. */
  placeholder: PooledBuffer;
}

function encodePass(
  kernels: KernelRegistry, queue: CommandQueue, pass: Pass, g: AttentionGeometry, scale: number, causal: boolean,
  x: AttentionOperands, dout: PooledBuffer, delta: PooledBuffer, lse: PooledBuffer, out: PooledBuffer,
): void {
  const ownsKeys = pass === Pass.GradK || pass === Pass.GradV;
  const outWidth = pass === Pass.Forward || pass === Pass.GradV ? g.valueDepth : g.depth;
  const slices = Math.ceil(outWidth / SLICE);
  const [maskB, maskH, maskI, maskJ] = x.mask ? broadcastStrides(x.mask.shape, [g.batch, g.heads, g.queries, g.keys]) : [0, 0, 0, 0];
  const params = {
    queries: g.queries, keys: g.keys, heads: g.heads, slices, scale,
    mask_b: maskB!, mask_h: maskH!, mask_i: maskI!, mask_j: maskJ!,
  };
  const constants = { PASS: pass, D: g.depth, DV: g.valueDepth, CAUSAL: Number(causal), HAS_MASK: Number(x.mask !== null), WG };
  const grid = [Math.ceil((ownsKeys ? g.keys : g.queries) / (4 * WG)), g.batch * g.heads * slices, 1] as const;
  queue.checkGrid('attention', grid);
  // The kernel binds operands by role (see its header): own_a, other_a, own_b, other_b.
  const roles = {
    [Pass.Forward]: [x.q, x.k, x.placeholder, x.v],
    [Pass.GradQ]: [x.q, x.k, dout, x.v],
    [Pass.GradK]: [x.k, x.q, x.v, dout],
    [Pass.GradV]: [x.k, x.q, x.placeholder, dout],
  }[pass];
  queue.dispatch(kernels.get('attention'), constants, [...roles, x.mask?.buffer ?? x.placeholder, delta, lse, out], params, grid);
}

/** out [B, H, Lq, Dv] and lse [B, H, Lq]. */
export function encodeAttention(
  kernels: KernelRegistry, queue: CommandQueue, g: AttentionGeometry, scale: number, causal: boolean,
  x: AttentionOperands, out: PooledBuffer, lse: PooledBuffer,
): void {
  encodePass(kernels, queue, Pass.Forward, g, scale, causal, x, x.placeholder, x.placeholder, lse, out);
}

/** dq, dk, dv from dout, the forward's lse and delta = rowsum(dout * out); three passes, no atomics. */
export function encodeAttentionBackward(
  kernels: KernelRegistry, queue: CommandQueue, g: AttentionGeometry, scale: number, causal: boolean,
  x: AttentionOperands, dout: PooledBuffer, lse: PooledBuffer, delta: PooledBuffer, grads: [PooledBuffer, PooledBuffer, PooledBuffer],
): void {
  encodePass(kernels, queue, Pass.GradQ, g, scale, causal, x, dout, delta, lse, grads[0]);
  encodePass(kernels, queue, Pass.GradK, g, scale, causal, x, dout, delta, lse, grads[1]);
  encodePass(kernels, queue, Pass.GradV, g, scale, causal, x, dout, delta, lse, grads[2]);
}
