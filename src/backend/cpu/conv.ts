/**
 * 2-D convolution kernels (NCHW activations, OIHW weights), written independently of the WGSL
 * (which gathers per output and splits strided gradients into phases).
 *
 * The fast path is im2col + GEMM, one image and one group at a time: `im2col` lays the receptive
 * fields of image b, group g out as col[K = cg*kh*kw][P = ho*wo] (zeros where a tap falls in the
 * padding), and the strided float64 GEMM of matmul.ts (packed panels, 4x4 register block) does the
 * multiply-adds:
 *   forward      y[b, g]  (og x P)  = w[g] (og x K)  . col (K x P)            (+ bias, epilogue)
 *   grad input   colG     (K x P)   = w[g]^T (K x og) . gy[b, g] (og x P), then col2im adds colG
 *                                    back into gx (transposed convolution's forward)
 *   grad weight  gw[g]    (og x K) += gy[b, g] (og x P) . col^T (P x K), summed over the batch
 * im2col / col2im work a whole output row at a time, with the in-bounds column range of each
 * (ky, kx) tap computed once instead of tested per element. Sums run in float64 and round once into
 * the output, for float32 and float64 storage alike.
 *
 * The textbook loops (`conv2dReference`, ...) stay as the independent reference the tests compare
 * the fast path against.
 */
import type { Conv2dArgs, Epilogue, HostArray } from '../backend';
import { gemmStrided } from './matmul';
import { unary } from './unary';

type Shape4 = readonly [number, number, number, number];

export function conv2dOutputShape(xShape: Shape4, wShape: Shape4, args: Conv2dArgs): Shape4 {
  const [n, , h, w] = xShape;
  const [o, , kh, kw] = wShape;
  const { stride: [sh, sw], padding: [pt, pb, pl, pr], dilation: [dh, dw] } = args;
  return [n, o, Math.floor((h + pt + pb - dh * (kh - 1) - 1) / sh) + 1, Math.floor((w + pl + pr - dw * (kw - 1) - 1) / sw) + 1];
}

/** Everything the im2col loops need about one convolution's geometry. */
interface Geometry {
  n: number; c: number; h: number; w: number;
  o: number; cg: number; kh: number; kw: number;
  ho: number; wo: number;
  sh: number; sw: number; pt: number; pl: number; dh: number; dw: number;
  groups: number; og: number;
  /** K = cg * kh * kw rows of col, P = ho * wo columns. */
  K: number; P: number;
}

function geometry(xShape: Shape4, wShape: Shape4, yShape: Shape4, args: Conv2dArgs): Geometry {
  const [n, c, h, w] = xShape;
  const [o, cg, kh, kw] = wShape;
  const [, , ho, wo] = yShape;
  const { stride: [sh, sw], padding: [pt, , pl], dilation: [dh, dw], groups } = args;
  return { n, c, h, w, o, cg, kh, kw, ho, wo, sh, sw, pt, pl, dh, dw, groups, og: o / groups, K: cg * kh * kw, P: ho * wo };
}

let colScratch = new Float64Array(0);
function colBuffer(size: number): Float64Array {
  if (colScratch.length < size) colScratch = new Float64Array(size);
  return colScratch;
}

/** First output column whose tap at horizontal offset `off` (= kx * dw - pl) lands inside [0, w). */
function firstColumn(off: number, sw: number, wo: number): number {
  return off >= 0 ? 0 : Math.min(wo, Math.ceil(-off / sw));
}
/** One past the last output column whose tap at offset `off` lands inside [0, w). */
function endColumn(off: number, sw: number, w: number, wo: number): number {
  return w - off <= 0 ? 0 : Math.min(wo, Math.floor((w - off - 1) / sw) + 1);
}

