/**
 * Max pooling beyond the kernel: with dilation, ceil mode and the winners' indices
 * (`maxPool2dWithIndices`), its inverse `maxUnpool2d`, and `adaptiveMaxPool2d`. Each window's taps
 * are strided slices of the (−∞-padded) input, stacked on a new axis; the winner is their argmax,
 * so the gradient reaches exactly the element that won, as in PyTorch. Composites: every backend.
 */
import { ArgumentError, ShapeError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, named, requireFloat } from './core.js';
import { tensor, zeros } from './creation.js';
import { requireIndex, takeAlongAxis } from './indexing.js';
import { scatter } from './indexing-extra.js';
import { argmax } from './reduce.js';
import { expand, flatten, pad, reshape, slice, squeeze, stack } from './shapeops.js';
import { adaptivePoolSizes, checkRank, intPair, type Pair } from './spatial.js';

/** Options of maxPool2dWithIndices (and of maxPool2d's dilation and ceilMode). */
export interface MaxPool2dOptions {
  /** Default: the kernel size. */
  stride?: Pair;
  /** Implicit −∞ padding on each side, at most half the kernel. */
  padding?: Pair;
  /** Spacing between window taps (default 1). */
  dilation?: Pair;
  /** Round the output size up, so the last window may hang over the bottom/right edge. */
  ceilMode?: boolean;
}

/** PyTorch's output size of a max pool along one axis. */
function pooledSize(op: string, size: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = size + 2 * p - d * (k - 1) - 1;
  if (span < 0) throw new ShapeError(`${op}: the kernel (${d * (k - 1) + 1} with dilation) is larger than the padded input (${size + 2 * p})`);
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  // The last window must start inside the input or its left padding.
  if (ceil && (out - 1) * s >= size + p) out--;
  return out;
}

/**
 * Max over each window of x [N, C, H, W] and where it was: `indices` (int32) holds the winner's
 * flat position h·W + w in its channel's plane, what `maxUnpool2d` takes.
 * @torch torch.nn.functional.max_pool2d(return_indices=True)
 */
export function maxPool2dWithIndices(x: Tensor, kernelSize: Pair, opts: MaxPool2dOptions = {}): { values: Tensor; indices: Tensor } {
  const op = 'maxPool2dWithIndices';
  checkInputs(op, x);
  checkRank(op, 'input', x, 4, 'N, C, H, W');
  requireFloat(op, x);
  const [kh, kw] = intPair(op, 'kernelSize', kernelSize);
  const [sh, sw] = intPair(op, 'stride', opts.stride ?? [kh, kw]);
  const [ph, pw] = intPair(op, 'padding', opts.padding ?? 0, 0);
  const [dh, dw] = intPair(op, 'dilation', opts.dilation ?? 1);
  if (2 * ph > kh || 2 * pw > kw) throw new ArgumentError(`${op}: padding must be at most half the kernel, got padding [${ph}, ${pw}] for kernel [${kh}, ${kw}]`);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const oh = pooledSize(op, h, kh, sh, ph, dh, opts.ceilMode ?? false);
  const ow = pooledSize(op, w, kw, sw, pw, dw, opts.ceilMode ?? false);
  return named(op, () => {
    // Pad so that every tap of every window is in range (ceil mode may need more on the far side).
    const padBottom = Math.max(ph, (oh - 1) * sh + dh * (kh - 1) + 1 - h - ph);
    const padRight = Math.max(pw, (ow - 1) * sw + dw * (kw - 1) + 1 - w - pw);
    const padded = pad(x, [pw, padRight, ph, padBottom], -Infinity);
    const taps: Tensor[] = [];
    const where = new Int32Array(kh * kw * oh * ow);
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        const t = ky * kw + kx;
        taps.push(slice(padded, [null, null, { start: ky * dh, stop: ky * dh + (oh - 1) * sh + 1, step: sh }, { start: kx * dw, stop: kx * dw + (ow - 1) * sw + 1, step: sw }]));
        for (let oy = 0; oy < oh; oy++) {
          for (let ox = 0; ox < ow; ox++) where[(t * oh + oy) * ow + ox] = (oy * sh - ph + ky * dh) * w + (ox * sw - pw + kx * dw);
        }
      }
    }
    const windows = stack(taps, 2); // [N, C, taps, oh, ow]
    const winner = argmax(windows, 2, true);
    const values = squeeze(takeAlongAxis(windows, winner, 2), 2);
    const table = expand(tensor(where, { dtype: 'int32', shape: [1, 1, kh * kw, oh, ow], device: x.device }), [n, c, kh * kw, oh, ow]);
    return { values, indices: squeeze(takeAlongAxis(table, winner, 2), 2) };
  });
}

/**
 * The partial inverse of max pooling: x [N, C, h, w] written at `indices` (from
 * maxPool2dWithIndices) in zero planes of outputSize [H, W]; differentiable in x (where two
 * windows chose one element, their gradient is split between them; PyTorch gives each all of it).
 * @torch torch.nn.functional.max_unpool2d
 */
export function maxUnpool2d(x: Tensor, indices: Tensor, outputSize: Pair): Tensor {
  const op = 'maxUnpool2d';
  checkInputs(op, x, indices);
  checkRank(op, 'input', x, 4, 'N, C, h, w');
  requireIndex(op, indices, 'indices');
  if (indices.shape.join() !== x.shape.join()) throw new ShapeError(`${op}: indices ${fmtShape(indices.shape)} must have the input's shape ${fmtShape(x.shape)}`);
  const [oh, ow] = intPair(op, 'outputSize', outputSize);
  const [n, c] = x.shape as [number, number];
  return named(op, () => {
    const planes = zeros([n, c, oh * ow], { dtype: x.dtype, device: x.device });
    // Overlapping windows may have chosen one element twice: it is written once (scatter, not add).
    return reshape(scatter(planes, 2, reshape(indices, [n, c, -1]), reshape(x, [n, c, -1])), [n, c, oh, ow]);
  });
}

/**
 * Max pooling to a fixed output size with PyTorch's window bounds: window i along an axis of size
 * L covers [⌊iL/o⌋, ⌈(i+1)L/o⌉). @torch torch.nn.functional.adaptive_max_pool2d
 */
export function adaptiveMaxPool2d(x: Tensor, outputSize: Pair): Tensor {
  const op = 'adaptiveMaxPool2d';
  const [oh, ow, h, w] = adaptivePoolSizes(op, x, outputSize);
  return named(op, () => {
    const bounds = (i: number, size: number, out: number) => ({ start: Math.floor((i * size) / out), stop: Math.ceil(((i + 1) * size) / out) });
    // One window per output cell: max over its rows, then its columns.
    const rows = Array.from({ length: oh }, (_, i) => {
      const band = slice(x, [null, null, bounds(i, h, oh)]);
      const cells = Array.from({ length: ow }, (_, j) => flatten(slice(band, [null, null, null, bounds(j, w, ow)]), 2));
      return stack(cells.map((cell) => squeeze(takeAlongAxis(cell, argmax(cell, 2, true), 2), 2)), 2);
    });
    return stack(rows, 2);
  });
}
