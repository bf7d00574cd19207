/**
 * The image operations the synthetic translation tasks are made of (models/tasks/index.ts), on
 * grey images [N, 1, H, W] with ink 1 on background 0:
 * - grey-level morphology by pooling: dilation is a max over a k x k window, erosion the min
 *   (a max of the negated image), and a stroke's outline is what dilation adds;
 * - affine warps (shear for slant, rotation) by affineGrid + gridSample, bilinear, zeros outside;
 * - flood fill: the holes of a digit (background not reachable from the border without crossing
 *   ink) by a breadth-first fill from the border on the host.
 * Every random choice (box positions, angles) comes from Philox under the caller's seed, so a
 * task's batch is a pure function of (images, seed) on every device.
 */
import * as T from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { philoxFill, seedToKey } from '../../src/random.js';

/** `count` uniforms in [0, 1) from Philox under `seed`, stream `stream` (one stream per use, so uses do not share draws). */
export function uniforms(seed: number, stream: number, count: number): Float64Array {
  const out = new Float64Array(count);
  philoxFill(out, 'uniform', seedToKey(seed), stream);
  return out;
}

/** Grey-level dilation: the max over each k x k window (k odd), same size. Padded cells never win. */
export function dilate(x: Tensor, k = 3): Tensor {
  return T.maxPool2d(x, k, { stride: 1, padding: (k - 1) / 2 });
}

/** Grey-level erosion: the min over each k x k window, as -max(-x). */
export function erode(x: Tensor, k = 3): Tensor {
  return T.neg(dilate(T.neg(x), k));
}

/**
 * Erosion by the plus-shaped element (the pixel and its 4 neighbours): min of the vertical and
 * the horizontal 3-windows. Gentler than the 3 x 3 square, so a 2-3 px pen stroke thins without
 * vanishing.
 */
export function erodePlus(x: Tensor): Tensor {
  const vertical = T.neg(T.maxPool2d(T.neg(x), [3, 1], { stride: 1, padding: [1, 0] }));
  const horizontal = T.neg(T.maxPool2d(T.neg(x), [1, 3], { stride: 1, padding: [0, 1] }));
  return T.minimum(vertical, horizontal);
}

/** The outer outline of the strokes: what a 3 x 3 dilation adds, dilate(x) - x, in [0, 1]. */
export function outline(x: Tensor): Tensor {
  return T.clamp(T.sub(dilate(x, 3), x), 0, 1);
}

/** Ink 1 -> 0 and background 0 -> 1. */
export function invert(x: Tensor): Tensor {
  return T.sub(1, x);
}

/**
 * x warped by per-image affine maps theta [N, 2, 3] (output grid coordinates in [-1, 1] -> input
 * coordinates, as affineGrid), bilinear, zero outside.
 */
export function warp(x: Tensor, theta: Tensor): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  return T.gridSample(x, T.affineGrid(theta, [n, c, h, w]), { paddingMode: 'zeros' });
}

/**
 * Affine matrices [N, 2, 3] for a horizontal shear by `s[i]`: input x = output x + s·y. With y
 * pointing down, the top rows (y < 0) read from further left, so ink leans right at the top:
 * italic for s > 0.
 */
export function shearMatrices(s: ArrayLike<number>, device: T.DeviceName): Tensor {
  return T.tensor(Array.from(s, (v) => [1, v, 0, 0, 1, 0]).flat(), { shape: [s.length, 2, 3], device });
}

/** Affine matrices [N, 2, 3] rotating the image content by `angle[i]` radians (clockwise on screen for angle > 0). */
export function rotationMatrices(angle: ArrayLike<number>, device: T.DeviceName): Tensor {
  // The output pixel at p reads the input at R(-angle)·p.
  return T.tensor(Array.from(angle, (a) => [Math.cos(a), Math.sin(a), 0, -Math.sin(a), Math.cos(a), 0]).flat(), { shape: [angle.length, 2, 3], device });
}

/**
 * The slant of each image's ink by image moments: cov(col, row) / var(row) with rows counted
 * downwards, so a stroke leaning right at the top has a negative slant (a shear by s adds -s).
 * A detector for the upright/italic task. Images [N, 1, H, W] with non-negative ink; returns [N].
 */
export function slant(x: Tensor): Tensor {
  const [n, , h, w] = x.shape as [number, number, number, number];
  const rows = T.reshape(T.arange(0, h, 1, { device: x.device }), [1, 1, h, 1]);
  const cols = T.reshape(T.arange(0, w, 1, { device: x.device }), [1, 1, 1, w]);
  const mass = T.add(T.sum(x, [1, 2, 3]), 1e-8);
  const mean = (f: Tensor) => T.div(T.sum(T.mul(x, f), [1, 2, 3]), mass);
  const [my, mx] = [mean(rows), mean(cols)];
  const dy = T.sub(rows, T.reshape(my, [n, 1, 1, 1]));
  const dx = T.sub(cols, T.reshape(mx, [n, 1, 1, 1]));
  return T.div(mean(T.mul(dx, dy)), T.add(mean(T.square(dy)), 1e-8));
}

/**
 * The holes of each image [N, 1, H, W] (host): 1 where a pixel is not ink (value <= `threshold`)
 * and cannot be reached from the border through 4-connected non-ink pixels. Ink blocks the fill
 * with 8-connectivity (the usual dual pair), so a loop closed only diagonally still has a hole.
 */
export function holes(x: Tensor, threshold = 0.5): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const pixels = x.dataSync();
  const out = new Float32Array(pixels.length);
  const queue = new Int32Array(h * w);
  const reached = new Uint8Array(h * w);
  for (let img = 0; img < n * c; img++) {
    const base = img * h * w;
    const open = (p: number) => pixels[base + p]! <= threshold;
    reached.fill(0);
    let head = 0;
    let tail = 0;
    const visit = (p: number) => {
      if (!reached[p] && open(p)) {
        reached[p] = 1;
        queue[tail++] = p;
      }
    };
    for (let i = 0; i < h; i++) { visit(i * w); visit(i * w + w - 1); }
    for (let j = 0; j < w; j++) { visit(j); visit((h - 1) * w + j); }
    while (head < tail) {
      const p = queue[head++]!;
      const [i, j] = [Math.floor(p / w), p % w];
      if (i > 0) visit(p - w);
      if (i < h - 1) visit(p + w);
      if (j > 0) visit(p - 1);
      if (j < w - 1) visit(p + 1);
    }
    for (let p = 0; p < h * w; p++) out[base + p] = open(p) && !reached[p] ? 1 : 0;
  }
  return T.tensor(out, { shape: [n, c, h, w], device: x.device });
}
