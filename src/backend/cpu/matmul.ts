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
