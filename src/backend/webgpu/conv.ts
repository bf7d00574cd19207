/**
 * Launching the convolution kernels: conv2d, its input gradient (also transposed convolution's
 * forward pass) and its weight gradient, each as an implicit GEMM on register tiles ('gemm') or
 * one output per thread ('direct').
 *
 * conv2d and conv2dGradInput share one correlation kernel (kernels/conv2d_gemm.wgsl, or
 * conv2d_direct.wgsl): the host describes where weights, source and outputs live. The input
 * gradient is split into stride phases, each a dense stride-1 correlation over gy with only the
 * kernel taps that reach it. The weight gradient sums over every sample and position, so it is
 * split over chunks of rows (split-K) when its output alone cannot keep the device busy.
 */
import type { Conv2dArgs, Epilogue, Storage, TensorRef } from '../backend.js';
import { EPILOGUES } from './codes.js';
import type { KernelName } from './kernels.js';
import { numel } from './layout.js';
import type { PooledBuffer } from './buffer-pool.js';
import type { SpatialContext } from './spatial.js';

type Shape4 = readonly [number, number, number, number];
type Variant = 'direct' | 'gemm';

/**
 * Per-thread tiles of the gemm kernels, mirrored in their WGSL: 16 rows x 8 positions, or for
 * correlations of at most NARROW_ROWS rows (one input channel, RGB outputs) 4 x 32, which wastes
 * less of each 4-row load.
 */
const TILE = { rows: 16, cols: 16 };
const GRAD_WEIGHT_TILE = { rows: 16, cols: 16 };
const NARROW_TILE = { rows: 4, cols: 32 };
const NARROW_ROWS = 4;
/** Threads per workgroup of the gemm kernels; its shape adapts to the row tiles. */
const GEMM_THREADS = 64;
const DIRECT_WG = 256;
/** Workgroup size and consecutive outputs per invocation of conv2d_direct.wgsl (WG, ELEMENTS). */
const CORRELATION_DIRECT = { wg: 64, elements: 8 };
/**
 * Threads the weight gradient should expose before its rows are split further: a CPU adapter is
 * busy with a hundred, a GPU wants tens of thousands. At most MAX_CHUNKS partial sums, so adding
 * them up stays one short pass.
 */
const GRAD_WEIGHT_THREADS = { software: 128, hardware: 32768 };
const MAX_CHUNKS = 128;

/**
 * The correlation both kernels compute (see kernels/conv2d_gemm.wgsl), member names as in their
 * `Params`, plus where the weight A[g, r, c, th, tw] sits in the OIHW tensor:
 * weight.base + g * weight.group + r * weight.row + c * weight.chan + th * weight.th + tw * weight.tw.
 */
interface Correlation {
  rows: number;
  cols_h: number;
  cols_w: number;
  taps_c: number;
  taps_h: number;
  taps_w: number;
  src_h: number;
  src_w: number;
  src_channels: number;
  row_mul: number;
  row_base: number;
  tap_h: number;
  col_mul: number;
  col_base: number;
  tap_w: number;
  out_base: number;
  out_batch: number;
  out_chan: number;
  out_h: number;
  out_w: number;
  groups: number;
  alpha: number;
}

interface WeightView {
  base: number;
  group: number;
  row: number;
  chan: number;
  th: number;
  tw: number;
}

/**
 * 'gemm' unless a tile would mostly idle or a pass suffices: with few rows per group, a
 * correlation with fewer positions per sample than one tile is wide (1x1 outputs) or a pointwise
 * one (1x1 depthwise: one multiply-add per output), and a weight gradient (no narrow tile there).
 * Measured on SwiftShader: the gemm tiles win everywhere else, the narrow one included (conv
 * 1 -> 32 channels: its input gradient 2x faster than direct; 3x3 depthwise: 1.7x).
 */
function chooseVariant(args: Conv2dArgs, rows: number, positions: number, pointwise = false): Variant {
  const requested = args.variant ?? 'auto';
  if (requested !== 'auto') return requested;
  if (rows >= 8) return 'gemm';
  return positions >= TILE.cols && !pointwise ? 'gemm' : 'direct';
}

