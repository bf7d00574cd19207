/**
 * Convolution on the wasm GEMM, im2col style over a chunk of images at once so each GEMM is one
 * wide product (a per-image GEMM at 7x7 outputs would be mostly ragged edge tiles):
 *
 *   col  [K = cg*kh*kw, nb*P]  the receptive fields of nb images side by side (P = ho*wo)
 *   forward      t[og, nb*P]  = w[g] (og x K) . col             then t is scattered into y[b, o, :]
 *   grad input   colG[K, nb*P] = w[g]^T . gyT[og, nb*P]          then col2im adds colG into gx
 *   grad weight  gw[g] (og x K) += gyT (og x nb*P) . col^T
 *
 * gyT gathers gy's per-image planes into the same side-by-side layout. The chunk is sized to keep
 * col under COL_LIMIT floats. im2col / col2im are TypeScript loops over the wasm memory that copy
 * whole output rows (the in-bounds column range of each tap computed once), the GEMM is wasm SIMD;
 * the scatter and gather are TypedArray.copyWithin (memmove). Bias and the epilogue activation run
 * as the backend's elementwise kernels on the output.
 */
import type { Conv2dArgs, Epilogue, TensorRef } from '../backend';
import { conv2dOutputShape } from '../cpu/conv';
import type { WasmMatmul } from './matmul';
import type { WasmStorage } from './reference';
import type { WasmBackend } from './wasm-backend';

type Shape4 = readonly [number, number, number, number];
const COL_LIMIT = 1 << 22;

interface Geometry {
  n: number; c: number; h: number; w: number; o: number; cg: number; kh: number; kw: number;
  ho: number; wo: number; sh: number; sw: number; pt: number; pl: number; dh: number; dw: number;
  groups: number; og: number; K: number; P: number;
  /** Images per chunk. */
  nb: number;
}

function geometry(xShape: Shape4, wShape: Shape4, yShape: Shape4, args: Conv2dArgs): Geometry {
  const [n, c, h, w] = xShape;
  const [o, cg, kh, kw] = wShape;
  const [, , ho, wo] = yShape;
  const { stride: [sh, sw], padding: [pt, , pl], dilation: [dh, dw], groups } = args;
  const K = cg * kh * kw, P = ho * wo;
  const nb = Math.max(1, Math.min(n, Math.floor(COL_LIMIT / Math.max(1, K * P))));
  return { n, c, h, w, o, cg, kh, kw, ho, wo, sh, sw, pt, pl, dh, dw, groups, og: o / groups, K, P, nb };
}

/** Output columns [first, end) whose tap at horizontal offset `off` lands inside [0, w). */
function columnRange(off: number, g: Geometry): [number, number] {
  const first = off >= 0 ? 0 : Math.min(g.wo, Math.ceil(-off / g.sw));
  const end = g.w - off <= 0 ? 0 : Math.min(g.wo, Math.floor((g.w - off - 1) / g.sw) + 1);
  return [first, Math.max(first, end)];
}

/**
 * For every tap (row of col) and output row, calls visit(colIndex, xIndex, first, end) with the
 * in-bounds column range (first = end = 0 when the whole output row reads padding). Indices are
 * in floats; colIndex is the start of the output row in col, xIndex the input element that output
 * column 0 would read (it may lie before the plane when the row starts in the padding).
 */
function forEachTapRow(g: Geometry, x0: number, col0: number, ld: number, visit: (ci: number, xi: number, first: number, end: number) => void): void {
  let row = 0;
  for (let ic = 0; ic < g.cg; ic++) {
    const plane = x0 + ic * g.h * g.w;
    for (let ky = 0; ky < g.kh; ky++) {
      for (let kx = 0; kx < g.kw; kx++, row++) {
        const off = kx * g.dw - g.pl;
        const [first, end] = columnRange(off, g);
        for (let oy = 0; oy < g.ho; oy++) {
          const iy = oy * g.sh - g.pt + ky * g.dh;
          const inside = iy >= 0 && iy < g.h;
          visit(col0 + row * ld + oy * g.wo, plane + iy * g.w + off, inside ? first : 0, inside ? end : 0);
        }
      }
    }
  }
}

