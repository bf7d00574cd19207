/**
 * Resampling: nearest and bilinear interpolation, adaptive average pooling's matrices, reflect
 * and replicate padding, and pixel (un)shuffle.
 *
 * Every resampling here is separable and linear: along each spatial axis the output is a small
 * [out, in] matrix times the input. Those matrices are built on the host and applied with the
 * matmul primitive, which makes each op exact on both backends and differentiable to any order
 * (the backward is the transposed matrix product) without a kernel of its own. The cost is
 * O(in) per output instead of O(1), negligible at the image sizes these ops see.
 */
import { ArgumentError, ShapeError, fmtShape } from '../errors.js';
import { numel } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, composite, requireFloat } from './core.js';
import { tensor } from './creation.js';
import { batchedMatmul } from './matmul.js';
import { permute, reshape } from './shapeops.js';

/** An [out, in] linear map along one axis, row-major, in float64 (rounded once on upload). */
export interface AxisMap {
  out: number;
  in: number;
  weights: Float64Array;
}

function axisMap(out: number, size: number, row: (o: number, weights: Float64Array, base: number) => void): AxisMap {
  const weights = new Float64Array(out * size);
  for (let o = 0; o < out; o++) row(o, weights, o * size);
  return { out, in: size, weights };
}

/** Applies `map` along `axis` of x: x viewed as [outer, in, inner] is left-multiplied by the map. */
export function applyAxisMap(x: Tensor, axis: number, map: AxisMap): Tensor {
  const outer = numel(x.shape.slice(0, axis));
  const inner = numel(x.shape.slice(axis + 1));
  const shape = [...x.shape];
  shape[axis] = map.out;
  return composite([x], () => {
    const matrix = tensor(map.weights, { shape: [1, map.out, map.in], dtype: x.dtype, device: x.device });
    // On the last axis one big product serves every row: [outer, in] @ map^T.
    const product = inner === 1
      ? batchedMatmul(reshape(x, [1, outer, map.in]), matrix, false, true)
      : batchedMatmul(matrix, reshape(x, [outer, map.in, inner]), false, false);
    return reshape(product, shape);
  });
}

// ---- the maps ----

/** Row o averages input cells [floor(o * in / out), ceil((o + 1) * in / out)) (PyTorch's adaptive pooling). */
export function adaptiveAverageMap(size: number, out: number): AxisMap {
  return axisMap(out, size, (o, w, base) => {
    const start = Math.floor((o * size) / out);
    const end = Math.ceil(((o + 1) * size) / out);
    for (let i = start; i < end; i++) w[base + i] = 1 / (end - start);
  });
}

/** PyTorch's 'nearest': source floor(o * scale), scale = in / out or 1 / scaleFactor when one was given. */
function nearestMap(size: number, out: number, scale: number): AxisMap {
  return axisMap(out, size, (o, w, base) => {
    w[base + Math.min(Math.floor(o * scale), size - 1)] = 1;
  });
}

/** Linear interpolation weights along one axis (half-pixel centres, or corners aligned). */
function linearMap(size: number, out: number, scale: number, alignCorners: boolean): AxisMap {
  return axisMap(out, size, (o, w, base) => {
    const source = alignCorners
      ? (out > 1 ? (o * (size - 1)) / (out - 1) : 0)
      : Math.max((o + 0.5) * scale - 0.5, 0);
    const i0 = Math.min(Math.floor(source), size - 1);
    const i1 = Math.min(i0 + 1, size - 1);
    const frac = source - i0;
    w[base + i0]! += 1 - frac;
    w[base + i1]! += frac;
  });
}

/** PyTorch's 'nearest-exact': source floor((o + 0.5) * scale), the pixel whose centre is nearest. */
function nearestExactMap(size: number, out: number, scale: number): AxisMap {
  return axisMap(out, size, (o, w, base) => {
    w[base + Math.min(Math.floor((o + 0.5) * scale), size - 1)] = 1;
  });
}

const CUBIC_A = -0.75;

/** Keys' cubic convolution weights of the four taps around a fractional offset t in [0, 1). */
function cubicWeights(t: number): [number, number, number, number] {
  const near = (d: number) => ((CUBIC_A + 2) * d - (CUBIC_A + 3)) * d * d + 1;
  const far = (d: number) => ((CUBIC_A * d - 5 * CUBIC_A) * d + 8 * CUBIC_A) * d - 4 * CUBIC_A;
  return [far(t + 1), near(t), near(1 - t), far(2 - t)];
}

