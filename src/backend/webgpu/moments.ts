/**
 * Launching the moments kernels: mean and biased variance over any axis set, in one pass.
 *
 * The input is split into kept and reduced index spaces (as reduce.ts does) and each merged to at
 * most two levels, which is what the kernels walk; an axis set that does not merge that far is
 * first copied into kept-major order. Three ways to run it: one thread per row ('thread'), one
 * workgroup per row with a workgroup-memory merge ('workgroup'), or with subgroup sums ('subgroup',
 * where the device has the feature).
 */
import { DeviceError } from '../../errors.js';
import type { MomentsVariant, Storage, TensorRef } from '../backend.js';
import { contiguousStrides, mergeDims, numel } from './layout.js';
import type { SpatialContext } from './spatial.js';

const WG = 256;
/**
 * Threads per workgroup in the thread-per-row mode on a CPU adapter: it spreads workgroups, not
 * threads, over its cores, so a few dozen rows must not share one workgroup.
 */
const SOFTWARE_ROW_WG = 16;
/** On a GPU a row this long, with few enough rows, is worth a workgroup (as in reduce.ts). */
const WORKGROUP_ROW_MIN = 256;
const WORKGROUP_ROWS_MAX = 16384;

function chooseVariant(ctx: SpatialContext, rows: number, rowLength: number, requested: MomentsVariant): Exclude<MomentsVariant, 'auto'> {
  if (requested === 'subgroup' && !ctx.hasSubgroups) throw new DeviceError("moments: variant 'subgroup' needs the adapter's 'subgroups' feature");
  if (requested !== 'auto') return requested;
  // A CPU adapter runs a few long threads best: barriers cost more there than a serial row
  // (SwiftShader, batch-norm statistics of 64x64x14x14: 23 ms of CPU per thread, 115 ms per
  // workgroup); a single row still wants the workgroup's threads.
  const wide = ctx.isSoftware ? rows < 8 : rowLength >= WORKGROUP_ROW_MIN && rows <= WORKGROUP_ROWS_MAX;
  if (!wide) return 'thread';
  return ctx.hasSubgroups ? 'subgroup' : 'workgroup';
}

/** A (shape, strides) space as [outer, inner] sizes and strides, or null when it needs more levels. */
function twoLevels(shape: readonly number[], strides: readonly number[]): { sizes: [number, number]; strides: [number, number] } | null {
  const merged = mergeDims(shape, [strides], 'moments');
  const s = merged.shape;
  const t = merged.strides[0]!;
  if (s.length > 2) return null;
  if (s.length === 2) return { sizes: [s[0]!, s[1]!], strides: [t[0]!, t[1]!] };
  if (s.length === 1) return { sizes: [1, s[0]!], strides: [0, t[0]!] };
  return { sizes: [1, 1], strides: [0, 0] };
}

export function moments(ctx: SpatialContext, x: TensorRef, axes: readonly number[], variant: MomentsVariant = 'auto'): [Storage, Storage] {
  const strides = contiguousStrides(x.shape);
  const keptAxes = x.shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const pick = (list: readonly number[], from: readonly number[]) => list.map((d) => from[d]!);
  let kept = twoLevels(pick(keptAxes, x.shape), pick(keptAxes, strides));
  let reduced = twoLevels(pick(axes, x.shape), pick(axes, strides));
  const rows = numel(pick(keptAxes, x.shape));
  const rowLength = numel(pick(axes, x.shape));
  let source = x.storage;
  let copy: Storage | null = null;
  if (!kept || !reduced) {
    // Kept axes first, reduced last, contiguous: every row is then one dense run.
    const order = [...keptAxes, ...axes];
    copy = ctx.alloc(numel(x.shape)).storage;
    const shape = pick(order, x.shape);
    ctx.copy(x.storage, copy, shape, pick(order, strides), 0, contiguousStrides(shape));
    source = copy;
    kept = { sizes: [1, rows], strides: [0, rowLength] };
    reduced = { sizes: [1, rowLength], strides: [0, 1] };
  }
  const mean = ctx.alloc(rows);
  const variance = ctx.alloc(rows);
  const params = {
    rows, kept_inner: kept.sizes[1], kept_outer_stride: kept.strides[0], kept_inner_stride: kept.strides[1],
    red_outer: reduced.sizes[0], red_inner: reduced.sizes[1], red_outer_stride: reduced.strides[0], red_inner_stride: reduced.strides[1],
  };
  const buffers = [ctx.bufferOf(source), mean.buffer, variance.buffer];
  const chosen = chooseVariant(ctx, rows, rowLength, variant);
  if (rows > 0) {
    if (chosen === 'thread') {
      const wg = ctx.isSoftware ? SOFTWARE_ROW_WG : WG;
      ctx.queue.dispatch(ctx.kernels.get('moments'), { ROW_PER_WORKGROUP: 0, WG: wg }, buffers, params, ctx.queue.grid1D(Math.ceil(rows / wg)));
    } else {
      const kernel = chosen === 'subgroup' ? 'momentsSubgroups' : 'moments';
      const constants: Record<string, number> = chosen === 'subgroup' ? { WG } : { ROW_PER_WORKGROUP: 1, WG };
      ctx.queue.dispatch(ctx.kernels.get(kernel), constants, buffers, params, ctx.queue.grid1D(rows));
    }
  }
  if (copy) ctx.release(copy);
  return [mean.storage, variance.storage];
}
