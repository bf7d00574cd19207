// Elementwise binary functions with NumPy broadcasting.
// OP codes follow BINARY_OPS in src/backend/webgpu/codes.ts; DTYPE: 0 float32, 1 int32, 2 bool.
//
// The host merges dimensions (layout.ts) and picks a MODE for what is left:
//   0  a, b and out share one contiguous layout (same shapes): no index arithmetic at all;
//   1  b is a single element (tensor-scalar ops: optimizer updates, scaling);
//   2  a is a single element;
//   3  general broadcasting over RANK merged dims, as per-input element strides over the output
//      (stride 0 on a broadcast dim). Bias adds merge to RANK 2: one division per element.
//
// Why the kernel is shaped like this: on CPU implementations (SwiftShader) an invocation costs far
// more than the arithmetic, both sides of a branch run under lane masks, and loops, dynamically
// indexed vectors and integer divisions are slow. So every invocation handles ELEMENTS elements
// WG apart (neighbouring invocations still touch neighbouring words, which both GPUs and
// SwiftShader turn into wide accesses), and RANK is a constant so that the index arithmetic is
// straight-line code with constant uniform indices.

struct Params {
  n: u32,
  // MODE 3: one entry per dimension, innermost first: (size, a stride, b stride, unused).
  dims: array<vec4<u32>, 8>,
}

@group(0) @binding(0) var<storage, read> a: array<u32>;
@group(0) @binding(1) var<storage, read> b: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

override OP: u32;
override DTYPE: u32;
override MODE: u32 = 0u;
override RANK: u32 = 1u;
// ELEMENTS * WG elements per workgroup: the host's dispatch size (index.ts) assumes 8 * 64.
override WG: u32 = 64u;
const ELEMENTS = 8u;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// Special values built at run time: a constant-folded bitcast to inf/NaN is a shader-creation error.
fn from_bits(w: u32) -> f32 {
  return bitcast<f32>(w);
}

fn is_odd_integer(v: f32) -> bool {
  return abs(v) < 16777216.0 && (i32(v) & 1) == 1;
}

// pow with the sign rules of C's pow: negative bases need an integer exponent.
fn pow_f32(x: f32, y: f32) -> f32 {
  // C99: pow(1, y) and pow(x, 0) are 1 even for NaN, and pow(-1, +-inf) is 1.
  if (y == 0.0 || x == 1.0) { return 1.0; }
  if (x == -1.0 && abs(y) == from_bits(0x7f800000u)) { return 1.0; }
  if (is_nan(x) || is_nan(y)) { return x + y; }
  if (x == 0.0) {
    if (y < 0.0) { return select(1.0 / x, from_bits(0x7f800000u), !is_odd_integer(y)); }
    return select(0.0, x, is_odd_integer(y));
  }
  let m = pow(abs(x), y);
  if (x > 0.0) { return m; }
  if (floor(y) != y) { return from_bits(0x7fc00000u); }
  return select(m, -m, is_odd_integer(y));
}

// Python / PyTorch remainder: the result takes the divisor's sign.
fn mod_f32(x: f32, y: f32) -> f32 {
  var r = x - y * trunc(x / y);
  if (r != 0.0 && ((r < 0.0) != (y < 0.0))) { r += y; }
  return r;
}

fn binary_f32(x: f32, y: f32) -> f32 {
  switch OP {
    case 0u: { return x + y; }
    case 1u: { return x - y; }
    case 2u: { return x * y; }
    case 3u: { return x / y; }
    case 4u: { return pow_f32(x, y); }
    // NaN propagates, as in torch.maximum / torch.minimum.
    case 5u: { return select(max(x, y), x + y, is_nan(x) || is_nan(y)); }
    case 6u: { return select(min(x, y), x + y, is_nan(x) || is_nan(y)); }
    case 7u: { return mod_f32(x, y); }
    default: { return 0.0; }
  }
}

fn pow_i32(x: i32, y: i32) -> i32 {
  if (y < 0) {
    // Integer results of x^-|y| (anything else truncates to 0).
    if (x == 1) { return 1; }
    if (x == -1) { return select(1, -1, (y & 1) == 1); }
    return 0;
  }
  var result = 1;
  var base = x;
  var e = y;
  loop {
    if (e == 0) { break; }
    if ((e & 1) == 1) { result = result * base; }
    base = base * base;
    e = e >> 1u;
  }
  return result;
}

