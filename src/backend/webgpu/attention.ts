/**
 * Launching kernels/attention.wgsl (fused forward with its log-sum-exp) and
 * kernels/attention_backward.wgsl (dq, dk and dv, one pass each).
 *
 * Head dims are override constants (a pipeline per head-dim pair, a handful per model); sequence
 * lengths, heads and the mask layout are uniforms. The kernels read rows as vec4 words, so a head
 * dim that is not a multiple of 4 is zero-padded here first (zeros change no dot product) and the
 * padding is cut from the results: a copy for the rare odd head dim instead of a slower kernel.
 */
import type { Backend, DType, Storage, TensorRef } from '../backend.js';
import type { WebGPUStorage } from './index.js';
import type { KernelRegistry } from './kernels.js';
import { broadcastStrides, numel } from './layout.js';
import type { PooledBuffer } from './buffer-pool.js';
import type { CommandQueue } from './queue.js';

/** Threads per workgroup along the owned rows (each thread owns 4). */
const WG = 16;
/** Output dims per thread: the kernels' eight 4-dim accumulator blocks. */
const SLICE = 32;

export interface AttentionContext {
  /** For padding: fill, stridedCopy, alloc and release. */
  backend: Backend;
  kernels: KernelRegistry;
  queue: CommandQueue;
  /** Bound in place of inputs a pass does not read (no mask; dv has no own_b). */
  placeholder: PooledBuffer;
}

export interface AttentionArgs {
  scale: number;
  causal: boolean;
}

interface Geometry {
  batch: number;
  heads: number;
  queries: number;
  keys: number;
  /** Head dims rounded up to a multiple of 4. */
  depth: number;
  valueDepth: number;
}

const entry = (s: Storage): PooledBuffer => (s as WebGPUStorage).entry;
const roundUp4 = (n: number): number => Math.ceil(n / 4) * 4;

/** A [rows, width] tensor as [rows, padded] with zero columns appended (or itself when padded = width). */
function padColumns(backend: Backend, t: TensorRef, padded: number): { storage: Storage; owned: boolean } {
  const width = t.shape.at(-1)!;
  if (padded === width) return { storage: t.storage, owned: false };
  const rows = numel(t.shape) / width;
  const storage = backend.fill(rows * padded, t.dtype, 0);
  backend.stridedCopy(t.storage, storage, t.dtype, [rows, width], [width, 1], 0, [padded, 1], 0);
  return { storage, owned: true };
}

/** The first `width` columns of a [rows, padded] storage; releases the padded one. */
function cutColumns(backend: Backend, s: Storage, dtype: DType, rows: number, padded: number, width: number): Storage {
  if (padded === width) return s;
  const out = backend.alloc(rows * width, dtype);
  backend.stridedCopy(s, out, dtype, [rows, width], [padded, 1], 0, [width, 1], 0);
  backend.release(s);
  return out;
}

function geometryOf(q: TensorRef, k: TensorRef, v: TensorRef): Geometry {
  const [batch, heads, queries, depth] = q.shape as [number, number, number, number];
  return { batch, heads, queries, keys: k.shape[2]!, depth: roundUp4(depth), valueDepth: roundUp4(v.shape[3]!) };
}

function paramsOf(g: Geometry, args: AttentionArgs, mask: TensorRef | null, slices: number) {
  const [maskB, maskH, maskI, maskJ] = mask ? broadcastStrides(mask.shape, [g.batch, g.heads, g.queries, g.keys]) : [0, 0, 0, 0];
  return {
    queries: g.queries, keys: g.keys, heads: g.heads, slices, scale: args.scale,
    mask_b: maskB!, mask_h: maskH!, mask_i: maskI!, mask_j: maskJ!,
  };
}

