// The CPU backend's im2col + GEMM convolution kernels against the textbook loops they replaced
// (kept in conv.ts as the reference), forward and both gradients, float32 and float64 storage, on
// odd shapes: groups, dilation, asymmetric padding, stride larger than the kernel, uncovered input
// rows (transposed convolution's output padding), padding wider than the kernel, ragged GEMM tiles.
import { describe, expect, it } from 'vitest';
import type { Conv2dArgs, Epilogue } from '../src/backend/backend.js';
import {
  conv2d, conv2dGradInput, conv2dGradWeight, conv2dOutputShape,
  conv2dReference, conv2dGradInputReference, conv2dGradWeightReference,
} from '../src/backend/cpu/conv.js';

type Shape4 = [number, number, number, number];

function random(n: number, seed: number, Type: Float32ArrayConstructor | Float64ArrayConstructor): Float32Array | Float64Array {
  const out = new Type(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number): void {
  expect(actual.length).toBe(expected.length);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  expect(worst).toBeLessThanOrEqual(rtol * Math.max(scale, 1e-30));
}

interface Case {
  name: string; x: Shape4; w: Shape4;
  stride?: [number, number]; padding?: [number, number, number, number]; dilation?: [number, number]; groups?: number;
  /** Extra input rows / columns the convolution never reads (transposed conv's output padding). */
  extra?: [number, number];
}

const CASES: Case[] = [
  { name: 'dcgan D conv 32->64 3x3 s2 p1', x: [2, 32, 28, 28], w: [64, 32, 3, 3], stride: [2, 2], padding: [1, 1, 1, 1] },
  { name: 'dcgan G convT 64->32 4x4 s2 p1 (as conv)', x: [2, 32, 14, 14], w: [64, 32, 4, 4], stride: [2, 2], padding: [1, 1, 1, 1] },
  { name: 'single channel 3x3 p1', x: [3, 1, 9, 7], w: [5, 1, 3, 3], padding: [1, 1, 1, 1] },
  { name: 'groups 3, ragged channels', x: [2, 6, 7, 9], w: [9, 2, 3, 2], groups: 3, padding: [1, 0, 2, 1] },
  { name: 'depthwise', x: [2, 5, 8, 6], w: [5, 1, 3, 3], groups: 5, padding: [1, 1, 1, 1] },
  { name: 'dilation 2x3, asymmetric padding', x: [1, 3, 11, 12], w: [4, 3, 3, 3], dilation: [2, 3], padding: [2, 1, 0, 3] },
  { name: 'stride 3 > kernel 2', x: [2, 2, 10, 11], w: [3, 2, 2, 2], stride: [3, 3] },
  { name: 'stride 2x3, uncovered input rows and columns', x: [2, 3, 9, 9], w: [5, 3, 3, 2], stride: [2, 3], extra: [1, 1] },
  { name: 'padding wider than the kernel', x: [1, 2, 4, 5], w: [3, 2, 2, 3], padding: [3, 2, 4, 1], stride: [2, 1] },
  { name: '1x1 kernel', x: [2, 7, 5, 5], w: [6, 7, 1, 1] },
  { name: 'kernel covers the whole input', x: [3, 4, 5, 6], w: [7, 4, 5, 6] },
];

describe('CPU conv fast path (im2col + GEMM) against the textbook loops', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    const Type = dtype === 'float64' ? Float64Array : Float32Array;
    const rtol = dtype === 'float64' ? 1e-12 : 1e-6;
    for (const c of CASES) {
      it(`${dtype}: ${c.name}`, () => {
        const args: Conv2dArgs = {
          stride: c.stride ?? [1, 1], padding: c.padding ?? [0, 0, 0, 0], dilation: c.dilation ?? [1, 1], groups: c.groups ?? 1,
        };
        const [, , h, wd] = c.x;
        const yShape = conv2dOutputShape(c.x, c.w, args);
        // With `extra`, the input is larger than what yShape's taps read (the same yShape results).
        const xShape: Shape4 = [c.x[0], c.x[1], h + (c.extra?.[0] ?? 0), wd + (c.extra?.[1] ?? 0)];
        expect(conv2dOutputShape(xShape, c.w, args)).toEqual(yShape);
        const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
        const x = random(numel(xShape), 1, Type);
        const w = random(numel(c.w), 2, Type);
        const bias = random(c.w[0], 3, Type);
        const gy = random(numel(yShape), 4, Type);
        for (const epilogue of [undefined, { activation: 'leakyRelu', alpha: 0.2 } as Epilogue]) {
          const ours = new Type(numel(yShape)), ref = new Type(numel(yShape));
          conv2d(x, xShape, w, c.w, bias, args, epilogue, ours);
          conv2dReference(x, xShape, w, c.w, bias, args, epilogue, ref);
          expectClose(ours, ref, rtol);
        }
        const gx = new Type(numel(xShape)), gxRef = new Type(numel(xShape));
        conv2dGradInput(gy, yShape, w, c.w, xShape, args, gx);
        conv2dGradInputReference(gy, yShape, w, c.w, xShape, args, gxRef);
        expectClose(gx, gxRef, rtol);
        const gw = new Type(numel(c.w)), gwRef = new Type(numel(c.w));
        conv2dGradWeight(x, xShape, gy, yShape, c.w, args, gw);
        conv2dGradWeightReference(x, xShape, gy, yShape, c.w, args, gwRef);
        expectClose(gw, gwRef, rtol);
      });
    }
  }
});
