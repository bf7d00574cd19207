/**
 * Image augmentations as batched tensor ops on the images' device, for the self-supervised
 * encoders (notes 004 §1.1: "두 개 이상의 무작위 변환"; docs/models.md "Representation learning").
 * Every random number comes from the global generator (`T.rand`), so a seed (`T.manualSeed`, which
 * `genlab train` sets before every step) fixes the views on every backend.
 *
 * One call draws, per image: a random resized crop composed with a small rotation and shear into
 * one affine map (affineGrid + gridSample, zeros outside: the digits' background), an intensity
 * jitter (contrast and brightness), a Gaussian blur (a fixed 5x5 conv, applied with a probability)
 * and a random erasing (a rectangle set to 0, with a probability). Images are in [0, 1].
 */
import * as T from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

export interface AugmentOptions {
  /** Side of the output views (the crop is resampled to it). */
  size: number;
  /** Area of the crop as a fraction of the image, [min, max]. */
  scale: readonly [number, number];
  /** Aspect ratio of the crop, [min, max], drawn log-uniformly. */
  ratio: readonly [number, number];
  /** Largest rotation either way, in degrees. */
  rotate: number;
  /** Largest horizontal shear either way (x += shear * y). */
  shear: number;
  /** Contrast factor range and largest brightness shift either way. */
  contrast: readonly [number, number];
  brightness: number;
  /** Probabilities of the blur and of the erasing. */
  blur: number;
  erase: number;
}

/** Views at full size: crops of half the image or more, as SimCLR's crops for 28x28 digits. */
export const GLOBAL_VIEW: AugmentOptions = {
  size: 28, scale: [0.4, 1], ratio: [3 / 4, 4 / 3], rotate: 15, shear: 0.2, contrast: [0.6, 1.4], brightness: 0.1, blur: 0.3, erase: 0.25,
};

/** DINO's local views: small crops at half the side. */
export const LOCAL_VIEW: AugmentOptions = { ...GLOBAL_VIEW, size: 14, scale: [0.15, 0.4], erase: 0 };

/** Column `i` of u [N, k] as [N]. */
const column = (u: Tensor, i: number) => T.reshape(T.slice(u, [null, { start: i, stop: i + 1 }]), [u.shape[0]!]);
const uniform = (u: Tensor, lo: number, hi: number) => T.add(T.mul(u, hi - lo), lo);

/**
 * The affine maps [N, 2, 3] from output to input coordinates: R(θ) · Shear(k) · diag(sx, sy) plus
 * a shift that keeps the unrotated crop inside the image. sx·sy is the crop's area (in units of
 * the image's), sx / sy its aspect ratio.
 */
export function cropMaps(u: Tensor, opts: AugmentOptions): Tensor {
  const area = uniform(column(u, 0), opts.scale[0], opts.scale[1]);
  const logRatio = uniform(column(u, 1), Math.log(opts.ratio[0]), Math.log(opts.ratio[1]));
  const sx = T.clamp(T.sqrt(T.mul(area, T.exp(logRatio))), 0, 1);
  const sy = T.clamp(T.sqrt(T.div(area, T.exp(logRatio))), 0, 1);
  const tx = T.mul(uniform(column(u, 2), -1, 1), T.sub(1, sx));
  const ty = T.mul(uniform(column(u, 3), -1, 1), T.sub(1, sy));
  const angle = uniform(column(u, 4), (-opts.rotate * Math.PI) / 180, (opts.rotate * Math.PI) / 180);
  const k = uniform(column(u, 5), -opts.shear, opts.shear);
  const [c, s] = [T.cos(angle), T.sin(angle)];
  // R · Shear = [[c, c k - s], [s, s k + c]], then each column scaled by the crop's sides.
  const entries = [T.mul(c, sx), T.mul(T.sub(T.mul(c, k), s), sy), tx, T.mul(s, sx), T.mul(T.add(T.mul(s, k), c), sy), ty];
  return T.reshape(T.stack(entries, 1), [u.shape[0]!, 2, 3]);
}

/** The normalised 5x5 Gaussian of σ = 1, as a conv weight [1, 1, 5, 5]. */
function gaussianKernel(device: Tensor['device'], dtype: Tensor['dtype']): Tensor {
  const g = [-2, -1, 0, 1, 2].map((d) => Math.exp(-(d * d) / 2));
  const total = g.reduce((a, b) => a + b, 0) ** 2;
  return T.tensor(g.flatMap((a) => g.map((b) => (a * b) / total)), { shape: [1, 1, 5, 5], device, dtype });
}

/** Per-image mask [N, 1, 1, 1] that is true with probability p. */
const chance = (u: Tensor, p: number) => T.reshape(T.lt(u, p), [u.shape[0]!, 1, 1, 1]);