/** out [B, H, Lq, Dv] and lse [B, H, Lq]. */
export function attentionForward(ctx: AttentionContext, q: TensorRef, k: TensorRef, v: TensorRef, mask: TensorRef | null, args: AttentionArgs): [Storage, Storage] {
  const { backend } = ctx;
  const g = geometryOf(q, k, v);
  const rows = g.batch * g.heads * g.queries;
  const valueDepth = v.shape[3]!;
  const padded = [padColumns(backend, q, g.depth), padColumns(backend, k, g.depth), padColumns(backend, v, g.valueDepth)];
  const out = backend.alloc(rows * g.valueDepth, q.dtype);
  const lse = backend.alloc(rows, q.dtype);
  if (rows > 0) {
    const slices = Math.ceil(g.valueDepth / SLICE);
    const grid = [Math.ceil(g.queries / (4 * WG)), g.batch * g.heads * slices, 1] as const;
    ctx.queue.checkGrid('attention', grid);
    const constants = { D: g.depth, DV: g.valueDepth, CAUSAL: Number(args.causal), HAS_MASK: Number(mask !== null), WG };
    const buffers = [...padded.map((p) => entry(p.storage)), mask ? entry(mask.storage) : ctx.placeholder, entry(out), entry(lse)];
    ctx.queue.dispatch(ctx.kernels.get('attention'), constants, buffers, paramsOf(g, args, mask, slices), grid);
  }
  for (const p of padded) if (p.owned) backend.release(p.storage);
  return [cutColumns(backend, out, q.dtype, rows, g.valueDepth, valueDepth), lse];
}

/** [dq, dk, dv] from dout, the forward's lse and delta = rowsum(dout * out): three passes, no atomics. */
export function attentionBackward(
  ctx: AttentionContext, q: TensorRef, k: TensorRef, v: TensorRef, mask: TensorRef | null,
  lse: TensorRef, delta: TensorRef, dout: TensorRef, args: AttentionArgs,
): [Storage, Storage, Storage] {
  const { backend } = ctx;
  const g = geometryOf(q, k, v);
  const [pq, pk, pv, pg] = [
    padColumns(backend, q, g.depth), padColumns(backend, k, g.depth),
    padColumns(backend, v, g.valueDepth), padColumns(backend, dout, g.valueDepth),
  ] as const;
  const [bq, bk, bv, bg] = [pq, pk, pv, pg].map((p) => entry(p.storage)) as [PooledBuffer, PooledBuffer, PooledBuffer, PooledBuffer];
  const queryRows = g.batch * g.heads * g.queries;
  const keyRows = g.batch * g.heads * g.keys;
  // Per pass: its roles (own_a, other_a, own_b, other_b; see the kernel), rows owned and gradient width.
  const passes = [
    { roles: [bq, bk, bg, bv], rows: g.queries, width: g.depth },
    { roles: [bk, bq, bv, bg], rows: g.keys, width: g.depth },
    { roles: [bk, bq, ctx.placeholder, bg], rows: g.keys, width: g.valueDepth },
  ];
  const grads = passes.map((p, i) => backend.alloc((i === 0 ? queryRows : keyRows) * p.width, q.dtype));
  if (queryRows > 0 && keyRows > 0) {
    passes.forEach((p, grad) => {
      const slices = Math.ceil(p.width / SLICE);
      const grid = [Math.ceil(p.rows / (4 * WG)), g.batch * g.heads * slices, 1] as const;
      ctx.queue.checkGrid('attentionBackward', grid);
      const constants = { GRAD: grad, D: g.depth, DV: g.valueDepth, CAUSAL: Number(args.causal), HAS_MASK: Number(mask !== null), WG };
      const buffers = [...p.roles, mask ? entry(mask.storage) : ctx.placeholder, entry(lse.storage), entry(delta.storage), entry(grads[grad]!)];
      ctx.queue.dispatch(ctx.kernels.get('attentionBackward'), constants, buffers, paramsOf(g, args, mask, slices), grid);
    });
  }
  for (const p of [pq, pk, pv, pg]) if (p.owned) backend.release(p.storage);
  return [
    cutColumns(backend, grads[0]!, q.dtype, queryRows, g.depth, q.shape[3]!),
    cutColumns(backend, grads[1]!, q.dtype, keyRows, g.depth, k.shape[3]!),
    cutColumns(backend, grads[2]!, q.dtype, keyRows, g.valueDepth, v.shape[3]!),
  ];
}