/**
 * A correlation whose every output reads its own position in the source and is written densely:
 * 1x1 taps, stride 1, no offset, source and output planes of the output's size.
 */
function isPointwise(p: Correlation): boolean {
  return p.taps_h === 1 && p.taps_w === 1 && p.row_mul === 1 && p.col_mul === 1 && p.row_base === 0 && p.col_base === 0 &&
    p.src_h === p.cols_h && p.src_w === p.cols_w && p.out_w === 1 && p.out_h === p.cols_w;
}

function shape4(ref: TensorRef): Shape4 {
  return ref.shape as unknown as Shape4;
}

interface CorrelationOperands {
  src: PooledBuffer;
  weight: Storage;
  bias: PooledBuffer | null;
  out: PooledBuffer;
  activation: Epilogue['activation'];
}

function dispatchCorrelation(ctx: SpatialContext, variant: Variant, batch: number, p: Correlation, a: WeightView, io: CorrelationOperands): void {
  const constants = { HAS_BIAS: Number(io.bias !== null), ACTIVATION: EPILOGUES.indexOf(io.activation) };
  const weight = ctx.bufferOf(io.weight);
  // An absent bias still needs a binding; the weight buffer stands in and is never read as bias.
  const bias = io.bias ?? weight;
  if (variant === 'direct') {
    const invocations = batch * p.groups * p.rows * Math.ceil((p.cols_h * p.cols_w) / CORRELATION_DIRECT.elements);
    if (invocations === 0) return;
    const params = { ...p, batch, a_base: a.base, a_group: a.group, a_row: a.row, a_chan: a.chan, a_th: a.th, a_tw: a.tw };
    const direct = { ...constants, POINTWISE: Number(isPointwise(p)), WG: CORRELATION_DIRECT.wg };
    const grid = ctx.queue.grid1D(Math.ceil(invocations / CORRELATION_DIRECT.wg));
    ctx.queue.dispatch(ctx.kernels.get('conv2dDirect'), direct, [io.src, weight, bias, io.out], params, grid);
    return;
  }
  const packed = packWeights(ctx, io.weight, p, a);
  const blocks = Math.ceil(p.rows / 4);
  const params = { ...p, a_group: p.taps_c * p.taps_h * p.taps_w * blocks, a_tap: blocks };
  const narrow = p.rows <= NARROW_ROWS;
  const buffers = [io.src, packed.buffer, bias, io.out];
  dispatchTiles(ctx, 'conv2dGemm', { ...constants, NARROW: Number(narrow), ALIGNED_CHANNELS: Number(p.taps_c % 4 === 0) }, buffers, params, narrow ? NARROW_TILE : TILE, p.rows, p.cols_h * p.cols_w, batch * p.groups);
  ctx.release(packed.storage);
}

/**
 * The weights the gemm kernel reads: A[g, (th, tw, c), r] with each tap's rows contiguous and
 * padded with zeros to a multiple of 4, so four rows load as one vec4 (a small strided copy; only
 * the taps this correlation uses).
 */
function packWeights(ctx: SpatialContext, weight: Storage, p: Correlation, a: WeightView): { storage: Storage; buffer: PooledBuffer } {
  const rows4 = Math.ceil(p.rows / 4) * 4;
  // Taps in (th, tw, c) order, channels fastest, as the kernel walks them.
  const shape = [p.groups, p.taps_h, p.taps_w, p.taps_c, p.rows];
  const packed = rows4 === p.rows ? ctx.alloc(numel(shape)) : ctx.zeros(numel(shape) / p.rows * rows4);
  const dstStrides = [p.taps_h * p.taps_w * p.taps_c * rows4, p.taps_w * p.taps_c * rows4, p.taps_c * rows4, rows4, 1];
  ctx.copy(weight, packed.storage, shape, [a.group, a.th, a.tw, a.chan, a.row], a.base, dstStrides);
  return packed;
}