/** Bicubic along one axis, as PyTorch: unclamped half-pixel source, taps outside repeat the edge. */
function cubicMap(size: number, out: number, scale: number, alignCorners: boolean): AxisMap {
  return axisMap(out, size, (o, w, base) => {
    const source = alignCorners ? (out > 1 ? (o * (size - 1)) / (out - 1) : 0) : (o + 0.5) * scale - 0.5;
    const i0 = Math.floor(source);
    cubicWeights(source - i0).forEach((weight, k) => {
      w[base + Math.min(Math.max(i0 - 1 + k, 0), size - 1)]! += weight;
    });
  });
}

/**
 * Border modes of `pad` and padded convolutions: mirror without repeating the edge ('reflect'),
 * repeat the edge ('replicate'), or wrap around ('circular'), as PyTorch's.
 */
export type PadMode = 'reflect' | 'replicate' | 'circular';

/** Output j reads input j - before, mirrored (without repeating the edge), clamped, or wrapped around at the borders. */
export function padMap(size: number, before: number, after: number, mode: PadMode): AxisMap {
  return axisMap(size + before + after, size, (j, w, base) => {
    let i = j - before;
    if (mode === 'replicate') i = Math.min(Math.max(i, 0), size - 1);
    else if (mode === 'circular') i = ((i % size) + size) % size;
    else i = i < 0 ? -i : i >= size ? 2 * (size - 1) - i : i;
    w[base + i] = 1;
  });
}

// ---- ops ----

/** Resampling modes of `interpolate`, as `torch.nn.functional.interpolate`'s `mode`. */
export type InterpolateMode = 'nearest' | 'nearest-exact' | 'linear' | 'bilinear' | 'bicubic' | 'area';
const MODES: readonly string[] = ['nearest', 'nearest-exact', 'linear', 'bilinear', 'bicubic', 'area'];
const ALIGNABLE: readonly string[] = ['linear', 'bilinear', 'bicubic'];

/**
 * Options of `interpolate`: an output `size` or a `scaleFactor`, the mode, and `alignCorners` for
 * the linear modes.
 */
export interface InterpolateOptions {
  /** Output spatial size (a number for every spatial axis, or one per axis). */
  size?: number | readonly number[];
  /** Multiplier of every spatial size (output = floor(input * scaleFactor)). */
  scaleFactor?: number | readonly number[];
  /**
   * 'nearest' (PyTorch's legacy floor rule), 'nearest-exact' (pixel centres), 'linear' /
   * 'bilinear', 'bicubic' (Keys' cubic convolution, a = -0.75, edge pixels repeated) or 'area'
   * (adaptive average pooling).
   */
  mode?: InterpolateMode;
  /** linear and bicubic only: map the corner pixels' centres onto each other (PyTorch's align_corners). */
  alignCorners?: boolean;
}

function perAxis(op: string, name: string, v: number | readonly number[], axes: number): number[] {
  const list = typeof v === 'number' ? new Array<number>(axes).fill(v) : [...v];
  if (list.length !== axes || list.some((d) => !(d > 0) || !Number.isFinite(d))) {
    throw new ArgumentError(`${op}: ${name} must be a positive number or ${axes} of them, got ${JSON.stringify(v)}`);
  }
  return list;
}

/**
 * Resize the spatial axes of x [N, C, H, W] (or [N, C, L]) up or down, as torch.nn.functional.interpolate
 * with mode 'nearest' or 'bilinear' ('linear' on a 3-D input), without antialiasing.
 */
export function interpolate(x: Tensor, opts: InterpolateOptions): Tensor {
  const op = 'interpolate';
  checkInputs(op, x);
  requireFloat(op, x);
  if (x.shape.length !== 3 && x.shape.length !== 4) throw new ShapeError(`${op}: input must be [N, C, L] or [N, C, H, W], got ${fmtShape(x.shape)}`);
  const mode = opts.mode ?? 'nearest';
  if ((opts.size === undefined) === (opts.scaleFactor === undefined)) {
    throw new ArgumentError(`${op}: give exactly one of size and scaleFactor`);
  }
  if (!MODES.includes(mode)) throw new ArgumentError(`${op}: mode must be one of ${MODES.join(', ')}, got ${JSON.stringify(mode)} (input ${fmtShape(x.shape)})`);
  if (opts.alignCorners !== undefined && !ALIGNABLE.includes(mode)) {
    throw new ArgumentError(`${op}: alignCorners only applies to modes ${ALIGNABLE.join(', ')}, not '${mode}'`);
  }
  const spatial = x.shape.slice(2);
  const factors = opts.scaleFactor === undefined ? null : perAxis(op, 'scaleFactor', opts.scaleFactor, spatial.length);
  const sizes = factors ? spatial.map((s, i) => Math.floor(s * factors[i]!)) : perAxis(op, 'size', opts.size!, spatial.length);
  if (sizes.some((s) => !Number.isInteger(s) || s <= 0)) {
    throw new ShapeError(`${op}: output size ${fmtShape(sizes)} must be positive integers (input ${fmtShape(x.shape)})`);
  }
  const maps = spatial.map((size, i) => {
    const out = sizes[i]!;
    const scale = factors ? 1 / factors[i]! : size / out;
    const align = opts.alignCorners ?? false;
    switch (mode) {
      case 'nearest': return nearestMap(size, out, scale);
      case 'nearest-exact': return nearestExactMap(size, out, scale);
      case 'bicubic': return cubicMap(size, out, scale, align);
      case 'area': return adaptiveAverageMap(size, out);
      default: return linearMap(size, out, scale, align);
    }
  });
  return composite([x], () => maps.reduce((y, map, i) => applyAxisMap(y, 2 + i, map), x));
}

