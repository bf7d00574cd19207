/**
 * Shape arithmetic and argument checks. Every ShapeError of the library is born here, so the
 * messages share one format: `<op>: <argument> ... <shapes>`.
 */
import { ArgumentError, ShapeError, fmtShape } from './errors.js';

export type Shape = readonly number[];

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C-contiguous) strides in elements. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/** Strides that read a dense tensor of `shape` broadcast (NumPy rules) to `outShape`: 0 on broadcast dims. */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const own = contiguousStrides(shape);
  const lead = outShape.length - shape.length;
  return outShape.map((_, d) => (d < lead || shape[d - lead] === 1 ? 0 : own[d - lead]!));
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** NumPy broadcasting of any number of shapes. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i]!;
      if (d === 1) continue;
      if (out[o] === 1) out[o] = d;
      else if (out[o] !== d) {
        throw new ShapeError(
          `${op}: shapes ${shapes.map(fmtShape).join(' and ')} cannot be broadcast together (dimension ${o - rank} is ${out[o]} vs ${d})`,
        );
      }
    }
  }
  return out;
}

/** Normalise a possibly negative axis, naming the op and shape on failure. */
export function normAxis(op: string, axis: number, rank: number, shape?: Shape): number {
  if (!Number.isInteger(axis)) throw new ArgumentError(`${op}: axis must be an integer, got ${axis}`);
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) {
    const where = shape ? ` of a tensor with shape ${fmtShape(shape)}` : ` for rank ${rank}`;
    throw new ShapeError(`${op}: axis ${axis} is out of range${where} (valid: ${-rank}..${rank - 1})`);
  }
  return a;
}

/** Sorted unique axes; `undefined` means all axes. */
/** A list argument (a shape, axes, pads) must be an array of numbers; anything else is an ArgumentError naming it. */
export function requireNumberList(op: string, arg: string, list: unknown): asserts list is readonly number[] {
  if (!Array.isArray(list) || !list.every((v) => typeof v === 'number')) {
    const got = list === null ? 'null' : Array.isArray(list) ? JSON.stringify(list).slice(0, 60) : typeof list === 'string' ? JSON.stringify(list) : typeof list === 'object' ? 'an object' : String(list);
    throw new ArgumentError(`${op}: ${arg} must be an array of numbers, got ${got}`);
  }
}

export function normAxes(op: string, axes: number | readonly number[] | undefined, shape: Shape): number[] {
  if (axes === undefined || axes === null) return shape.map((_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  requireNumberList(op, 'axes', list);
  const out = [...new Set(list.map((a) => normAxis(op, a, shape.length, shape)))].sort((x, y) => x - y);
  if (out.length !== list.length) throw new ShapeError(`${op}: repeated axis in ${JSON.stringify(list)} for shape ${fmtShape(shape)}`);
  return out;
}

export function checkShape(op: string, arg: string, shape: Shape): void {
  if (!Array.isArray(shape)) throw new ShapeError(`${op}: ${arg} must be a list of non-negative integers, got ${shape === null ? 'null' : typeof shape === 'object' ? 'an object' : JSON.stringify(shape) ?? String(shape)}`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(`${op}: ${arg} must be a list of non-negative integers, got ${fmtShape(shape)}`);
    }
  }
}

/** Resolve a reshape target with at most one -1. */
export function inferReshape(op: string, from: Shape, to: readonly number[]): number[] {
  requireNumberList(op, 'shape', to);
  const total = numel(from);
  const free = to.filter((d) => d === -1).length;
  if (free > 1) throw new ShapeError(`${op}: only one dimension can be -1, got ${fmtShape(to)}`);
  for (const d of to) {
    if (d !== -1 && (!Number.isInteger(d) || d < 0)) throw new ShapeError(`${op}: invalid target shape ${fmtShape(to)}`);
  }
  const known = to.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const out = [...to];
  if (free === 1) {
    if (known === 0 || total % known !== 0) {
      throw new ShapeError(`${op}: cannot reshape tensor of shape ${fmtShape(from)} (${total} elements) into ${fmtShape(to)}`);
    }
    out[out.indexOf(-1)] = total / known;
  } else if (known !== total) {
    throw new ShapeError(`${op}: cannot reshape tensor of shape ${fmtShape(from)} (${total} elements) into ${fmtShape(to)} (${known} elements)`);
  }
  return out;
}

/** The shape after reducing `axes` (sorted), with or without the kept size-1 dims. */
export function reducedShape(shape: Shape, axes: readonly number[], keepdim: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdim) out.push(1);
  });
  return out;
}
