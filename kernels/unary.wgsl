// Elementwise unary functions. One pipeline per (OP, DTYPE) via override constants.
// OP codes follow UNARY_OPS in src/backend/webgpu/codes.ts; DTYPE: 0 float32, 1 int32, 2 bool.
// Every dtype is stored as 32-bit words and reinterpreted with bitcast.
// Shaped like binary.wgsl, for the same reasons (see there): ELEMENTS elements per invocation, WG apart.

struct Params {
  n: u32,
  // leakyRelu's negative slope, elu's alpha.
  param: f32,
}

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

override OP: u32;
override DTYPE: u32;
// ELEMENTS * WG elements per workgroup: the host's dispatch size (index.ts) assumes 8 * 64.
override WG: u32 = 64u;
const ELEMENTS = 8u;

const INV_SQRT2: f32 = 0.70710678118654752;
const TWO_OVER_SQRT_PI: f32 = 1.1283791670955126;

// Special values built at run time: a constant-folded bitcast to inf/NaN is a shader-creation error.
fn from_bits(w: u32) -> f32 {
  return bitcast<f32>(w);
}

fn is_nan(v: f32) -> bool {
  // Bit test: comparisons with NaN may be optimised away.
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
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

fn unary_f32(v: f32) -> f32 {
  switch OP {
    case 0u: { return -v; }
    case 1u: { return abs(v); }
    // Zeros and NaN map to themselves (sign(-0) is -0).
    case 2u: { return select(select(-1.0, 1.0, v > 0.0), v, v == 0.0 || is_nan(v)); }
    case 3u: { return v * v; }
    case 4u: { return 1.0 / v; }
    case 5u: { return exp(v); }
    case 6u: { return log_(v); }
    case 7u: { return log1p_(v); }
    case 8u: { return expm1_(v); }
    // Negative inputs give NaN explicitly: WGSL leaves them undefined.
    case 9u: { return select(sqrt(v), from_bits(0x7fc00000u), v < 0.0); }
    case 10u: { return select(select(inverseSqrt(v), from_bits(0x7f800000u), v == 0.0), from_bits(0x7fc00000u), v < 0.0); }
    case 11u: { return sin_cos(v, false); }
    case 12u: { return sin_cos(v, true); }
    case 13u: { return tanh_(v); }
    case 14u: { return sigmoid_(v); }
    case 15u: { return erf_(v); }
    case 16u: { return select(0.0, v, v > 0.0 || is_nan(v)); }
    case 17u: { return select(v * params.param, v, v > 0.0); }
    case 18u: { return select(params.param * expm1_(v), v, v > 0.0); }
    case 19u: { return 0.5 * v * erfc_(-v * INV_SQRT2); }
    case 20u: { return v * sigmoid_(v); }
    // max(v, 0) + log(1 + exp(-|v|)): exp never overflows.
    case 21u: { return max(v, 0.0) + log1p_(exp(-abs(v))); }
    case 22u: { return floor(v); }
    case 23u: { return ceil(v); }
    // WGSL round() rounds half to even, as NumPy and PyTorch do.
    case 24u: { return round(v); }
    default: { return v; }
  }
}

fn unary_i32(v: i32) -> i32 {
  switch OP {
    case 0u: { return -v; }
    case 1u: { return abs(v); }
    case 2u: { return sign(v); }
    case 3u: { return v * v; }
    case 16u: { return max(v, 0); }
    case 17u: { return select(i32(f32(v) * params.param), v, v > 0); }
    case 22u, 23u, 24u: { return v; }
    // The remaining functions are real-valued: evaluate in f32, truncate back like a typed-array store.
    default: { return i32(unary_f32(f32(v))); }
  }
}

fn element(i: u32) {
  let w = x[i];
  if (OP == 25u) {
    // logicalNot: zero (including -0.0 for floats) becomes true.
    let zero = select(w == 0u, (w & 0x7fffffffu) == 0u, DTYPE == 0u);
    y[i] = select(0u, 1u, zero);
    return;
  }
  if (DTYPE == 0u) {
    y[i] = bitcast<u32>(unary_f32(bitcast<f32>(w)));
  } else if (DTYPE == 1u) {
    y[i] = bitcast<u32>(unary_i32(bitcast<i32>(w)));
  } else {
    // A bool result stays 0/1 whatever the function computed.
    y[i] = select(0u, 1u, unary_i32(bitcast<i32>(w)) != 0);
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let first = (wid.x + wid.y * nwg.x) * (ELEMENTS * WG) + lid;
  // Whole blocks unguarded, the partial last block in a loop (see binary.wgsl for why).
  if (first + (ELEMENTS - 1u) * WG < params.n) {
    element(first);
    element(first + WG);
    element(first + 2u * WG);
    element(first + 3u * WG);
    element(first + 4u * WG);
    element(first + 5u * WG);
    element(first + 6u * WG);
    element(first + 7u * WG);
    return;
  }
  for (var i = first; i < params.n; i += WG) {
    element(i);
  }
}
