/** Masks: `maskedFill`, triangular parts (`triu`, `tril`) and the triangular mask behind them. */
import type { DeviceName } from '../backend/backend.js';
import { getDefaultDevice } from '../backend/registry.js';
import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors.js';
import { broadcastShapes, checkShape, shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkInputs } from './core.js';
import { arange, full } from './creation.js';
import { le, logicalNot, sub, where } from './elementwise.js';
import { reshape } from './shapeops.js';

/** x with `value` wherever the bool `mask` (broadcast to x's shape) is true; x's dtype is kept. */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  checkInputs('maskedFill', x, mask);
  if (mask.dtype !== 'bool') throw new DTypeError(`maskedFill: mask must be bool, got ${mask.dtype} with shape ${fmtShape(mask.shape)}`);
  if (!shapesEqual(broadcastShapes('maskedFill', x.shape, mask.shape), x.shape)) {
    throw new ShapeError(`maskedFill: mask ${fmtShape(mask.shape)} does not broadcast to the input's shape ${fmtShape(x.shape)}`);
  }
  return where(mask, full([], value, { dtype: x.dtype, device: x.device }), x);
}

/** A bool [rows, cols] mask, true where col - row <= diagonal (torch.tril of ones). */
export function trilMask(rows: number, cols: number, diagonal = 0, device: DeviceName = getDefaultDevice()): Tensor {
  checkShape('trilMask', 'size', [rows, cols]);
  if (!Number.isInteger(diagonal)) throw new ArgumentError(`trilMask: diagonal must be an integer, got ${diagonal}`);
  const r = reshape(arange(rows, undefined, 1, { device }), [rows, 1]);
  const c = reshape(arange(cols, undefined, 1, { device }), [1, cols]);
  return le(sub(c, r), diagonal);
}

function triangle(op: string, x: Tensor, diagonal: number, upper: boolean): Tensor {
  checkInputs(op, x);
  if (x.shape.length < 2) throw new ShapeError(`${op}: input must have at least 2 dims, got shape ${fmtShape(x.shape)}`);
  const [rows, cols] = x.shape.slice(-2) as [number, number];
  // triu(k) keeps exactly what tril(k - 1) drops.
  const keep = upper ? logicalNot(trilMask(rows, cols, diagonal - 1, x.device)) : trilMask(rows, cols, diagonal, x.device);
  return where(keep, x, full([], 0, { dtype: x.dtype, device: x.device }));
}

/** The lower triangle of the last two dims (col - row <= diagonal); the rest is zero. */
export const tril = (x: Tensor, diagonal = 0): Tensor => triangle('tril', x, diagonal, false);

/** The upper triangle of the last two dims (col - row >= diagonal); the rest is zero. */
export const triu = (x: Tensor, diagonal = 0): Tensor => triangle('triu', x, diagonal, true);
