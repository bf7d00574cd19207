/**
 * Reference max / average pooling over NCHW and its gradient. Average divisors follow PyTorch's
 * avg_pool2d: the window clipped to the padded input when padded cells count, else the window
 * clipped to the input. Max ignores padded cells; ties and NaNs go to the first in scan order.
 */
import type { HostArray, Pool2dArgs } from '../backend';

type Shape4 = readonly [number, number, number, number];

export function pool2dOutputShape(xShape: Shape4, args: Pool2dArgs): Shape4 {
  const [n, c, h, w] = xShape;
  const { kernel: [kh, kw], stride: [sh, sw], padding: [pt, pb, pl, pr] } = args;
  return [n, c, Math.floor((h + pt + pb - kh) / sh) + 1, Math.floor((w + pl + pr - kw) / sw) + 1];
}

interface Window {
  y0: number;
  y1: number;
  x0: number;
  x1: number;
  divisor: number;
}

/** The input rows [y0, y1) and columns [x0, x1) under output (oy, ox), and its average divisor. */
function windowAt(oy: number, ox: number, h: number, w: number, args: Pool2dArgs): Window {
  const { kernel: [kh, kw], stride: [sh, sw], padding: [pt, pb, pl, pr], countIncludePad } = args;
  const top = oy * sh - pt;
  const left = ox * sw - pl;
  const paddedRows = Math.min(top + kh, h + pb) - top;
  const paddedCols = Math.min(left + kw, w + pr) - left;
  const y0 = Math.max(top, 0);
  const x0 = Math.max(left, 0);
  const y1 = Math.min(top + kh, h);
  const x1 = Math.min(left + kw, w);
  const divisor = countIncludePad ? paddedRows * paddedCols : (y1 - y0) * (x1 - x0);
  return { y0, y1, x0, x1, divisor };
}

/** Flat index (within the plane) of the first maximum of a window, or -1 for an empty window. */
function argmaxIn(x: HostArray, plane: number, w: number, win: Window): number {
  let best = -1;
  let bestValue = -Infinity;
  for (let y = win.y0; y < win.y1; y++) {
    for (let xx = win.x0; xx < win.x1; xx++) {
      const v = x[plane + y * w + xx]!;
      if (best < 0 || v > bestValue || (Number.isNaN(v) && !Number.isNaN(bestValue))) {
        best = y * w + xx;
        bestValue = v;
      }
      if (Number.isNaN(bestValue)) return best;
    }
  }
  return best;
}

function forEachWindow(xShape: Shape4, args: Pool2dArgs, visit: (plane: number, outIndex: number, win: Window) => void): void {
  const [n, c, h, w] = xShape;
  const [, , ho, wo] = pool2dOutputShape(xShape, args);
  for (let p = 0; p < n * c; p++) {
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) visit(p * h * w, (p * ho + oy) * wo + ox, windowAt(oy, ox, h, w, args));
    }
  }
}

export function pool2d(op: 'max' | 'avg', x: HostArray, xShape: Shape4, args: Pool2dArgs, out: HostArray): void {
  const w = xShape[3];
  forEachWindow(xShape, args, (plane, o, win) => {
    if (op === 'max') {
      const at = argmaxIn(x, plane, w, win);
      out[o] = at < 0 ? -Infinity : x[plane + at]!;
      return;
    }
    let sum = 0;
    for (let y = win.y0; y < win.y1; y++) {
      for (let xx = win.x0; xx < win.x1; xx++) sum += x[plane + y * w + xx]!;
    }
    out[o] = sum / win.divisor;
  });
}

export function pool2dGrad(op: 'max' | 'avg', x: HostArray, xShape: Shape4, gy: HostArray, args: Pool2dArgs, out: HostArray): void {
  const w = xShape[3];
  const acc = new Float64Array(out.length);
  forEachWindow(xShape, args, (plane, o, win) => {
    if (op === 'max') {
      const at = argmaxIn(x, plane, w, win);
      if (at >= 0) acc[plane + at]! += gy[o]!;
      return;
    }
    const share = gy[o]! / win.divisor;
    for (let y = win.y0; y < win.y1; y++) {
      for (let xx = win.x0; xx < win.x1; xx++) acc[plane + y * w + xx]! += share;
    }
  });
  out.set(acc);
}
