/**
 * The `instances` task (InstaGAN's setting, notes 003 "Image to image: InstaGAN": translation
 * between domains whose objects change shape): 28x28 canvases holding two digits, each with its
 * own instance mask, in two unpaired domains.
 *
 * A canvas: two digits halved to 14x14 (a 2x2 average), one in the left half (columns 0-13) and
 * one in the right (14-27), each at a seeded height (top row 0-14); they never overlap. Instance k's
 * mask is 1 where its 14x14 tile has ink above MASK_INK, at the tile's place, so the masks are
 * disjoint and every inked pixel of the canvas lies in one of them.
 * Domains: a, the halved digits as they are (strokes 1-2 px); b, each halved digit dilated by a
 * 3x3 window (bold, 3-4 px strokes): the objects grow, so a translation must move the masks too.
 * A batch of N digits makes N/2 canvases per domain: domain a pairs digit i of the first half with
 * digit i + 1 (cyclically) of that half, domain b does the same in the second half, so no digit is
 * in both domains.
 */
import * as T from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { dilate, uniforms } from './image-ops.js';

/** Instances per canvas. */
export const INSTANCES = 2;
/** A tile's ink above this is its instance's mask. */
export const MASK_INK = 0.3;
const SIDE = 28;
const TILE = 14;

/**
 * Canvases [M, 1, 28, 28] and their instance masks [M, 2, 28, 28] from M digits [M, 1, 28, 28]:
 * canvas j holds digit j on the left and digit j + 1 (mod M) on the right, each halved and then
 * drawn by `style` ('plain' or 'bold'), at heights drawn from `seed` on Philox stream `stream`.
 */
export function twoDigitCanvases(digits: Tensor, style: 'plain' | 'bold', seed: number, stream: number): { canvas: Tensor; masks: Tensor } {
  const m = digits.shape[0]!;
  const halved = T.avgPool2d(digits, 2);
  const tiles = (style === 'bold' ? dilate(halved, 3) : halved).dataSync();
  const heights = uniforms(seed, stream, INSTANCES * m);
  const canvas = new Float32Array(m * SIDE * SIDE);
  const masks = new Float32Array(m * INSTANCES * SIDE * SIDE);
  for (let j = 0; j < m; j++) {
    for (let k = 0; k < INSTANCES; k++) {
      const digit = (j + k) % m;
      const top = Math.floor(heights[INSTANCES * j + k]! * (SIDE - TILE + 1));
      const left = k * TILE;
      for (let r = 0; r < TILE; r++) {
        for (let c = 0; c < TILE; c++) {
          const v = tiles[(digit * TILE + r) * TILE + c]!;
          const at = (top + r) * SIDE + left + c;
          canvas[j * SIDE * SIDE + at] = v;
          if (v > MASK_INK) masks[(j * INSTANCES + k) * SIDE * SIDE + at] = 1;
        }
      }
    }
  }
  return {
    canvas: T.tensor(canvas, { shape: [m, 1, SIDE, SIDE], device: digits.device }),
    masks: T.tensor(masks, { shape: [m, INSTANCES, SIDE, SIDE], device: digits.device }),
  };
}

/** The `instances` record of a batch of 28x28 digits: `{ a, masksA, b, masksB }`, N/2 canvases per domain. */
export function instancesRecord(x: Tensor, seed: number): Record<string, Tensor> {
  const [n, , h, w] = x.shape as [number, number, number, number];
  if (h !== SIDE || w !== SIDE) throw new T.ShapeError(`task instances: digits must be 28x28, got ${T.fmtShape(x.shape)}`);
  const half = Math.floor(n / 2);
  if (half === 0) throw new T.ShapeError(`task instances: an unpaired batch needs at least 2 images, got ${T.fmtShape(x.shape)}`);
  const plain = twoDigitCanvases(T.slice(x, [{ stop: half }]), 'plain', seed, 8);
  const bold = twoDigitCanvases(T.slice(x, [{ start: half, stop: 2 * half }]), 'bold', seed, 9);
  return { a: plain.canvas, masksA: plain.masks, b: bold.canvas, masksB: bold.masks };
}
