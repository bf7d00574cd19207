/**
 * Typed errors. Every message names the op, the argument and the shapes involved, and every
 * one is thrown before any device work is enqueued.
 */
export class GenlabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Shapes that do not fit: broadcasting, matmul inner dims, reshape sizes, axes out of range. */
export class ShapeError extends GenlabError {}

/** A dtype an op cannot take (float64 on WebGPU, log of an int tensor, ...). */
export class DTypeError extends GenlabError {}

/** Device trouble: mixing devices, no adapter, a buffer over the binding limit, a lost device, a shader error. */
export class DeviceError extends GenlabError {}

/** A tensor used after `dispose()` (directly, or by a `tidy` scope that ended). */
export class DisposedTensorError extends GenlabError {}

/** Anything else the user passed in wrong (a bad option value). */
export class ArgumentError extends GenlabError {}

/** A shape as the error messages write it: `[2, 3]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