/** col[(ic * kh + ky) * kw + kx][oy * wo + ox] = x[xOffset + (ic * h + iy) * w + ix], 0 in the padding. */
function im2col(x: HostArray, xOffset: number, g: Geometry, col: Float64Array): void {
  const { cg, h, w, kh, kw, ho, wo, sh, sw, pt, pl, dh, dw, P } = g;
  let row = 0;
  for (let ic = 0; ic < cg; ic++) {
    const plane = xOffset + ic * h * w;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++, row++) {
        const off = kx * dw - pl;
        const ox0 = firstColumn(off, sw, wo);
        const ox1 = Math.max(ox0, endColumn(off, sw, w, wo));
        let dst = row * P;
        for (let oy = 0; oy < ho; oy++, dst += wo) {
          const iy = oy * sh - pt + ky * dh;
          if (iy < 0 || iy >= h) {
            col.fill(0, dst, dst + wo);
            continue;
          }
          const src = plane + iy * w + off;
          for (let ox = 0; ox < ox0; ox++) col[dst + ox] = 0;
          if (sw === 1) for (let ox = ox0; ox < ox1; ox++) col[dst + ox] = x[src + ox]!;
          else for (let ox = ox0; ox < ox1; ox++) col[dst + ox] = x[src + ox * sw]!;
          for (let ox = ox1; ox < wo; ox++) col[dst + ox] = 0;
        }
      }
    }
  }
}

/** The adjoint of im2col: acc[accOffset + (ic * h + iy) * w + ix] += col[...] over every in-bounds tap. */
function col2im(col: Float64Array, g: Geometry, acc: Float64Array, accOffset: number): void {
  const { cg, h, w, kh, kw, ho, wo, sh, sw, pt, pl, dh, dw, P } = g;
  let row = 0;
  for (let ic = 0; ic < cg; ic++) {
    const plane = accOffset + ic * h * w;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++, row++) {
        const off = kx * dw - pl;
        const ox0 = firstColumn(off, sw, wo);
        const ox1 = endColumn(off, sw, w, wo);
        if (ox1 <= ox0) continue;
        let src = row * P;
        for (let oy = 0; oy < ho; oy++, src += wo) {
          const iy = oy * sh - pt + ky * dh;
          if (iy < 0 || iy >= h) continue;
          const dst = plane + iy * w + off;
          if (sw === 1) for (let ox = ox0; ox < ox1; ox++) acc[dst + ox]! += col[src + ox]!;
          else for (let ox = ox0; ox < ox1; ox++) acc[dst + ox * sw]! += col[src + ox]!;
        }
      }
    }
  }
}

function finish(acc: Float64Array, epilogue: Epilogue | undefined, out: HostArray): void {
  const activation = epilogue?.activation ?? 'none';
  if (activation === 'none') out.set(acc);
  else unary(activation, acc, 'float64', out, epilogue?.alpha);
}

function fillBias(acc: Float64Array, bias: HostArray, n: number, o: number, plane: number): void {
  let i = 0;
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < o; oc++, i += plane) acc.fill(bias[oc]!, i, i + plane);
  }
}

export function conv2d(
  x: HostArray, xShape: Shape4, w: HostArray, wShape: Shape4, bias: HostArray | null,
  args: Conv2dArgs, epilogue: Epilogue | undefined, out: HostArray,
): void {
  const yShape = conv2dOutputShape(xShape, wShape, args);
  const g = geometry(xShape, wShape, yShape, args);
  const { n, c, h, w: width, o, cg, og, K, P, groups } = g;
  const acc = new Float64Array(out.length);
  if (bias) fillBias(acc, bias, n, o, P);
  if (K > 0 && P > 0) {
    const col = colBuffer(K * P);
    for (let b = 0; b < n; b++) {
      for (let gi = 0; gi < groups; gi++) {
        im2col(x, (b * c + gi * cg) * h * width, g, col);
        gemmStrided(og, P, K, w, gi * og * K, K, 1, col, 0, P, 1, acc, (b * o + gi * og) * P, P, true);
      }
    }
  }
  finish(acc, epilogue, out);
}

export function conv2dGradInput(gy: HostArray, gyShape: Shape4, w: HostArray, wShape: Shape4, inputShape: Shape4, args: Conv2dArgs, out: HostArray): void {
  const g = geometry(inputShape, wShape, gyShape, args);
  const { n, c, h, w: width, o, cg, og, K, P, groups } = g;
  const acc = new Float64Array(out.length);
  if (K > 0 && P > 0) {
    const col = colBuffer(K * P);
    for (let b = 0; b < n; b++) {
      for (let gi = 0; gi < groups; gi++) {
        // colG(k, p) = sum_oc w[gi * og + oc][k] * gy[b, gi * og + oc][p]: A = w[gi] read transposed.
        gemmStrided(K, P, og, w, gi * og * K, 1, K, gy, (b * o + gi * og) * P, P, 1, col, 0, P, false);
        col2im(col, g, acc, (b * c + gi * cg) * h * width);
      }
    }
  }
  out.set(acc);
}

