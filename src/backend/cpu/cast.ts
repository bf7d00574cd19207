/** dtype conversion. */
import type { DType, HostArray } from '../backend';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

export function cast(x: HostArray, fromDType: DType, out: HostArray, toDType: DType): void {
  if (toDType === 'bool') {
    for (let i = 0; i < x.length; i++) out[i] = x[i] !== 0 ? 1 : 0;
  } else if (toDType === 'int32' && (fromDType === 'float32' || fromDType === 'float64')) {
    for (let i = 0; i < x.length; i++) out[i] = floatToInt32(x[i]!);
  } else {
    out.set(x);
  }
}

/**
 * Truncates toward zero and saturates like WGSL's i32(f32): an Int32Array store would instead wrap
 * out-of-range values modulo 2^32, and the GPU kernels are checked against this one.
 * NaN becomes 0.
 */
export function floatToInt32(v: number): number {
  if (Number.isNaN(v)) return 0;
  return Math.min(INT32_MAX, Math.max(INT32_MIN, Math.trunc(v)));
}

/** How a scalar is stored in an array of `dtype`. */
export function scalarFor(dtype: DType, value: number): number {
  if (dtype === 'bool') return value !== 0 ? 1 : 0;
  if (dtype === 'int32') return floatToInt32(value);
  return value;
}