fn binary_i32(x: i32, y: i32) -> i32 {
  switch OP {
    case 0u: { return x + y; }
    case 1u: { return x - y; }
    case 2u: { return x * y; }
    // Truncating division; division by zero gives 0 (WGSL would return x).
    case 3u: { return select(x / y, 0, y == 0); }
    case 4u: { return pow_i32(x, y); }
    case 5u: { return max(x, y); }
    case 6u: { return min(x, y); }
    case 7u: {
      if (y == 0) { return 0; }
      var r = x % y;
      if (r != 0 && ((r < 0) != (y < 0))) { r += y; }
      return r;
    }
    default: { return 0; }
  }
}

fn compare_f32(x: f32, y: f32) -> bool {
  switch OP {
    case 8u: { return x == y; }
    case 9u: { return x != y; }
    case 10u: { return x < y; }
    case 11u: { return x <= y; }
    case 12u: { return x > y; }
    case 13u: { return x >= y; }
    case 14u: { return x != 0.0 && y != 0.0; }
    default: { return x != 0.0 || y != 0.0; }
  }
}

fn compare_i32(x: i32, y: i32) -> bool {
  switch OP {
    case 8u: { return x == y; }
    case 9u: { return x != y; }
    case 10u: { return x < y; }
    case 11u: { return x <= y; }
    case 12u: { return x > y; }
    case 13u: { return x >= y; }
    case 14u: { return x != 0 && y != 0; }
    default: { return x != 0 || y != 0; }
  }
}

fn apply(wa: u32, wb: u32) -> u32 {
  if (OP >= 8u) {
    let r = select(compare_i32(bitcast<i32>(wa), bitcast<i32>(wb)), compare_f32(bitcast<f32>(wa), bitcast<f32>(wb)), DTYPE == 0u);
    return select(0u, 1u, r);
  }
  if (DTYPE == 0u) { return bitcast<u32>(binary_f32(bitcast<f32>(wa), bitcast<f32>(wb))); }
  let r = binary_i32(bitcast<i32>(wa), bitcast<i32>(wb));
  // bool arithmetic stays bool (true + true is true, as in PyTorch).
  if (DTYPE == 2u) { return select(0u, 1u, r != 0); }
  return bitcast<u32>(r);
}

// Peels one dimension off the row-major index `rem`, returning its offsets into a and b.
fn peel(rem: ptr<function, u32>, dim: vec4<u32>) -> vec2<u32> {
  let q = *rem / dim.x;
  let coord = *rem - q * dim.x;
  *rem = q;
  return coord * dim.yz;
}

// Offsets into a and b of output element i. The RANK tests are constants, so only the used dims
// remain, and the outermost coordinate is whatever the inner ones leave over (no division).
fn offsets(i: u32) -> vec2<u32> {
  var rem = i;
  var off = vec2<u32>(0u);
  if (RANK > 1u) { off += peel(&rem, params.dims[0]); }
  if (RANK > 2u) { off += peel(&rem, params.dims[1]); }
  if (RANK > 3u) { off += peel(&rem, params.dims[2]); }
  if (RANK > 4u) { off += peel(&rem, params.dims[3]); }
  if (RANK > 5u) { off += peel(&rem, params.dims[4]); }
  if (RANK > 6u) { off += peel(&rem, params.dims[5]); }
  if (RANK > 7u) { off += peel(&rem, params.dims[6]); }
  return off + rem * params.dims[RANK - 1u].yz;
}

fn element(i: u32) {
  switch MODE {
    case 0u: { out[i] = apply(a[i], b[i]); }
    case 1u: { out[i] = apply(a[i], b[0]); }
    case 2u: { out[i] = apply(a[0], b[i]); }
    default: {
      let o = offsets(i);
      out[i] = apply(a[o.x], b[o.y]);
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // Grids over the per-dimension limit are folded into 2D by the host (the overshoot fails both tests below).
  let first = (wid.x + wid.y * nwg.x) * (ELEMENTS * WG) + lid;
  // A whole block is straight-line code without guards. The partial last block goes through a
  // loop: SwiftShader runs the code of an untaken branch under an empty lane mask, but skips a loop
  // that no lane enters, so the guarded form costs nothing elsewhere.
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
