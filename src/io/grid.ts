/** Tiling a batch of images into one 8-bit picture: what the PNG writer and the canvas painter share. */
import { ShapeError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';

/** Options of `imageGrid` and `saveImageGrid`, as `torchvision.utils.make_grid`'s. */
export interface GridOptions {
  /** Images per row (default: ceil(sqrt(N))). */
  nrow?: number;
  /** Pixels between tiles (default 2). */
  padding?: number;
  /** Gray level of the padding, in [0, 1] (default 0, black). */
  padValue?: number;
  /** The value range mapped to black..white (default [0, 1]; use [-1, 1] for tanh outputs). */
  range?: readonly [number, number];
}

/** An 8-bit image made by `imageGrid`: row-major pixels, channels interleaved. */
export interface GridImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** 1 (gray) or 3 (RGB), interleaved. */
  channels: number;
  /** `height * width * channels` bytes, row by row. */
  data: Uint8Array;
}

/** Tile [N, C, H, W] images (C = 1 or 3) into one 8-bit image (reads the tensor). */
export async function imageGrid(images: Tensor, opts: GridOptions = {}): Promise<GridImage> {
  if (images.shape.length !== 4 || (images.shape[1] !== 1 && images.shape[1] !== 3)) {
    throw new ShapeError(`imageGrid: images must be [N, 1 or 3, H, W], got ${fmtShape(images.shape)}`);
  }
  const [n, c, h, w] = images.shape as [number, number, number, number];
  const values = await images.data();
  const nrow = Math.max(1, Math.min(opts.nrow ?? Math.ceil(Math.sqrt(n)), n));
  const ncol = Math.ceil(n / nrow);
  const pad = opts.padding ?? 2;
  const [lo, hi] = opts.range ?? [0, 1];
  const width = nrow * (w + pad) + pad;
  const height = ncol * (h + pad) + pad;
  const data = new Uint8Array(width * height * c).fill(Math.round(Math.min(1, Math.max(0, opts.padValue ?? 0)) * 255));
  for (let i = 0; i < n; i++) {
    const ox = pad + (i % nrow) * (w + pad);
    const oy = pad + Math.floor(i / nrow) * (h + pad);
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const v = (values[((i * c + ch) * h + y) * w + x]! - lo) / (hi - lo);
          data[((oy + y) * width + ox + x) * c + ch] = Math.round(Math.min(1, Math.max(0, v)) * 255);
        }
      }
    }
  }
  return { width, height, channels: c, data };
}
