/**
 * Reference 2-D convolution kernels (NCHW activations, OIHW weights), written as the textbook
 * loops and independently of the WGSL (which gathers per output and splits strided
 * gradients into phases): the forward pass gathers, both gradients scatter. Sums run in float64
 * and round once into the output.
 */
import type { Conv2dArgs, Epilogue, HostArray } from '../backend';
import { unary } from './unary';

type Shape4 = readonly [number, number, number, number];

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

export function conv2dOutputShape(xShape: Shape4, wShape: Shape4, args: Conv2dArgs): Shape4 {
  const [n, , h, w] = xShape;
  const [o, , kh, kw] = wShape;
  const { stride: [sh, sw], padding: [pt, pb, pl, pr], dilation: [dh, dw] } = args;
  return [n, o, Math.floor((h + pt + pb - dh * (kh - 1) - 1) / sh) + 1, Math.floor((w + pl + pr - dw * (kw - 1) - 1) / sw) + 1];
}

export function conv2d(
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
  const activation = epilogue?.activation ?? 'none';
  if (activation === 'none') out.set(acc);
  else unary(activation, acc, 'float64', out, epilogue?.alpha);
}

export function conv2dGradInput(gy: HostArray, gyShape: Shape4, w: HostArray, wShape: Shape4, inputShape: Shape4, args: Conv2dArgs, out: HostArray): void {
  const acc = new Float64Array(out.length);
  forEachTap(inputShape, wShape, gyShape, args, (xi, wi, yi) => {
    acc[xi]! += gy[yi]! * w[wi]!;
  });
  out.set(acc);
}

export function conv2dGradWeight(x: HostArray, xShape: Shape4, gy: HostArray, gyShape: Shape4, weightShape: Shape4, args: Conv2dArgs, out: HostArray): void {
  const acc = new Float64Array(out.length);
  forEachTap(xShape, weightShape, gyShape, args, (xi, wi, yi) => {
    acc[wi]! += gy[yi]! * x[xi]!;
  });
  out.set(acc);
}