function im2col(x: Float32Array, x0: number, g: Geometry, col: Float32Array, col0: number, ld: number): void {
  const { wo, sw } = g;
  forEachTapRow(g, x0, col0, ld, (ci, xi, first, end) => {
    col.fill(0, ci, ci + first);
    if (sw === 1) col.set(x.subarray(xi + first, xi + end), ci + first);
    else for (let ox = first; ox < end; ox++) col[ci + ox] = x[xi + ox * sw]!;
    col.fill(0, ci + end, ci + wo);
  });
}

function col2im(col: Float32Array, col0: number, ld: number, g: Geometry, gx: Float32Array, x0: number): void {
  const sw = g.sw;
  forEachTapRow(g, x0, col0, ld, (ci, xi, first, end) => {
    for (let ox = first; ox < end; ox++) gx[xi + ox * sw]! += col[ci + ox]!;
  });
}

export class WasmConv {
  constructor(private readonly backend: WasmBackend, private readonly mm: WasmMatmul) {}

  /**
   * Calls body(b0, nb, gi, col, colPtr, tPtr) per chunk of nb images and group gi, with the col and
   * side-by-side scratch allocated once for the whole call. Views of the memory are made inside
   * (after every allocation), so a growing memory never leaves one stale.
   */
  private eachChunk(g: Geometry, body: (b0: number, nb: number, gi: number, col: Float32Array, colPtr: number, tPtr: number) => void): void {
    const b = this.backend;
    const colS = b.alloc(g.K * g.nb * g.P, 'float32');
    const tS = b.alloc(g.og * g.nb * g.P, 'float32');
    const col = b.view(colS) as Float32Array;
    for (let b0 = 0; b0 < g.n; b0 += g.nb) {
      const nb = Math.min(g.nb, g.n - b0);
      for (let gi = 0; gi < g.groups; gi++) body(b0, nb, gi, col, colS.ptr, tS.ptr);
    }
    b.release(colS);
    b.release(tS);
  }

  private im2colChunk(x: WasmStorage, g: Geometry, b0: number, nb: number, gi: number, col: Float32Array): void {
    const xf = this.backend.view(x) as Float32Array;
    for (let i = 0; i < nb; i++) im2col(xf, ((b0 + i) * g.c + gi * g.cg) * g.h * g.w, g, col, i * g.P, nb * g.P);
  }

  /** Copies planes between y-layout [b, oc, P] (image b0 + i, channels from o0) and side-by-side t[oc, i*P]. */
  private planes(g: Geometry, b0: number, nb: number, o0: number, toSideBySide: boolean, yPtr: number, tPtr: number): void {
    const f = new Float32Array(this.backend.rt.memory.buffer);
    const [yBase, tBase, P] = [yPtr / 4, tPtr / 4, g.P];
    for (let i = 0; i < nb; i++) {
      for (let oc = 0; oc < g.og; oc++) {
        const y = yBase + ((b0 + i) * g.o + o0 + oc) * P;
        const t = tBase + (oc * nb + i) * P;
        if (toSideBySide) f.copyWithin(t, y, y + P);
        else f.copyWithin(y, t, t + P);
      }
    }
  }

  forward(x: TensorRef, w: TensorRef, bias: TensorRef | null, args: Conv2dArgs, epilogue?: Epilogue): WasmStorage {
    const yShape = conv2dOutputShape(x.shape as Shape4, w.shape as Shape4, args);
    const g = geometry(x.shape as Shape4, w.shape as Shape4, yShape, args);
    const b = this.backend;
    const y = b.alloc(g.n * g.o * g.P, 'float32');
    const [sx, sw] = [b.own(x.storage, 'conv2d'), b.own(w.storage, 'conv2d')];
    this.eachChunk(g, (b0, nb, gi, col, colPtr, tPtr) => {
      this.im2colChunk(sx, g, b0, nb, gi, col);
      this.mm.gemm(
        { ptr: sw.ptr + gi * g.og * g.K * 4, rows: g.K, cols: 1, batch: 0 },
        { ptr: colPtr, rows: nb * g.P, cols: 1, batch: 0 }, tPtr, 1, g.og, nb * g.P, g.K, false,
      );
      this.planes(g, b0, nb, gi * g.og, false, y.ptr, tPtr);
    });
    return this.finish(y, yShape, bias, epilogue);
  }

