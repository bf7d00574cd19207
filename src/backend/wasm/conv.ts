/**
 * Convolution on the wasm GEMM, im2col style over a chunk of nb images at once so each GEMM is one
 * wide product (a per-image GEMM at 7x7 outputs would be mostly ragged edge tiles) while col stays
 * cache-sized, and batched over the groups (a depthwise convolution is one GEMM call of `groups`
 * small matrices):
 *
 *   col  [C*kh*kw, nb*P]   receptive fields of nb images side by side (P = ho*wo); group g owns
 *                          rows g*K .. (g+1)*K, K = cg*kh*kw
 *   forward      t[g] (og x nb*P) = w[g] (og x K) . col[g]          t is then scattered into y[b, o, :]
 *   grad input   colG[g] (K x nb*P) = w[g]^T . gyT[g]                col2im adds colG into gx
 *   grad weight  gw[g] (og x K) += gyT[g] (og x nb*P) . col[g]^T
 *
 * gyT gathers gy's planes into the same side-by-side layout [O, nb*P]. The chunk keeps col under
 * colLimit floats. im2col / col2im are wasm kernels (im2col.ts), one image per thread-pool task;
 * the GEMM is gemm.ts; the plane scatter / gather is TypedArray.copyWithin (memmove). The bias
 * is the GEMM's starting value (t's rows filled with it, then accumulated into); the epilogue
 * activation runs as the backend's elementwise kernel on the output.
 */
import type { Conv2dArgs, Epilogue, TensorRef } from '../backend';
import { conv2dOutputShape } from '../cpu/conv';
import type { WasmMatmul } from './matmul';
import type { WasmStorage } from './reference';
import type { WasmBackend } from './wasm-backend';

type Shape4 = readonly [number, number, number, number];
/**
 * Floats of col per chunk. One thread: 1 MiB, so the chunk im2col writes is still in L2 when the
 * GEMM reads it (~10% faster than one 14 MiB chunk on the 32->64 strided conv at batch 64). More
 * threads: 16 MiB, because every chunk is two pool rounds that wait for the slowest thread, and on
 * a loaded machine each such wait can cost a scheduling delay (with 1 MiB chunks that conv's
 * 2-thread forward measured 0.59x of tfjs-wasm at load ~12, against 1.2x with 16 MiB chunks).
 */
const colLimit = (threads: number) => (threads > 1 ? 1 << 22 : 1 << 18);

interface Geometry {
  n: number; c: number; h: number; w: number; o: number; cg: number; kh: number; kw: number;
  ho: number; wo: number; args: Conv2dArgs;
  groups: number; og: number; K: number; P: number;
  /** Images per chunk. */
  nb: number;
}

function geometry(xShape: Shape4, wShape: Shape4, yShape: Shape4, args: Conv2dArgs, threads: number): Geometry {
  const [n, c, h, w] = xShape;
  const [o, cg, kh, kw] = wShape;
  const [, , ho, wo] = yShape;
  const K = cg * kh * kw, P = ho * wo;
  const nb = Math.max(1, Math.min(n, Math.floor(colLimit(threads) / Math.max(1, c * kh * kw * P))));
  return { n, c, h, w, o, cg, kh, kw, ho, wo, args, groups: args.groups, og: o / args.groups, K, P, nb };
}

export class WasmConv {
  constructor(private readonly backend: WasmBackend, private readonly mm: WasmMatmul) {}

  /**
   * Calls body(b0, nb, colPtr, tPtr) per chunk of nb images, with the col and side-by-side
   * scratch allocated once for the whole call.
   */
  private eachChunk(g: Geometry, body: (b0: number, nb: number, colPtr: number, tPtr: number) => void): void {
    const b = this.backend;
    const colS = b.alloc(g.c * g.kh * g.kw * g.nb * g.P, 'float32');
    const tS = b.alloc(g.o * g.nb * g.P, 'float32');
    for (let b0 = 0; b0 < g.n; b0 += g.nb) body(b0, Math.min(g.nb, g.n - b0), colS.ptr, tS.ptr);
    b.release(colS);
    b.release(tS);
  }

  /** im2col (or, with `adjoint`, col2im into x) for images b0 .. b0+nb-1, one image per task. */
  private im2col(adjoint: boolean, x: number, g: Geometry, b0: number, nb: number, col: number): void {
    const { stride: [sh, sw], padding: [pt, , pl], dilation: [dh, dw] } = g.args;
    const image = g.c * g.h * g.w * 4;
    const args = [x + b0 * image, image, col, nb * g.P * 4, g.c, g.h, g.w, g.kh, g.kw, g.ho, g.wo, sh, sw, pt, pl, dh, dw];
    const name = adjoint ? 'col2imTask' : 'im2colTask';
    this.backend.rt.pool.run(this.backend.rt.kernels[name]!, name, nb, 0, args);
  }