/** A grid of `tile`s over rows x cols, `depth` deep, in workgroups shaped to the row tiles. */
function dispatchTiles(
  ctx: SpatialContext, kernel: KernelName, constants: Record<string, number>, buffers: PooledBuffer[],
  params: object, tile: { rows: number; cols: number }, rows: number, cols: number, depth: number,
): void {
  const rowTiles = Math.ceil(rows / tile.rows);
  const colTiles = Math.ceil(cols / tile.cols);
  if (rowTiles === 0 || colTiles === 0 || depth === 0) return;
  // Workgroups no larger than the grid: idle invocations still cost a CPU adapter.
  const wgY = Math.min(2 ** Math.ceil(Math.log2(rowTiles)), 8);
  const wgX = Math.min(GEMM_THREADS / wgY, 2 ** Math.ceil(Math.log2(colTiles)));
  const grid = [Math.ceil(colTiles / wgX), Math.ceil(rowTiles / wgY), depth] as const;
  ctx.queue.checkGrid(kernel, grid);
  ctx.queue.dispatch(ctx.kernels.get(kernel), { ...constants, WG_X: wgX, WG_Y: wgY }, buffers, params as Record<string, number>, grid);
}

export function conv2d(ctx: SpatialContext, x: TensorRef, w: TensorRef, bias: TensorRef | null, args: Conv2dArgs, epilogue?: Epilogue): Storage {
  const [n, c, h, wd] = shape4(x);
  const [o, cg, kh, kw] = shape4(w);
  const { stride: [sh, sw], padding: [pt, pb, pl, pr], dilation: [dh, dw], groups } = args;
  const ho = Math.floor((h + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
  const wo = Math.floor((wd + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
  const out = ctx.alloc(n * o * ho * wo);
  const og = o / groups;
  const p: Correlation = {
    rows: og, cols_h: ho, cols_w: wo, taps_c: cg, taps_h: kh, taps_w: kw,
    src_h: h, src_w: wd, src_channels: c,
    row_mul: sh, row_base: -pt, tap_h: dh, col_mul: sw, col_base: -pl, tap_w: dw,
    out_base: 0, out_batch: o * ho * wo, out_chan: ho * wo, out_h: wo, out_w: 1,
    groups, alpha: epilogue?.alpha ?? 0.01,
  };
  const a: WeightView = { base: 0, group: og * cg * kh * kw, row: cg * kh * kw, chan: kh * kw, th: kw, tw: 1 };
  dispatchCorrelation(ctx, chooseVariant(args, og, ho * wo, isPointwise(p)), n, p, a, {
    src: ctx.bufferOf(x.storage), weight: w.storage, bias: bias ? ctx.bufferOf(bias.storage) : null,
    out: out.buffer, activation: epilogue?.activation ?? 'none',
  });
  return out.storage;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * The kernel taps along one axis that reach input coordinates `phase + stride * i` of the input
 * gradient: input p receives gy at (p + pad - k * dilation) / stride when that divides evenly,
 * which for a fixed phase holds for k = first, first + step, ... with gy row i + base - t * shift.
 */
function phaseTaps(phase: number, pad: number, stride: number, dilation: number, kernel: number) {
  let first = 0;
  while (first < kernel && (((phase + pad - first * dilation) % stride) + stride) % stride !== 0) first++;
  const step = stride / gcd(stride, dilation);
  const count = first < kernel ? Math.ceil((kernel - first) / step) : 0;
  return { first, step, count, base: (phase + pad - first * dilation) / stride, shift: (step * dilation) / stride };
}

export function conv2dGradInput(ctx: SpatialContext, gy: TensorRef, w: TensorRef, inputShape: Shape4, args: Conv2dArgs): Storage {
  const [n, c, h, wd] = inputShape;
  const [, o, ho, wo] = shape4(gy);
  const [, cg, kh, kw] = shape4(w);
  const { stride: [sh, sw], padding: [pt, , pl], dilation: [dh, dw], groups } = args;
  const out = ctx.alloc(numel(inputShape));
  const og = o / groups;
  const gyBuffer = ctx.bufferOf(gy.storage);
  for (let ph = 0; ph < Math.min(sh, h); ph++) {
    const rows = phaseTaps(ph, pt, sh, dh, kh);
    for (let pw = 0; pw < Math.min(sw, wd); pw++) {
      const cols = phaseTaps(pw, pl, sw, dw, kw);
      const p: Correlation = {
        rows: cg, cols_h: Math.ceil((h - ph) / sh), cols_w: Math.ceil((wd - pw) / sw),
        taps_c: og, taps_h: rows.count, taps_w: cols.count,
        src_h: ho, src_w: wo, src_channels: o,
        row_mul: 1, row_base: rows.base, tap_h: -rows.shift, col_mul: 1, col_base: cols.base, tap_w: -cols.shift,
        out_base: ph * wd + pw, out_batch: c * h * wd, out_chan: h * wd, out_h: sh * wd, out_w: sw,
        groups, alpha: 0,
      };
      const a: WeightView = {
        base: rows.first * kw + cols.first, group: og * cg * kh * kw, row: kh * kw, chan: cg * kh * kw,
        th: rows.step * kw, tw: cols.step,
      };
      const variant = chooseVariant(args, cg, p.cols_h * p.cols_w, isPointwise(p));
      dispatchCorrelation(ctx, variant, n, p, a, { src: gyBuffer, weight: w.storage, bias: null, out: out.buffer, activation: 'none' });
    }
  }
  return out.storage;
}

export function conv2dGradWeight(ctx: SpatialContext, x: TensorRef, gy: TensorRef, weightShape: Shape4, args: Conv2dArgs): Storage {
  const [n, c, h, wd] = shape4(x);
  const [, o, ho, wo] = shape4(gy);
  const [, cg, kh, kw] = weightShape;
  const { stride: [sh, sw], padding: [pt, , pl], dilation: [dh, dw], groups } = args;
  const og = o / groups;
  const taps = cg * kh * kw;
  const weights = o * taps;
  const out = ctx.alloc(weights);
  // The weight gradient has no narrow tile: few rows per group go direct.
  const variant = chooseVariant(args, og, 0);
  const threads = variant === 'gemm' ? groups * Math.ceil(og / GRAD_WEIGHT_TILE.rows) * Math.ceil(taps / GRAD_WEIGHT_TILE.cols) : weights;
  // Split the (n, oh) rows into as many chunks as it takes to expose enough threads.
  const totalRows = n * ho;
  const target = ctx.isSoftware ? GRAD_WEIGHT_THREADS.software : GRAD_WEIGHT_THREADS.hardware;
  const wantedChunks = Math.min(Math.max(Math.ceil(target / Math.max(threads, 1)), 1), MAX_CHUNKS, Math.max(totalRows, 1));
  const rowsPerChunk = Math.ceil(totalRows / wantedChunks);
  const chunks = rowsPerChunk === 0 ? 1 : Math.ceil(totalRows / rowsPerChunk);
  const params = {
    rows: og, taps, kernel_w: kw, kernel_hw: kh * kw, in_channels: c, in_h: h, in_w: wd,
    out_channels: o, out_h: ho, out_w: wo, stride_h: sh, stride_w: sw, pad_top: pt, pad_left: pl,
    dil_h: dh, dil_w: dw, groups, rows_per_chunk: rowsPerChunk, total_rows: totalRows,
  };
  const partial = chunks > 1 ? ctx.alloc(chunks * weights) : out;
  const buffers = [ctx.bufferOf(x.storage), ctx.bufferOf(gy.storage), partial.buffer];
  if (variant === 'direct') {
    const total = chunks * weights;
    ctx.queue.dispatch(ctx.kernels.get('conv2dGradWeightDirect'), { WG: DIRECT_WG }, buffers, { ...params, total }, ctx.queue.grid1D(Math.ceil(total / DIRECT_WG)));
  } else {
    dispatchTiles(ctx, 'conv2dGradWeightGemm', {}, buffers, params, GRAD_WEIGHT_TILE, og, taps, groups * chunks);
  }
  if (partial !== out) {
    ctx.sumRows(partial.buffer, out.buffer, chunks, weights);
    ctx.release(partial.storage);
  }
  return out.storage;
}
