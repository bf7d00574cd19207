/**
 * RoI Align (He et al., 2017, Mask R-CNN) with torchvision's semantics: each output bin averages
 * bilinear samples on a regular grid inside its box. The sample positions and bilinear weights
 * depend only on the boxes, so they are computed on the host; the values are then one gather of
 * the input (indexSelect) times those weights, summed per bin, which runs on every backend and is
 * differentiable with respect to the input (not the boxes, as in torchvision).
 */
import { ArgumentError, ShapeError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, composite, readSync, requireFloat } from './core.js';
import { tensor } from './creation.js';
import { mul } from './elementwise.js';
import { indexSelect } from './indexing.js';
import { sum } from './reduce.js';
import { permute, reshape } from './shapeops.js';
import { intPair, type Pair } from './spatial.js';

/** Options of roiAlign (torchvision.ops.roi_align's). */
export interface RoiAlignOptions {
  /** Scale from box coordinates to input pixels (1 / the feature stride). */
  spatialScale?: number;
  /** Samples per bin along each axis; <= 0: ceil(box size / bins), per box (adaptive). */
  samplingRatio?: number;
  /** Shift box corners by -0.5 pixel so that pixel centres sit at integer + 0.5 (Detectron2's fix). */
  aligned?: boolean;
}

/** Boxes as [batch index, x1, y1, x2, y2] rows from a [K, 5] tensor or a list of per-image [L, 4] tensors. */
function boxRows(op: string, boxes: Tensor | readonly Tensor[]): number[][] {
  const list = Array.isArray(boxes) ? boxes : [boxes as Tensor];
  const per = Array.isArray(boxes);
  const out: number[][] = [];
  list.forEach((b, image) => {
    checkInputs(op, b);
    const width = per ? 4 : 5;
    if (b.shape.length !== 2 || b.shape[1] !== width) throw new ShapeError(`${op}: boxes must be [K, 5] (batch index, x1, y1, x2, y2) or a list of [L, 4] per image, got ${fmtShape(b.shape)}`);
    const v = Array.from(readSync(b, `${op} (boxes: pass a CPU tensor)`), Number);
    for (let r = 0; r < b.shape[0]!; r++) out.push(per ? [image, ...v.slice(r * 4, r * 4 + 4)] : v.slice(r * 5, r * 5 + 5));
  });
  return out;
}

/** torchvision's bilinear taps at (y, x): [flat index in H * W, weight] x 4, or none outside [-1, H] x [-1, W]. */
function taps(y: number, x: number, h: number, w: number): [number, number][] {
  if (y < -1 || y > h || x < -1 || x > w) return [];
  y = Math.max(y, 0);
  x = Math.max(x, 0);
  let [y0, x0] = [Math.floor(y), Math.floor(x)];
  let y1 = y0 + 1;
  let x1 = x0 + 1;
  if (y0 >= h - 1) [y0, y1, y] = [h - 1, h - 1, h - 1];
  if (x0 >= w - 1) [x0, x1, x] = [w - 1, w - 1, w - 1];
  const [ly, lx] = [y - y0, x - x0];
  return [[y0 * w + x0, (1 - ly) * (1 - lx)], [y0 * w + x1, (1 - ly) * lx], [y1 * w + x0, ly * (1 - lx)], [y1 * w + x1, ly * lx]];
}

/**
 * Features [K, C, ph, pw] of input [N, C, H, W] pooled over K boxes ([K, 5] rows (batch index,
 * x1, y1, x2, y2), or per-image [L, 4] tensors), as torchvision.ops.roi_align. @torch torchvision.ops.roi_align
 */
export function roiAlign(input: Tensor, boxes: Tensor | readonly Tensor[], outputSize: Pair, opts: RoiAlignOptions = {}): Tensor {
  const op = 'roiAlign';
  checkInputs(op, input);
  requireFloat(op, input);
  if (input.shape.length !== 4) throw new ShapeError(`${op}: input must be [N, C, H, W], got ${fmtShape(input.shape)}`);
  const [n, c, h, w] = input.shape as [number, number, number, number];
  const [ph, pw] = intPair(op, 'outputSize', outputSize);
  const { spatialScale = 1, samplingRatio = -1, aligned = false } = opts;
  if (!(spatialScale > 0) || !Number.isInteger(samplingRatio)) throw new ArgumentError(`${op}: spatialScale must be positive and samplingRatio an integer, got ${spatialScale} and ${samplingRatio}`);
  const rows = boxRows(op, boxes);
  const bins: [number, number][][] = [];
  rows.forEach(([b, ...corners], k) => {
    if (!Number.isInteger(b) || b! < 0 || b! >= n) throw new ArgumentError(`${op}: box ${k} has batch index ${b}, outside [0, ${n}) for input ${fmtShape(input.shape)}`);
    const off = aligned ? 0.5 : 0;
    const [x1, y1, x2, y2] = corners.map((v) => v * spatialScale - off) as [number, number, number, number];
    const [rw, rh] = aligned ? [x2 - x1, y2 - y1] : [Math.max(x2 - x1, 1), Math.max(y2 - y1, 1)];
    const [bh, bw] = [rh / ph, rw / pw];
    const gh = samplingRatio > 0 ? samplingRatio : Math.ceil(rh / ph);
    const gw = samplingRatio > 0 ? samplingRatio : Math.ceil(rw / pw);
    const count = Math.max(gh * gw, 1);
    for (let i = 0; i < ph; i++) {
      for (let j = 0; j < pw; j++) {
        const bin: [number, number][] = [];
        for (let iy = 0; iy < gh; iy++) {
          for (let ix = 0; ix < gw; ix++) {
            const y = y1 + i * bh + ((iy + 0.5) * bh) / gh;
            const x = x1 + j * bw + ((ix + 0.5) * bw) / gw;
            for (const [at, weight] of taps(y, x, h, w)) bin.push([b! * h * w + at, weight / count]);
          }
        }
        bins.push(bin);
      }
    }
  });
  // Every bin padded to the same number of taps (weight 0 at index 0), so one gather serves all.
  const width = Math.max(1, ...bins.map((b) => b.length));
  const index = new Int32Array(bins.length * width);
  const weights = new Float64Array(bins.length * width);
  bins.forEach((bin, q) => bin.forEach(([at, weight], t) => {
    index[q * width + t] = at;
    weights[q * width + t] = weight;
  }));
  const k = rows.length;
  return composite([input], () => {
    const planes = reshape(permute(input, [1, 0, 2, 3]), [c, n * h * w]);
    const gathered = indexSelect(planes, 1, tensor(index, { shape: [index.length], dtype: 'int32', device: input.device }));
    const weighted = mul(gathered, tensor(weights, { shape: [weights.length], dtype: input.dtype, device: input.device }));
    return permute(sum(reshape(weighted, [c, k, ph, pw, width]), -1), [1, 0, 2, 3]);
  });
}