/** [N, C * r^2, H, W] -> [N, C, H * r, W * r], as torch.nn.PixelShuffle. */
export function pixelShuffle(x: Tensor, upscaleFactor: number): Tensor {
  const op = 'pixelShuffle';
  checkInputs(op, x);
  const r = upscaleFactor;
  if (!Number.isInteger(r) || r <= 0) throw new ArgumentError(`${op}: upscaleFactor must be a positive integer, got ${r}`);
  if (x.shape.length !== 4 || x.shape[1]! % (r * r) !== 0) {
    throw new ShapeError(`${op}: input must be [N, C * ${r * r}, H, W], got ${fmtShape(x.shape)}`);
  }
  const [n, c, h, w] = x.shape as [number, number, number, number];
  return composite([x], () => reshape(permute(reshape(x, [n, c / (r * r), r, r, h, w]), [0, 1, 4, 2, 5, 3]), [n, c / (r * r), h * r, w * r]));
}

/** [N, C, H * r, W * r] -> [N, C * r^2, H, W], the inverse of pixelShuffle. */
export function pixelUnshuffle(x: Tensor, downscaleFactor: number): Tensor {
  const op = 'pixelUnshuffle';
  checkInputs(op, x);
  const r = downscaleFactor;
  if (!Number.isInteger(r) || r <= 0) throw new ArgumentError(`${op}: downscaleFactor must be a positive integer, got ${r}`);
  if (x.shape.length !== 4 || x.shape[2]! % r !== 0 || x.shape[3]! % r !== 0) {
    throw new ShapeError(`${op}: input must be [N, C, H * ${r}, W * ${r}], got ${fmtShape(x.shape)}`);
  }
  const [n, c, h, w] = x.shape as [number, number, number, number];
  return composite([x], () => reshape(permute(reshape(x, [n, c, h / r, r, w / r, r]), [0, 1, 3, 5, 2, 4]), [n, c * r * r, h / r, w / r]));
}

/**
 * Reflect or replicate padding, pads in torch.nn.functional.pad's order (last axis first:
 * [left, right, top, bottom, ...]); already checked by `pad`. Reflection needs each pad below the
 * axis size, as in PyTorch.
 */
export function padSeparable(x: Tensor, pads: readonly number[], mode: PadMode): Tensor {
  if (mode !== 'reflect' && mode !== 'replicate' && mode !== 'circular') {
    throw new ArgumentError(`pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got ${JSON.stringify(mode)}`);
  }
  requireFloat('pad', x);
  const maps: [number, AxisMap][] = [];
  for (let i = 0; i < pads.length / 2; i++) {
    const axis = x.shape.length - 1 - i;
    const [before, after] = [pads[2 * i]!, pads[2 * i + 1]!];
    if (before === 0 && after === 0) continue;
    const size = x.shape[axis]!;
    // Reflection needs each pad below the axis size, wrapping each pad at most the size (as PyTorch).
    const bad = mode === 'reflect' ? before >= size || after >= size : mode === 'circular' ? before > size || after > size || size === 0 : size === 0;
    if (bad) {
      const need = mode === 'reflect' ? 'each pad below the' : mode === 'circular' ? 'each pad at most the' : 'a non-empty';
      throw new ShapeError(`pad: ${mode} padding [${before}, ${after}] of axis ${axis} needs ${need} axis (size ${size}, input ${fmtShape(x.shape)})`);
    }
    maps.push([axis, padMap(size, before, after, mode)]);
  }
  return composite([x], () => maps.reduce((y, [axis, map]) => applyAxisMap(y, axis, map), x));
}
