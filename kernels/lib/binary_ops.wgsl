// The elementwise binary functions, by op code: BINARY_OPS in src/backend/webgpu/codes.ts, checked
// against these constants by test/wgsl-library.test.ts. `op` and `dtype` are override constants
// or literals at every call, so the switches fold away.
// uses: math, dtype

const OP_ADD = 0u;
const OP_SUB = 1u;
const OP_MUL = 2u;
const OP_DIV = 3u;
const OP_POW = 4u;
const OP_MAXIMUM = 5u;
const OP_MINIMUM = 6u;
const OP_MOD = 7u;
const OP_EQ = 8u;
const OP_NE = 9u;
const OP_LT = 10u;
const OP_LE = 11u;
const OP_GT = 12u;
const OP_GE = 13u;
const OP_LOGICAL_AND = 14u;
const OP_LOGICAL_OR = 15u;

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

// One function per float op (the fused chains call them by name, fusion.ts).
fn binary_add(x: f32, y: f32) -> f32 { return x + y; }
fn binary_sub(x: f32, y: f32) -> f32 { return x - y; }
fn binary_mul(x: f32, y: f32) -> f32 { return x * y; }
fn binary_div(x: f32, y: f32) -> f32 { return x / y; }
fn binary_pow(x: f32, y: f32) -> f32 { return pow_f32(x, y); }
// NaN propagates, as in torch.maximum / torch.minimum.
fn binary_maximum(x: f32, y: f32) -> f32 { return select(max(x, y), x + y, is_nan(x) || is_nan(y)); }
fn binary_minimum(x: f32, y: f32) -> f32 { return select(min(x, y), x + y, is_nan(x) || is_nan(y)); }
fn binary_mod(x: f32, y: f32) -> f32 { return mod_f32(x, y); }

fn binary_f32(op: u32, x: f32, y: f32) -> f32 {
  switch op {
    case OP_ADD: { return binary_add(x, y); }
    case OP_SUB: { return binary_sub(x, y); }
    case OP_MUL: { return binary_mul(x, y); }
    case OP_DIV: { return binary_div(x, y); }
    case OP_POW: { return binary_pow(x, y); }
    case OP_MAXIMUM: { return binary_maximum(x, y); }
    case OP_MINIMUM: { return binary_minimum(x, y); }
    case OP_MOD: { return binary_mod(x, y); }
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

fn binary_i32(op: u32, x: i32, y: i32) -> i32 {
  switch op {
    case OP_ADD: { return x + y; }
    case OP_SUB: { return x - y; }
    case OP_MUL: { return x * y; }
    // Truncating division; division by zero gives 0 (WGSL would return x).
    case OP_DIV: { return select(x / y, 0, y == 0); }
    case OP_POW: { return pow_i32(x, y); }
    case OP_MAXIMUM: { return max(x, y); }
    case OP_MINIMUM: { return min(x, y); }
    case OP_MOD: {
      if (y == 0) { return 0; }
      var r = x % y;
      if (r != 0 && ((r < 0) != (y < 0))) { r += y; }
      return r;
    }
    default: { return 0; }
  }
}

// A NaN operand makes every comparison false but ne true (IEEE, PyTorch); tested on the bits, since
// compilers may assume floats are never NaN (SwiftShader made ne(NaN, x) false).
fn compare_f32(op: u32, x: f32, y: f32) -> bool {
  let unordered = is_nan(x) || is_nan(y);
  switch op {
    case OP_EQ: { return !unordered && x == y; }
    case OP_NE: { return unordered || x != y; }
    case OP_LT: { return !unordered && x < y; }
    case OP_LE: { return !unordered && x <= y; }
    case OP_GT: { return !unordered && x > y; }
    case OP_GE: { return !unordered && x >= y; }
    case OP_LOGICAL_AND: { return x != 0.0 && y != 0.0; }
    case OP_LOGICAL_OR, default: { return x != 0.0 || y != 0.0; }
  }
}

fn compare_i32(op: u32, x: i32, y: i32) -> bool {
  switch op {
    case OP_EQ: { return x == y; }
    case OP_NE: { return x != y; }
    case OP_LT: { return x < y; }
    case OP_LE: { return x <= y; }
    case OP_GT: { return x > y; }
    case OP_GE: { return x >= y; }
    case OP_LOGICAL_AND: { return x != 0 && y != 0; }
    case OP_LOGICAL_OR, default: { return x != 0 || y != 0; }
  }
}

// Words in, word out, for any dtype: comparisons give a 0/1 bool word.
fn binary_word(op: u32, dtype: u32, wa: u32, wb: u32) -> u32 {
  if (op >= OP_EQ) {
    let r = select(compare_i32(op, bitcast<i32>(wa), bitcast<i32>(wb)), compare_f32(op, bitcast<f32>(wa), bitcast<f32>(wb)), dtype == DTYPE_F32);
    return select(0u, 1u, r);
  }
  if (dtype == DTYPE_F32) { return bitcast<u32>(binary_f32(op, bitcast<f32>(wa), bitcast<f32>(wb))); }
  let r = binary_i32(op, bitcast<i32>(wa), bitcast<i32>(wb));
  // bool arithmetic stays bool (true + true is true, as in PyTorch).
  if (dtype == DTYPE_BOOL) { return select(0u, 1u, r != 0); }
  return bitcast<u32>(r);
}
