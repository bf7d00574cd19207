/**
 * Batched matmul: C[b] = op(A[b]) @ op(B[b]).
 *
 * Both operands are packed into float64 panels of TILE rows (A) and TILE columns (B), laid out so the
 * micro-kernel reads each panel front to back; a TILE x TILE block of C then lives in 16 local
 * doubles for the whole k loop (8 loads per 32 flops instead of 3 memory operations per 2 flops of
 * the plain triple loop). Packing also absorbs the transposes (it reads through strides), zero-pads
 * ragged edges so the micro-kernel has no edge cases, and keeps the hot loop monomorphic (it only
 * ever sees Float64Array). Sums are float64 and round once into the output. Blocking over k or n for
 * cache measured no gain on top of this at 512 and 1024 (the kernel is compute-bound in V8), so none.
 *
 * int32 inputs go through the same float64 path: exact while every partial sum stays below 2^53.
 */
import type { HostArray, MatmulArgs } from '../backend';

const TILE = 4;

export function matmul(a: HostArray, b: HostArray, out: HostArray, args: MatmulArgs): void {
  const { batch, m, k, n, transA, transB } = args;
  const panelsA = new Float64Array(Math.ceil(m / TILE) * TILE * k);
  const panelsB = new Float64Array(Math.ceil(n / TILE) * TILE * k);
  const tile = new Float64Array(TILE * TILE);
  for (let i = 0; i < batch; i++) {
    // A broadcast operand (batch stride 0) is packed once and reused.
    if (i === 0 || args.aBatchStride !== 0) {
      // Row r of op(A) at depth p: A is [m, k], or [k, m] when transposed.
      packPanels(a, i * args.aBatchStride, m, k, transA ? 1 : k, transA ? m : 1, panelsA);
    }
    if (i === 0 || args.bBatchStride !== 0) {
      // Column c of op(B) at depth p: B is [k, n], or [n, k] when transposed.
      packPanels(b, i * args.bBatchStride, n, k, transB ? k : 1, transB ? 1 : n, panelsB);
    }
    multiplyPanels(panelsA, panelsB, out, i * m * n, m, k, n, tile);
  }
}

/**
 * panels[(q * k + p) * TILE + r] = src[offset + (q * TILE + r) * lineStride + p * depthStride],
 * zero where q * TILE + r runs past `lines`.
 */
function packPanels(
  src: HostArray, offset: number, lines: number, k: number,
  lineStride: number, depthStride: number, panels: Float64Array,
): void {
  panels.fill(0);
  for (let q = 0; q * TILE < lines; q++) {
    const width = Math.min(TILE, lines - q * TILE);
    for (let p = 0; p < k; p++) {
      const from = offset + q * TILE * lineStride + p * depthStride;
      const to = (q * k + p) * TILE;
      for (let r = 0; r < width; r++) panels[to + r] = src[from + r * lineStride]!;
    }
  }
}

function multiplyPanels(
  panelsA: Float64Array, panelsB: Float64Array, out: HostArray, outOffset: number,
  m: number, k: number, n: number, tile: Float64Array,
): void {
  for (let i0 = 0; i0 < m; i0 += TILE) {
    const rows = Math.min(TILE, m - i0);
    for (let j0 = 0; j0 < n; j0 += TILE) {
      const cols = Math.min(TILE, n - j0);
      multiplyTile(panelsA, i0 * k, panelsB, j0 * k, k, tile);
      for (let r = 0; r < rows; r++) {
        const to = outOffset + (i0 + r) * n + j0;
        for (let c = 0; c < cols; c++) out[to + c] = tile[r * TILE + c]!;
      }
    }
  }
}

/** tile[r * 4 + c] = sum_p A-panel[p][r] * B-panel[p][c]: the 4x4 register block. */
function multiplyTile(panelsA: Float64Array, pa: number, panelsB: Float64Array, pb: number, k: number, tile: Float64Array): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0; p < k; p++, pa += TILE, pb += TILE) {
    const a0 = panelsA[pa]!, a1 = panelsA[pa + 1]!, a2 = panelsA[pa + 2]!, a3 = panelsA[pa + 3]!;
    const b0 = panelsB[pb]!, b1 = panelsB[pb + 1]!, b2 = panelsB[pb + 2]!, b3 = panelsB[pb + 3]!;
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  tile[0] = c00; tile[1] = c01; tile[2] = c02; tile[3] = c03;
  tile[4] = c10; tile[5] = c11; tile[6] = c12; tile[7] = c13;
  tile[8] = c20; tile[9] = c21; tile[10] = c22; tile[11] = c23;
  tile[12] = c30; tile[13] = c31; tile[14] = c32; tile[15] = c33;
}