  /** y += bias[o] per plane, then the epilogue activation, both in place through the elementwise kernels. */
  private finish(y: WasmStorage, yShape: Shape4, bias: TensorRef | null, epilogue?: Epilogue): WasmStorage {
    const b = this.backend;
    const [n, o, ho, wo] = yShape;
    let out = y;
    if (bias) {
      out = b.binary('add', { storage: y, shape: yShape, dtype: 'float32' }, { storage: bias.storage, shape: [o, 1, 1], dtype: 'float32' }, yShape);
      b.release(y);
    }
    const activation = epilogue?.activation ?? 'none';
    if (activation === 'none') return out;
    const act = b.unary(activation, { storage: out, shape: [n, o, ho, wo], dtype: 'float32' }, epilogue?.alpha);
    b.release(out);
    return act;
  }

  gradInput(gy: TensorRef, w: TensorRef, inputShape: Shape4, args: Conv2dArgs): WasmStorage {
    const g = geometry(inputShape, w.shape as Shape4, gy.shape as Shape4, args);
    const b = this.backend;
    const gx = b.fill(g.n * g.c * g.h * g.w, 'float32', 0);
    const [sgy, sw] = [b.own(gy.storage, 'conv2dGradInput'), b.own(w.storage, 'conv2dGradInput')];
    this.eachChunk(g, (b0, nb, gi, col, colPtr, tPtr) => {
      this.planes(g, b0, nb, gi * g.og, true, sgy.ptr, tPtr);
      // colG(kk, q) = sum_oc w[gi*og + oc][kk] * t[oc][q]: A = w[gi] read transposed.
      this.mm.gemm(
        { ptr: sw.ptr + gi * g.og * g.K * 4, rows: 1, cols: g.K, batch: 0 },
        { ptr: tPtr, rows: nb * g.P, cols: 1, batch: 0 }, colPtr, 1, g.K, nb * g.P, g.og, false,
      );
      const gxf = b.view(gx) as Float32Array;
      for (let i = 0; i < nb; i++) col2im(col, i * g.P, nb * g.P, g, gxf, ((b0 + i) * g.c + gi * g.cg) * g.h * g.w);
    });
    return gx;
  }

  gradWeight(x: TensorRef, gy: TensorRef, weightShape: Shape4, args: Conv2dArgs): WasmStorage {
    const g = geometry(x.shape as Shape4, weightShape, gy.shape as Shape4, args);
    const b = this.backend;
    const gw = b.fill(g.o * g.K, 'float32', 0);
    const [sx, sgy] = [b.own(x.storage, 'conv2dGradWeight'), b.own(gy.storage, 'conv2dGradWeight')];
    this.eachChunk(g, (b0, nb, gi, col, colPtr, tPtr) => {
      this.im2colChunk(sx, g, b0, nb, gi, col);
      this.planes(g, b0, nb, gi * g.og, true, sgy.ptr, tPtr);
      // gw[gi](oc, kk) += sum_q t[oc][q] * col[kk][q]: B = col read transposed.
      this.mm.gemm(
        { ptr: tPtr, rows: nb * g.P, cols: 1, batch: 0 },
        { ptr: colPtr, rows: 1, cols: nb * g.P, batch: 0 }, gw.ptr + gi * g.og * g.K * 4, 1, g.og, g.K, nb * g.P, true,
      );
    });
    return gw;
  }
}
