/** Helpers shared by the linear-algebra ops (linalg.ts, linalg-decomp.ts): argument checks and the host path. */
import type { HostArray } from '../backend/backend.js';
import { DeviceError, ShapeError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, readSync, requireFloat } from './core.js';
import { tensor } from './creation.js';
import { transpose } from './shapeops.js';

export const mT = (x: Tensor): Tensor => transpose(x, -2, -1);

/** [..., n, n] (or [..., m, n] when `square` is false). */
export function checkMatrix(op: string, a: Tensor, square = true, name = 'input'): void {
  checkInputs(op, a);
  requireFloat(op, a, name);
  if (a.shape.length < 2 || (square && a.shape.at(-1) !== a.shape.at(-2))) {
    throw new ShapeError(`${op}: ${name} must be a ${square ? 'square matrix' : 'matrix'} or a batch of them [..., ${square ? 'n, n' : 'm, n'}], got ${fmtShape(a.shape)}`);
  }
}

/** The matrices of x as one float64 host array, or a DeviceError where the backend cannot read synchronously. */
export function hostValues(op: string, x: Tensor): HostArray {
  if (x.device === 'webgpu') {
    throw new DeviceError(`${op}: runs on the host in float64; move the input ${fmtShape(x.shape)} to the CPU first (\`await t.to('cpu')\`)`);
  }
  return readSync(x, op);
}

/** Run `fn` on each matrix of a batch; `fn` returns the output matrix's values. */
export function perMatrix(values: HostArray, batch: number, size: number, outSize: number, fn: (m: ArrayLike<number>, b: number) => ArrayLike<number>): Float64Array {
  const out = new Float64Array(batch * outSize);
  for (let b = 0; b < batch; b++) out.set(fn(values.slice(b * size, (b + 1) * size), b), b * outSize);
  return out;
}

export const upload = (values: Float64Array, shape: readonly number[], like: Tensor): Tensor => tensor(values, { shape, dtype: like.dtype, device: like.device });