export function conv2dGradWeight(x: HostArray, xShape: Shape4, gy: HostArray, gyShape: Shape4, weightShape: Shape4, args: Conv2dArgs, out: HostArray): void {
  const g = geometry(xShape, weightShape, gyShape, args);
  const { n, c, h, w: width, o, cg, og, K, P, groups } = g;
  const acc = new Float64Array(out.length);
  if (K > 0 && P > 0) {
    const col = colBuffer(K * P);
    for (let b = 0; b < n; b++) {
      for (let gi = 0; gi < groups; gi++) {
        im2col(x, (b * c + gi * cg) * h * width, g, col);
        // gw[gi](oc, k) += sum_p gy[b, gi * og + oc][p] * col[k][p]: B = col read transposed.
        gemmStrided(og, K, P, gy, (b * o + gi * og) * P, P, 1, col, 0, 1, P, acc, gi * og * K, K, true);
      }
    }
  }
  out.set(acc);
}

// ---- the textbook reference (tests compare the fast path against it) ----

/** Calls `visit(xIndex, wIndex, yIndex)` for every product term of the convolution. */
function forEachTap(xShape: Shape4, wShape: Shape4, yShape: Shape4, args: Conv2dArgs, visit: (xi: number, wi: number, yi: number) => void): void {
  const [n, c, h, w] = xShape;
  const [o, cg, kh, kw] = wShape;
  const [, , ho, wo] = yShape;
  const { stride: [sh, sw], padding: [pt, , pl], dilation: [dh, dw], groups } = args;
  const og = o / groups;
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < o; oc++) {
      const g = Math.floor(oc / og);
      for (let oy = 0; oy < ho; oy++) {
        for (let ox = 0; ox < wo; ox++) {
          const yi = ((b * o + oc) * ho + oy) * wo + ox;
          for (let ic = 0; ic < cg; ic++) {
            const xPlane = (b * c + g * cg + ic) * h;
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * sh - pt + ky * dh;
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * sw - pl + kx * dw;
                if (ix < 0 || ix >= w) continue;
                visit((xPlane + iy) * w + ix, ((oc * cg + ic) * kh + ky) * kw + kx, yi);
              }
            }
          }
        }
      }
    }
  }
}

export function conv2dReference(
  x: HostArray, xShape: Shape4, w: HostArray, wShape: Shape4, bias: HostArray | null,
  args: Conv2dArgs, epilogue: Epilogue | undefined, out: HostArray,
): void {
  const yShape = conv2dOutputShape(xShape, wShape, args);
  const acc = new Float64Array(out.length);
  if (bias) {
    const [, o, ho, wo] = yShape;
    for (let i = 0; i < acc.length; i++) acc[i] = bias[Math.floor(i / (ho * wo)) % o]!;
  }
  forEachTap(xShape, wShape, yShape, args, (xi, wi, yi) => {
    acc[yi]! += x[xi]! * w[wi]!;
  });
  finish(acc, epilogue, out);
}

export function conv2dGradInputReference(gy: HostArray, gyShape: Shape4, w: HostArray, wShape: Shape4, inputShape: Shape4, args: Conv2dArgs, out: HostArray): void {
  const acc = new Float64Array(out.length);
  forEachTap(inputShape, wShape, gyShape, args, (xi, wi, yi) => {
    acc[xi]! += gy[yi]! * w[wi]!;
  });
  out.set(acc);
}

export function conv2dGradWeightReference(x: HostArray, xShape: Shape4, gy: HostArray, gyShape: Shape4, weightShape: Shape4, args: Conv2dArgs, out: HostArray): void {
  const acc = new Float64Array(out.length);
  forEachTap(xShape, weightShape, gyShape, args, (xi, wi, yi) => {
    acc[wi]! += gy[yi]! * x[xi]!;
  });
  out.set(acc);
}
