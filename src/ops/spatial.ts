/**
 * Window geometry shared by convolution and pooling: option parsing (numbers or pairs), padding
 * resolution ('same', 'valid', symmetric, asymmetric) and output sizes, with the argument checks
 * that name the op and the shapes before any work is enqueued.
 */
import { ArgumentError, ShapeError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, requireFloat } from './core.js';

/** One number for height and width, or [h, w]. */
export type Pair = number | readonly [number, number];
/** A number (all sides), [vertical, horizontal] or [top, bottom, left, right]. */
export type Padding2d = number | readonly [number, number] | readonly [number, number, number, number];
/** Convolution padding: a Padding2d, 'same' (the output keeps the input's size; stride 1) or 'valid' (none). */
export type ConvPadding = Padding2d | 'same' | 'valid';
export type Quad = [number, number, number, number];

function describe(v: unknown): string {
  return JSON.stringify(v);
}

/** A pair of integers >= `min` (1 for strides, dilations and kernels; 0 for output padding) from a number or a pair. */
export function intPair(op: string, name: string, v: Pair, min = 1): [number, number] {
  const pair: [number, number] | null = typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 ? [v[0], v[1]] : null;
  if (!pair || pair.some((d) => !Number.isInteger(d) || d < min)) {
    const what = min === 1 ? 'a positive integer' : `an integer >= ${min}`;
    throw new ArgumentError(`${op}: ${name} must be ${what} or a pair of them, got ${describe(v)}`);
  }
  return pair;
}

/** Explicit padding as [top, bottom, left, right]; every side a non-negative integer. */
export function explicitPadding(op: string, padding: Padding2d): Quad {
  let quad: Quad;
  if (typeof padding === 'number') quad = [padding, padding, padding, padding];
  else if (Array.isArray(padding) && padding.length === 2) quad = [padding[0], padding[0], padding[1], padding[1]];
  else if (Array.isArray(padding) && padding.length === 4) quad = [padding[0], padding[1], padding[2], padding[3]];
  else throw new ArgumentError(`${op}: padding must be a number, [vertical, horizontal] or [top, bottom, left, right], got ${describe(padding)}`);
  if (quad.some((p) => !Number.isInteger(p) || p < 0)) {
    throw new ArgumentError(`${op}: padding must be non-negative integers, got ${describe(padding)}`);
  }
  return quad;
}

/**
 * Convolution padding. 'same' keeps ceil(size / stride) outputs (TensorFlow's rule, which for
 * stride 1 is PyTorch's), the odd pixel going to the bottom / right as both libraries do.
 */
export function convPadding(
  op: string, padding: ConvPadding, input: readonly [number, number],
  kernel: readonly [number, number], stride: readonly [number, number], dilation: readonly [number, number],
): Quad {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding === 'same') {
    const side = (axis: 0 | 1): [number, number] => {
      const extent = dilation[axis] * (kernel[axis] - 1) + 1;
      const out = Math.ceil(input[axis] / stride[axis]);
      const total = Math.max((out - 1) * stride[axis] + extent - input[axis], 0);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    };
    return [...side(0), ...side(1)];
  }
  return explicitPadding(op, padding);
}

/** floor((size + padding - dilation * (kernel - 1) - 1) / stride) + 1 (PyTorch's formula). */
export function windowOutputSize(size: number, padBefore: number, padAfter: number, kernel: number, stride: number, dilation: number): number {
  return Math.floor((size + padBefore + padAfter - dilation * (kernel - 1) - 1) / stride) + 1;
}

/** Both output sizes of a window op, or a ShapeError when the (dilated) kernel does not fit the padded input. */
export function windowOutput(
  op: string, x: Tensor, kernel: readonly [number, number], stride: readonly [number, number],
  padding: Quad, dilation: readonly [number, number],
): [number, number] {
  const [, , h, w] = x.shape as [number, number, number, number];
  const paddedH = h + padding[0] + padding[1];
  const paddedW = w + padding[2] + padding[3];
  const extentH = dilation[0] * (kernel[0] - 1) + 1;
  const extentW = dilation[1] * (kernel[1] - 1) + 1;
  if (extentH > paddedH || extentW > paddedW) {
    throw new ShapeError(
      `${op}: the kernel (${extentH}x${extentW} with dilation) is larger than the padded input (${paddedH}x${paddedW}: ` +
        `input ${fmtShape(x.shape)}, padding [${padding.join(', ')}])`,
    );
  }
  return [
    windowOutputSize(h, padding[0], padding[1], kernel[0], stride[0], dilation[0]),
    windowOutputSize(w, padding[2], padding[3], kernel[1], stride[1], dilation[1]),
  ];
}

export function checkRank(op: string, name: string, t: Tensor, rank: number, layout: string): void {
  if (t.shape.length !== rank) {
    throw new ShapeError(`${op}: ${name} must be ${rank}-D (${layout}), got shape ${fmtShape(t.shape)}`);
  }
}

export function checkGroups(op: string, groups: number): void {
  if (!Number.isInteger(groups) || groups <= 0) throw new ArgumentError(`${op}: groups must be a positive integer, got ${groups}`);
}

/** Channels of `what` (a count) must split evenly into `groups`. */
export function checkDivisible(op: string, what: string, channels: number, groups: number, shapes: string): void {
  if (channels % groups !== 0) {
    throw new ShapeError(`${op}: groups (${groups}) must divide the ${what} (${channels}); ${shapes}`);
  }
}

/**
 * The checks of an adaptive pool `op` on x [N, C, H, W] (float, non-empty spatial axes) and its
 * sizes: [output H, output W, input H, input W].
 */
export function adaptivePoolSizes(op: string, x: Tensor, outputSize: Pair): [number, number, number, number] {
  checkInputs(op, x);
  checkRank(op, 'input', x, 4, 'N, C, H, W');
  requireFloat(op, x);
  const [oh, ow] = intPair(op, 'outputSize', outputSize);
  const [, , h, w] = x.shape as [number, number, number, number];
  if (h === 0 || w === 0) throw new ShapeError(`${op}: the input ${fmtShape(x.shape)} has an empty spatial axis`);
  return [oh, ow, h, w];
}