  /** Copies planes between y-layout [b, o, P] (images b0 ..) and side-by-side t[o, i*P]. */
  private planes(g: Geometry, b0: number, nb: number, toSideBySide: boolean, yPtr: number, tPtr: number): void {
    const f = new Float32Array(this.backend.rt.memory.buffer);
    const [yBase, tBase, P] = [yPtr / 4, tPtr / 4, g.P];
    for (let i = 0; i < nb; i++) {
      for (let oc = 0; oc < g.o; oc++) {
        const y = yBase + ((b0 + i) * g.o + oc) * P;
        const t = tBase + (oc * nb + i) * P;
        if (toSideBySide) f.copyWithin(t, y, y + P);
        else f.copyWithin(y, t, t + P);
      }
    }
  }

  forward(x: TensorRef, w: TensorRef, bias: TensorRef | null, args: Conv2dArgs, epilogue?: Epilogue): WasmStorage {
    const yShape = conv2dOutputShape(x.shape as Shape4, w.shape as Shape4, args);
    const g = geometry(x.shape as Shape4, w.shape as Shape4, yShape, args, this.backend.threads);
    const b = this.backend;
    const y = b.alloc(g.n * g.o * g.P, 'float32');
    const [sx, sw] = [b.own(x.storage, 'conv2d'), b.own(w.storage, 'conv2d')];
    // The bias is folded into the GEMM: t starts as bias[o] along each row and the product adds to it.
    const biasBits = bias && new Int32Array(b.rt.memory.buffer, b.own(bias.storage, 'conv2d').ptr, g.o).slice();
    this.eachChunk(g, (b0, nb, col, t) => {
      const n = nb * g.P;
      this.im2col(false, sx.ptr, g, b0, nb, col);
      if (biasBits) for (let oc = 0; oc < g.o; oc++) b.rt.kernels.fill32!(t + oc * n * 4, n, biasBits[oc]!);
      // t[g] (+)= w[g] (og x K) . col[g] (K x n)
      this.mm.gemm({ ptr: sw.ptr, rows: g.K, cols: 1, batch: g.og * g.K }, { ptr: col, rows: n, cols: 1, batch: g.K * n }, t, g.groups, g.og, n, g.K, !!biasBits);
      this.planes(g, b0, nb, false, y.ptr, t);
    });
    return this.activate(y, yShape, epilogue);
  }

  /** The epilogue activation, through the elementwise kernels. */
  private activate(y: WasmStorage, yShape: Shape4, epilogue?: Epilogue): WasmStorage {
    const activation = epilogue?.activation ?? 'none';
    if (activation === 'none') return y;
    const act = this.backend.unary(activation, { storage: y, shape: yShape, dtype: 'float32' }, epilogue?.alpha);
    this.backend.release(y);
    return act;
  }

  gradInput(gy: TensorRef, w: TensorRef, inputShape: Shape4, args: Conv2dArgs): WasmStorage {
    const g = geometry(inputShape, w.shape as Shape4, gy.shape as Shape4, args, this.backend.threads);
    const b = this.backend;
    const gx = b.fill(g.n * g.c * g.h * g.w, 'float32', 0);
    const [sgy, sw] = [b.own(gy.storage, 'conv2dGradInput'), b.own(w.storage, 'conv2dGradInput')];
    this.eachChunk(g, (b0, nb, col, t) => {
      const n = nb * g.P;
      this.planes(g, b0, nb, true, sgy.ptr, t);
      // colG[g] = w[g]^T (K x og) . t[g] (og x n): A = w[g] read transposed.
      this.mm.gemm({ ptr: sw.ptr, rows: 1, cols: g.K, batch: g.og * g.K }, { ptr: t, rows: n, cols: 1, batch: g.og * n }, col, g.groups, g.K, n, g.og, false);
      this.im2col(true, gx.ptr, g, b0, nb, col);
    });
    return gx;
  }

  gradWeight(x: TensorRef, gy: TensorRef, weightShape: Shape4, args: Conv2dArgs): WasmStorage {
    const g = geometry(x.shape as Shape4, weightShape, gy.shape as Shape4, args, this.backend.threads);
    const b = this.backend;
    const gw = b.fill(g.o * g.K, 'float32', 0);
    const [sx, sgy] = [b.own(x.storage, 'conv2dGradWeight'), b.own(gy.storage, 'conv2dGradWeight')];
    this.eachChunk(g, (b0, nb, col, t) => {
      const n = nb * g.P;
      this.im2col(false, sx.ptr, g, b0, nb, col);
      this.planes(g, b0, nb, true, sgy.ptr, t);
      // gw[g] (og x K) += t[g] (og x n) . col[g]^T (n x K): B = col read transposed.
      this.mm.gemm({ ptr: t, rows: n, cols: 1, batch: g.og * n }, { ptr: col, rows: 1, cols: n, batch: g.K * n }, gw.ptr, g.groups, g.og, g.K, n, true);
    });
    return gw;
  }
}
