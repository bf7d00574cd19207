// Shared scalar math for the kernels (appended by the loaders to every kernel that names it on
// its `// uses:` line). WGSL's builtins only promise absolute errors (log 2^-21, sin/cos 2^-11) and
// leave log of non-positive numbers undefined, so the functions here pin down what PyTorch does.

// Special values built at run time: a constant-folded bitcast to inf/NaN is a shader-creation error.
fn from_bits(w: u32) -> f32 {
  return bitcast<f32>(w);
}

// Bit tests: comparisons with NaN may be optimised away (compilers may assume floats are never NaN).
fn is_nan(v: f32) -> bool {
  return is_nan_bits(bitcast<u32>(v));
}

fn is_nan_bits(w: u32) -> bool {
  return (w & 0x7fffffffu) > 0x7f800000u;
}

// Natural log with relative accuracy near 1, where WGSL only promises an absolute error of 2^-21:
// on [0.5, 2] log v = 2 atanh(s), s = (v - 1) / (v + 1) (v - 1 is exact there), as an odd series in s.
fn log_(v: f32) -> f32 {
  // WGSL leaves log of zero and negatives undefined (SwiftShader returns log|v|).
  if (v <= 0.0) { return select(from_bits(0x7fc00000u), from_bits(0xff800000u), v == 0.0); }
  if (v < 0.5 || v > 2.0) { return log(v); }
  let s = (v - 1.0) / (v + 1.0);
  let s2 = s * s;
  let series = 1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0 + s2 * (1.0 / 13.0 + s2 * (1.0 / 15.0)))))));
  return 2.0 * s * series;
}

// log(1 + v) without cancellation for small v (Goldberg's trick: the rounding error of 1 + v cancels).
fn log1p_(v: f32) -> f32 {
  let u = 1.0 + v;
  if (u == 1.0) { return v; }
  if (abs(v) > 0.5 || is_nan(v)) { return log_(u); }
  return log_(u) * v / (u - 1.0);
}

// exp(v) - 1 without cancellation for small v (Kahan's trick).
fn expm1_(v: f32) -> f32 {
  if (abs(v) > 0.5 || is_nan(v)) { return exp(v) - 1.0; }
  let u = exp(v);
  if (u == 1.0) { return v; }
  return (u - 1.0) * v / log_(u);
}

// sin and cos to float32 accuracy (Cephes sinf/cosf): WGSL only promises an absolute error of 2^-11,
// and SwiftShader's builtins are off by ~1e-4. The argument is reduced by multiples of pi/2 in
// three parts (extended-precision Cody-Waite), then a minimax polynomial runs on [-pi/4, pi/4].
fn sin_cos(v: f32, want_cos: bool) -> f32 {
  let j = round(v * 0.63661977236758134);
  let r = ((v - j * 1.5703125) - j * 4.8375129699707031e-4) - j * 7.5497899548918821e-8;
  let z = r * r;
  let s = ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * r + r;
  let c = ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z - 0.5 * z + 1.0;
  let quadrant = (i32(j) + select(0, 1, want_cos)) & 3;
  switch quadrant {
    case 0: { return s; }
    case 1: { return c; }
    case 2: { return -s; }
    default: { return -c; }
  }
}

const TWO_OVER_SQRT_PI: f32 = 1.1283791670955126;

// erfc for z >= 0 with relative error < 1.2e-7 (Numerical Recipes' Chebyshev fit).
fn erfc_pos(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * z);
  let p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
          t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return t * exp(-z * z + p);
}

// Maclaurin series of erf, accurate to f32 rounding for |z| < 0.5 where 1 - erfc would cancel.
fn erf_series(z: f32) -> f32 {
  let z2 = z * z;
  let s = 1.0 + z2 * (-1.0 / 3.0 + z2 * (1.0 / 10.0 + z2 * (-1.0 / 42.0 + z2 * (1.0 / 216.0 + z2 * (-1.0 / 1320.0 + z2 * (1.0 / 9360.0))))));
  return TWO_OVER_SQRT_PI * z * s;
}

fn erf_(z: f32) -> f32 {
  let a = abs(z);
  if (a < 0.5) { return erf_series(z); }
  let r = 1.0 - erfc_pos(a);
  return select(r, -r, z < 0.0);
}

// erfc(z) for any z, keeping relative accuracy in the tail (needed by gelu for negative inputs).
fn erfc_(z: f32) -> f32 {
  if (abs(z) < 0.5) { return 1.0 - erf_series(z); }
  let c = erfc_pos(abs(z));
  return select(c, 2.0 - c, z < 0.0);
}

fn sigmoid_(v: f32) -> f32 {
  // Only ever exponentiate a non-positive number, so nothing overflows.
  let e = exp(-abs(v));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
}

fn tanh_(v: f32) -> f32 {
  // tanh|v| = -expm1(-2|v|) / (2 + expm1(-2|v|)): no overflow, no cancellation near 0.
  let m = expm1_(-2.0 * abs(v));
  let t = -m / (2.0 + m);
  return select(t, -t, v < 0.0);
}

// The vector forms, branch-free for the register tiles of the conv kernels.
fn sigmoid4(v: vec4<f32>) -> vec4<f32> {
  let e = exp(-abs(v));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= vec4<f32>(0.0));
}

fn tanh4(v: vec4<f32>) -> vec4<f32> {
  // tanh|v| = (1 - e) / (1 + e) with e = exp(-2|v|) <= 1 overflows nowhere, but 1 - e cancels
  // near 0, where the odd series (to v^7, error below 2e-10 for |v| < 1/8) takes over.
  let a = abs(v);
  let a2 = a * a;
  let series = a * (1.0 - a2 * (1.0 / 3.0 - a2 * (2.0 / 15.0 - a2 * (17.0 / 315.0))));
  let e = exp(-2.0 * a);
  return sign(v) * select((1.0 - e) / (1.0 + e), series, a < vec4<f32>(0.125));
}
