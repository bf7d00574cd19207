/**
 * Diagonals as strided windows: the elements (i, i + offset) of two dims sit at a constant stride
 * (the sum of the two dims' strides), so `diagonal` is one strided copy and `diagEmbed` one strided
 * scatter into zeros, each the other's gradient, exact on every backend.
 */
import { ArgumentError, ShapeError, fmtShape } from '../errors.js';
import { contiguousStrides, normAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, composite } from './core.js';
import { movedim } from './shape-extra.js';
import { gatherWindow, scatterWindow } from './shapeops.js';

function checkOffset(op: string, offset: number): void {
  if (!Number.isInteger(offset)) throw new ArgumentError(`${op}: offset must be an integer, got ${offset}`);
}

/**
 * The diagonal (i, i + offset) of dims `dim1` and `dim2`, appended as the last dim; those two
 * dims are removed. @torch torch.diagonal
 */
export function diagonal(x: Tensor, offset = 0, dim1 = 0, dim2 = 1): Tensor {
  checkInputs('diagonal', x);
  checkOffset('diagonal', offset);
  const a = normAxis('diagonal', dim1, x.shape.length, x.shape);
  const b = normAxis('diagonal', dim2, x.shape.length, x.shape);
  if (a === b) throw new ShapeError(`diagonal: dim1 and dim2 are both axis ${a} of shape ${fmtShape(x.shape)}`);
  const strides = contiguousStrides(x.shape);
  const [sa, sb] = [x.shape[a]!, x.shape[b]!];
  const length = Math.max(0, offset >= 0 ? Math.min(sa, sb - offset) : Math.min(sa + offset, sb));
  const kept = x.shape.map((_, i) => i).filter((i) => i !== a && i !== b);
  const start = length === 0 ? 0 : offset >= 0 ? offset * strides[b]! : -offset * strides[a]!;
  return gatherWindow('diagonal', x, {
    shape: [...kept.map((i) => x.shape[i]!), length],
    strides: [...kept.map((i) => strides[i]!), strides[a]! + strides[b]!],
    offset: start,
  });
}

/**
 * Matrices whose diagonal `offset` holds the last dim of x (the others are zero), placed at dims
 * `dim1`, `dim2` of the result. @torch torch.diag_embed
 */
export function diagEmbed(x: Tensor, offset = 0, dim1 = -2, dim2 = -1): Tensor {
  checkInputs('diagEmbed', x);
  checkOffset('diagEmbed', offset);
  if (x.shape.length === 0) throw new ShapeError('diagEmbed: input must have at least 1 dim, got a scalar');
  const rank = x.shape.length + 1;
  const a = normAxis('diagEmbed', dim1, rank, x.shape);
  const b = normAxis('diagEmbed', dim2, rank, x.shape);
  if (a === b) throw new ShapeError(`diagEmbed: dim1 and dim2 are both axis ${a} of the result (input ${fmtShape(x.shape)})`);
  const n = x.shape[x.shape.length - 1]!;
  const m = n + Math.abs(offset);
  const outShape = [...x.shape.slice(0, -1), m, m];
  const strides = contiguousStrides(outShape);
  return composite([x], () => {
    const embedded = scatterWindow('diagEmbed', x, outShape, {
      shape: [...x.shape],
      strides: [...strides.slice(0, -2), m + 1],
      offset: offset >= 0 ? offset : -offset * m,
    }, 0);
    return a === rank - 2 && b === rank - 1 ? embedded : movedim(embedded, [rank - 2, rank - 1], [a, b]);
  });
}

/** A 1-D input becomes the diagonal `offset` of a square matrix; a 2-D input gives its diagonal. @torch torch.diag */
export function diag(x: Tensor, offset = 0): Tensor {
  checkInputs('diag', x);
  if (x.shape.length === 1) return diagEmbed(x, offset);
  if (x.shape.length === 2) return diagonal(x, offset);
  throw new ShapeError(`diag: input must be 1-D or 2-D, got shape ${fmtShape(x.shape)}`);
}
