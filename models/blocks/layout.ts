/**
 * Layout-conditioned pieces of layout-to-image models (LostGAN, models/lostgan.ts): the boxes of a
 * layout as pixel masks, and the object-wise adaptive norm that paints each object's style into
 * the pixels its box covers.
 */
import * as T from '../../src/index.js';
import { nn } from '../../src/index.js';
import type { DeviceName, Tensor } from '../../src/index.js';

/** Box masks [N, K, s, s]: 1 at the pixels of an s x s grid whose centre lies in object k's box (boxes [N, K, 4] as canvas fractions). */
export function boxMasks(boxes: Tensor, side: number): Tensor {
  const [n, k] = boxes.shape as [number, number];
  const b = boxes.dataSync();
  const out = new Float32Array(n * k * side * side);
  for (let o = 0; o < n * k; o++) {
    const [x1, y1, x2, y2] = Array.from(b.slice(4 * o, 4 * o + 4), (v) => v * side);
    for (let r = 0; r < side; r++) for (let c = 0; c < side; c++) {
      if (r + 0.5 >= y1! && r + 0.5 < y2! && c + 0.5 >= x1! && c + 0.5 < x2!) out[(o * side + r) * side + c] = 1;
    }
  }
  return T.tensor(out, { shape: [n, k, side, side], device: boxes.device });
}

/** Object-wise adaptive norm: BN(x) · (1 + γ) + β, γ and β per pixel the mean of the covering objects' W s_k. */
export class ObjectNorm extends nn.Module {
  norm: nn.BatchNorm2d;
  gamma: nn.Linear;
  beta: nn.Linear;

  constructor(channels: number, styleDim: number, device?: DeviceName) {
    super();
    this.norm = new nn.BatchNorm2d(channels, { affine: false, device });
    this.gamma = new nn.Linear(styleDim, channels, { device });
    this.beta = new nn.Linear(styleDim, channels, { device });
  }

  /** x [N, C, h, w]; styles [N, K, S]; masks [N, K, h, w] in {0, 1}. */
  forward(x: Tensor, styles: Tensor, masks: Tensor): Tensor {
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const k = masks.shape[1]!;
    // Each pixel's weights over the objects: 1/(covering count) for each covering box.
    const weights = T.reshape(T.div(masks, T.maximum(T.sum(masks, 1, true), 1)), [n, k, h * w]);
    const map = (layer: nn.Linear) => T.reshape(T.matmul(T.transpose(layer.forward(styles), 1, 2), weights), [n, c, h, w]);
    return T.add(T.mul(this.norm.forward(x), T.add(map(this.gamma), 1)), map(this.beta));
  }
}