// ---- strided GEMM for the convolution kernels (conv.ts) ----

let scratchA = new Float64Array(0);
let scratchB = new Float64Array(0);
const scratchTile = new Float64Array(TILE * TILE);

/**
 * C[cOffset + i * ldc + j] (+)= sum_p A(i, p) * B(p, j) for i < m, j < n, p < k, where
 * A(i, p) = a[aOffset + i * aRowStride + p * aDepthStride] and
 * B(p, j) = b[bOffset + p * bDepthStride + j * bColStride]: any transpose or sub-matrix through
 * strides, packed into the same float64 panels and 4x4 micro-kernel as `matmul`. `accumulate`
 * adds to C (a float64 accumulator in the callers), otherwise C is overwritten. Scratch panels are
 * reused across calls (single-threaded).
 */
export function gemmStrided(
  m: number, n: number, k: number,
  a: HostArray, aOffset: number, aRowStride: number, aDepthStride: number,
  b: HostArray, bOffset: number, bDepthStride: number, bColStride: number,
  c: HostArray, cOffset: number, ldc: number, accumulate: boolean,
): void {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    if (!accumulate) for (let i = 0; i < m; i++) c.fill(0, cOffset + i * ldc, cOffset + i * ldc + n);
    return;
  }
  const sizeA = Math.ceil(m / TILE) * TILE * k;
  const sizeB = Math.ceil(n / TILE) * TILE * k;
  if (scratchA.length < sizeA) scratchA = new Float64Array(sizeA);
  if (scratchB.length < sizeB) scratchB = new Float64Array(sizeB);
  const panelsA = scratchA, panelsB = scratchB, tile = scratchTile;
  packPanelsInto(a, aOffset, m, k, aRowStride, aDepthStride, panelsA);
  packPanelsInto(b, bOffset, n, k, bColStride, bDepthStride, panelsB);
  for (let i0 = 0; i0 < m; i0 += TILE) {
    const rows = Math.min(TILE, m - i0);
    for (let j0 = 0; j0 < n; j0 += TILE) {
      const cols = Math.min(TILE, n - j0);
      multiplyTile(panelsA, i0 * k, panelsB, j0 * k, k, tile);
      for (let r = 0; r < rows; r++) {
        const to = cOffset + (i0 + r) * ldc + j0;
        if (accumulate) for (let q = 0; q < cols; q++) c[to + q]! += tile[r * TILE + q]!;
        else for (let q = 0; q < cols; q++) c[to + q] = tile[r * TILE + q]!;
      }
    }
  }
}

/** packPanels into a scratch buffer that may be longer than needed: zeroes only the ragged last panel. */
function packPanelsInto(
  src: HostArray, offset: number, lines: number, k: number,
  lineStride: number, depthStride: number, panels: Float64Array,
): void {
  const full = Math.floor(lines / TILE);
  for (let q = 0; q < full; q++) {
    let from = offset + q * TILE * lineStride;
    let to = q * k * TILE;
    for (let p = 0; p < k; p++, from += depthStride, to += TILE) {
      panels[to] = src[from]!;
      panels[to + 1] = src[from + lineStride]!;
      panels[to + 2] = src[from + 2 * lineStride]!;
      panels[to + 3] = src[from + 3 * lineStride]!;
    }
  }
  const width = lines - full * TILE;
  if (width > 0) {
    const base = full * k * TILE;
    panels.fill(0, base, base + k * TILE);
    let from = offset + full * TILE * lineStride;
    let to = base;
    for (let p = 0; p < k; p++, from += depthStride, to += TILE) {
      for (let r = 0; r < width; r++) panels[to + r] = src[from + r * lineStride]!;
    }
  }
}
