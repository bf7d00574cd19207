/**
 * The `layouts` task (LostGAN's setting, notes 003 "Conditional generative models" and "Image to
 * image": LostGANs, an image from a spatial layout): a layout of several digits, each a box and a
 * class, and the canvas drawn from it.
 *
 * A canvas is CANVAS x CANVAS (48 px) and holds OBJECTS (3) digits: canvas j draws digits j, j + 1
 * and j + 2 of the batch (cyclically), each resized (bilinear) to a seeded side of 16-24 px at a
 * seeded place where its square fits, ink combined by the maximum where squares overlap. Its box is
 * that square, (x1, y1, x2, y2) as fractions of the canvas side, so boxes are in [0, 1] whatever
 * the canvas; its class is the digit's label. Record: `{ images [N, 1, 48, 48], boxes [N, 3, 4]
 * (float32), classes [N, 3] (int32) }`; it needs the digits' labels.
 */
import * as T from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { uniforms } from './image-ops.js';

/** The canvas side in pixels. */
export const CANVAS = 48;
/** Digits per canvas. */
export const OBJECTS = 3;
/** A digit's side on the canvas: 16 to 24 px. */
const SIDE = [16, 24] as const;

/** The `layouts` record of digits `x` [N, 1, 28, 28] in [0, 1] with classes `labels` [N], from `seed`. */
export function layoutsRecord(x: Tensor, seed: number, labels: Tensor | undefined): Record<string, Tensor> {
  const n = x.shape[0]!;
  if (!labels || labels.shape.length !== 1 || labels.shape[0] !== n) {
    throw new T.ShapeError(`task layouts: needs the digits' labels [${n}] (each box's class), got ${labels ? T.fmtShape(labels.shape) : 'none'}`);
  }
  const classes = Array.from(labels.dataSync(), Number);
  const u = uniforms(seed, 10, 3 * n * OBJECTS);
  const canvas = new Float32Array(n * CANVAS * CANVAS);
  const boxes = new Float32Array(n * OBJECTS * 4);
  const objectClasses = new Int32Array(n * OBJECTS);
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < OBJECTS; k++) {
      const o = j * OBJECTS + k;
      const digit = (j + k) % n;
      const side = SIDE[0] + Math.floor(u[3 * o]! * (SIDE[1] - SIDE[0] + 1));
      const top = Math.floor(u[3 * o + 1]! * (CANVAS - side + 1));
      const left = Math.floor(u[3 * o + 2]! * (CANVAS - side + 1));
      const tile = T.tidy(() => T.clamp(T.interpolate(T.slice(x, [{ start: digit, stop: digit + 1 }]), { size: [side, side], mode: 'bilinear' }), 0, 1).dataSync());
      for (let r = 0; r < side; r++) {
        for (let c = 0; c < side; c++) {
          const at = j * CANVAS * CANVAS + (top + r) * CANVAS + left + c;
          canvas[at] = Math.max(canvas[at]!, tile[r * side + c]!);
        }
      }
      boxes.set([left / CANVAS, top / CANVAS, (left + side) / CANVAS, (top + side) / CANVAS], 4 * o);
      objectClasses[o] = classes[digit]!;
    }
  }
  return {
    images: T.tensor(canvas, { shape: [n, 1, CANVAS, CANVAS], device: x.device }),
    boxes: T.tensor(boxes, { shape: [n, OBJECTS, 4], device: x.device }),
    classes: T.tensor(objectClasses, { shape: [n, OBJECTS], dtype: 'int32', device: x.device }),
  };
}
