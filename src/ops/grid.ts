/**
 * Spatial transformers: affineGrid builds sampling coordinates from [N, 2, 3] affine matrices,
 * gridSample reads an image at them. Sampling is composed from gathers and elementwise weights, so
 * it runs on every backend and is differentiable in both the image (the gathers' adjoint scatters)
 * and the grid (through the interpolation weights).
 */
import { ArgumentError, ShapeError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, composite, requireFloat } from './core.js';
import { tensor } from './creation.js';
import { abs, add, cast, clamp, div, eq, floor, ge, le, logicalAnd, mod, mul, round, sub, where } from './elementwise.js';
import { fmod } from './elementwise-extra.js';
import { takeAlongAxis } from './indexing.js';
import { batchedMatmul } from './matmul.js';
import { expand, reshape, slice } from './shapeops.js';
import { checkRank } from './spatial.js';

/** Options of gridSample (torch.nn.functional.grid_sample's). */
export interface GridSampleOptions {
  /** How a sample between pixels is read (default 'bilinear'). */
  mode?: 'bilinear' | 'nearest';
  /** What a sample outside the image reads: 0, the nearest edge pixel, or the image mirrored (default 'zeros'). */
  paddingMode?: 'zeros' | 'border' | 'reflection';
  /** -1 and 1 are the centres of the corner pixels (true) or their outer edges (false, the default). */
  alignCorners?: boolean;
}

/** Grid coordinate in [-1, 1] to pixel coordinate along an axis of `size`. */
function unnormalize(g: Tensor, size: number, alignCorners: boolean): Tensor {
  return alignCorners ? mul(add(g, 1), (size - 1) / 2) : div(sub(mul(add(g, 1), size), 1), 2);
}

/** Mirror a coordinate into [low, high] (PyTorch's reflect_coordinates), then clamp. */
function reflect(x: Tensor, low: number, high: number): Tensor {
  const span = high - low;
  if (span <= 0) return mul(x, 0);
  const d = abs(sub(x, low));
  const extra = fmod(d, span);
  const flips = floor(div(d, span));
  const odd = eq(mod(flips, 2), 1);
  return where(odd, sub(high, extra), add(extra, low));
}

/**
 * Sample input [N, C, H, W] at grid [N, Ho, Wo, 2] (x then y, in [-1, 1]) into [N, C, Ho, Wo],
 * bilinear or nearest, with zeros, border or reflection padding. @torch torch.nn.functional.grid_sample
 */
export function gridSample(input: Tensor, grid: Tensor, opts: GridSampleOptions = {}): Tensor {
  const op = 'gridSample';
  checkInputs(op, input, grid);
  checkRank(op, 'input', input, 4, 'N, C, H, W');
  checkRank(op, 'grid', grid, 4, 'N, Ho, Wo, 2');
  requireFloat(op, input);
  requireFloat(op, grid, 'grid');
  const [n, c, h, w] = input.shape as [number, number, number, number];
  const [gn, ho, wo, two] = grid.shape as [number, number, number, number];
  if (gn !== n || two !== 2) throw new ShapeError(`${op}: grid ${fmtShape(grid.shape)} must be [${n}, Ho, Wo, 2] for input ${fmtShape(input.shape)}`);
  const mode = opts.mode ?? 'bilinear';
  const paddingMode = opts.paddingMode ?? 'zeros';
  if (mode !== 'bilinear' && mode !== 'nearest') throw new ArgumentError(`${op}: mode must be 'bilinear' or 'nearest', got ${JSON.stringify(mode)}`);
  if (!['zeros', 'border', 'reflection'].includes(paddingMode)) throw new ArgumentError(`${op}: paddingMode must be 'zeros', 'border' or 'reflection', got ${JSON.stringify(paddingMode)}`);
  const align = opts.alignCorners ?? false;
  return composite([input, grid], () => {
    const coordinate = (axis: number, size: number) => {
      let p = unnormalize(reshape(slice(grid, [null, null, null, axis]), [n, 1, ho * wo]), size, align);
      if (paddingMode === 'reflection') p = align ? reflect(p, 0, size - 1) : reflect(p, -0.5, size - 0.5);
      if (paddingMode !== 'zeros') p = clamp(p, 0, size - 1);
      return p;
    };
    const px = coordinate(0, w);
    const py = coordinate(1, h);
    const flat = reshape(input, [n, c, h * w]);
    /** Input values at integer pixel (iy, ix), 0 outside the image; [N, C, Ho * Wo]. */
    const at = (iy: Tensor, ix: Tensor) => {
      const inside = logicalAnd(logicalAnd(ge(ix, 0), le(ix, w - 1)), logicalAnd(ge(iy, 0), le(iy, h - 1)));
      const index = cast(add(mul(clamp(iy, 0, h - 1), w), clamp(ix, 0, w - 1)), 'int32');
      const picked = takeAlongAxis(flat, expand(index, [n, c, ho * wo]), 2);
      return where(inside, picked, 0);
    };
    let out: Tensor;
    if (mode === 'nearest') {
      out = at(round(py), round(px));
    } else {
      const x0 = floor(px);
      const y0 = floor(py);
      const fx = sub(px, x0);
      const fy = sub(py, y0);
      const top = add(mul(at(y0, x0), sub(1, fx)), mul(at(y0, add(x0, 1)), fx));
      const bottom = add(mul(at(add(y0, 1), x0), sub(1, fx)), mul(at(add(y0, 1), add(x0, 1)), fx));
      out = add(mul(top, sub(1, fy)), mul(bottom, fy));
    }
    return reshape(out, [n, c, ho, wo]);
  });
}

/**
 * The sampling grid [N, H, W, 2] of the affine maps theta [N, 2, 3] applied to the output pixel
 * centres in [-1, 1] coordinates, for an output of `size` [N, C, H, W]. @torch torch.nn.functional.affine_grid
 */
export function affineGrid(theta: Tensor, size: readonly [number, number, number, number], alignCorners = false): Tensor {
  const op = 'affineGrid';
  checkInputs(op, theta);
  requireFloat(op, theta, 'theta');
  if (!Array.isArray(size) || size.length !== 4 || size.some((d) => !Number.isInteger(d) || d <= 0)) throw new ArgumentError(`${op}: size must be [N, C, H, W] of positive integers, got ${JSON.stringify(size)}`);
  const [n, , h, w] = size;
  if (theta.shape.length !== 3 || theta.shape[0] !== n || theta.shape[1] !== 2 || theta.shape[2] !== 3) {
    throw new ShapeError(`${op}: theta must be [${n}, 2, 3] for size ${JSON.stringify(size)}, got ${fmtShape(theta.shape)}`);
  }
  const coords = (k: number) => Array.from({ length: k }, (_, i) => (k === 1 ? 0 : alignCorners ? -1 + (2 * i) / (k - 1) : (2 * i + 1) / k - 1));
  const xs = coords(w);
  const ys = coords(h);
  const base = new Float64Array(h * w * 3);
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) base.set([xs[j]!, ys[i]!, 1], (i * w + j) * 3);
  return composite([theta], () => {
    const points = tensor(base, { shape: [1, h * w, 3], dtype: theta.dtype, device: theta.device });
    return reshape(batchedMatmul(points, theta, false, true), [n, h, w, 2]);
  });
}