/** Sets a random rectangle (2-15% of the image, aspect 0.3-3.3, anywhere) to 0 in the images whose mask is set. */
function erase(x: Tensor, u: Tensor, apply: Tensor): Tensor {
  const [n, , h, w] = x.shape as [number, number, number, number];
  const area = uniform(column(u, 0), 0.02, 0.15);
  const ratio = T.exp(uniform(column(u, 1), Math.log(0.3), Math.log(3.3)));
  const eh = T.clamp(T.mul(T.sqrt(T.mul(area, ratio)), h), 1, h);
  const ew = T.clamp(T.mul(T.sqrt(T.div(area, ratio)), w), 1, w);
  const y0 = T.reshape(T.mul(column(u, 2), T.sub(h, eh)), [n, 1, 1, 1]);
  const x0 = T.reshape(T.mul(column(u, 3), T.sub(w, ew)), [n, 1, 1, 1]);
  const ys = T.reshape(T.arange(0, h, 1, { device: x.device, dtype: x.dtype }), [1, 1, h, 1]);
  const xs = T.reshape(T.arange(0, w, 1, { device: x.device, dtype: x.dtype }), [1, 1, 1, w]);
  const inY = T.logicalAnd(T.ge(ys, y0), T.lt(ys, T.add(y0, T.reshape(eh, [n, 1, 1, 1]))));
  const inX = T.logicalAnd(T.ge(xs, x0), T.lt(xs, T.add(x0, T.reshape(ew, [n, 1, 1, 1]))));
  return T.where(T.logicalAnd(T.logicalAnd(inY, inX), apply), 0, x);
}

/** One random view of each image x [N, C, H, W] in [0, 1]: [N, C, size, size] in [0, 1]. */
export function augment(x: Tensor, opts: AugmentOptions = GLOBAL_VIEW): Tensor {
  return T.tidy(() => {
    const [n, c] = x.shape as [number, number];
    const u = T.rand([n, 16], { device: x.device, dtype: x.dtype });
    const grid = T.affineGrid(cropMaps(u, opts), [n, c, opts.size, opts.size]);
    let v = T.gridSample(x, grid, { mode: 'bilinear', paddingMode: 'zeros' });
    const contrast = T.reshape(uniform(column(u, 6), opts.contrast[0], opts.contrast[1]), [n, 1, 1, 1]);
    const shift = T.reshape(uniform(column(u, 7), -opts.brightness, opts.brightness), [n, 1, 1, 1]);
    v = T.clamp(T.add(T.mul(v, contrast), shift), 0, 1);
    if (opts.blur > 0) {
      const kernel = T.expand(gaussianKernel(x.device, x.dtype), [c, 1, 5, 5]);
      v = T.where(chance(column(u, 8), opts.blur), T.conv2d(v, kernel, null, { padding: 2, groups: c }), v);
    }
    if (opts.erase > 0) v = erase(v, T.slice(u, [null, { start: 10, stop: 14 }]), chance(column(u, 9), opts.erase));
    return v;
  });
}

/** SimCLR's and MoCo's pair: two independent views of every image. */
export function twoViews(x: Tensor, opts: AugmentOptions = GLOBAL_VIEW): [Tensor, Tensor] {
  return [augment(x, opts), augment(x, opts)];
}

/** DINO's multi-crop: two global views and `locals` local ones of every image. */
export function multiCrop(x: Tensor, locals: number, global: AugmentOptions = GLOBAL_VIEW, local: AugmentOptions = LOCAL_VIEW): { global: Tensor[]; local: Tensor[] } {
  return { global: twoViews(x, global), local: Array.from({ length: locals }, () => augment(x, local)) };
}

/**
 * The training grid of an encoder: in rows of 8, a row of images, then a row of one view of each,
 * then a row of another view, and so on down; `n` images in all (views resized to the images').
 */
export function viewsGrid(x: Tensor, view: (x: Tensor) => Tensor): Tensor {
  return T.tidy(() => {
    const n = x.shape[0]!;
    const size = x.shape.slice(2) as [number, number];
    const fit = (v: Tensor) => (v.shape[2] === size[0] ? v : T.interpolate(v, { size, mode: 'bilinear' }));
    const all = T.cat([x, fit(view(x)), fit(view(x))], 0);
    const index = Array.from({ length: n }, (_, i) => {
      const row = Math.floor(i / 8);
      return (row % 3) * n + Math.floor(row / 3) * 8 + (i % 8);
    });
    return T.indexSelect(all, 0, T.tensor(index, { shape: [n], dtype: 'int32', device: x.device }));
  });
}
