/**
 * Named tolerance presets for comparing WebGPU (float32) results with the CPU reference (float64
 * math rounded once). A value passes when |gpu - cpu| <= atol + rtol * |cpu|, or both are the same
 * NaN/infinity.
 */
export interface Tolerance {
  readonly rtol: number;
  readonly atol: number;
}

export const TOL = {
  /** Bit-for-bit: data movement, integer math, comparisons, Philox uniforms. */
  exact: { rtol: 0, atol: 0 },
  /** One or two correctly rounded float32 operations (add, div, sqrt, ...). */
  f32Elementwise: { rtol: 1e-5, atol: 1e-6 },
  /** GPU exp/log/sin/erf approximations: a few float32 ulps plus absolute slack near zero. */
  f32Transcendental: { rtol: 3e-5, atol: 3e-6 },
  /** float32 accumulation order differs from the float64 reference. */
  f32Reduce: { rtol: 1e-4, atol: 1e-5 },
  /** float32 dot products of length up to a few hundred. */
  f32Matmul: { rtol: 1e-4, atol: 1e-4 },
} as const satisfies Record<string, Tolerance>;

/** Index of the first element outside `tol`, or -1. */
export function firstMismatch(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance): number {
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (a === e || (Number.isNaN(a) && Number.isNaN(e))) continue;
    if (!(Math.abs(a - e) <= tol.atol + tol.rtol * Math.abs(e))) return i;
  }
  return actual.length === expected.length ? -1 : expected.length;
}
