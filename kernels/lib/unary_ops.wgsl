// The elementwise unary functions, by op code: UNARY_OPS in src/backend/webgpu/codes.ts, checked
// against these constants by test/wgsl-library.test.ts. `op` is an override constant or a literal
// at every call, so the switch folds away.
// uses: math

const OP_NEG = 0u;
const OP_ABS = 1u;
const OP_SIGN = 2u;
const OP_SQUARE = 3u;
const OP_RECIPROCAL = 4u;
const OP_EXP = 5u;
const OP_LOG = 6u;
const OP_LOG1P = 7u;
const OP_EXPM1 = 8u;
const OP_SQRT = 9u;
const OP_RSQRT = 10u;
const OP_SIN = 11u;
const OP_COS = 12u;
const OP_TANH = 13u;
const OP_SIGMOID = 14u;
const OP_ERF = 15u;
const OP_RELU = 16u;
const OP_LEAKY_RELU = 17u;
const OP_ELU = 18u;
const OP_GELU = 19u;
const OP_SILU = 20u;
const OP_SOFTPLUS = 21u;
const OP_FLOOR = 22u;
const OP_CEIL = 23u;
const OP_ROUND = 24u;
const OP_LOGICAL_NOT = 25u;

const INV_SQRT2: f32 = 0.70710678118654752;

// One function per op (the fused chains call them by name, fusion.ts); `param` is leakyRelu's
// negative slope and elu's alpha, ignored by the others.
fn unary_neg(v: f32, param: f32) -> f32 { return -v; }
fn unary_abs(v: f32, param: f32) -> f32 { return abs(v); }
// Zeros and NaN map to themselves (sign(-0) is -0).
fn unary_sign(v: f32, param: f32) -> f32 { return select(select(-1.0, 1.0, v > 0.0), v, v == 0.0 || is_nan(v)); }
fn unary_square(v: f32, param: f32) -> f32 { return v * v; }
fn unary_reciprocal(v: f32, param: f32) -> f32 { return 1.0 / v; }
fn unary_exp(v: f32, param: f32) -> f32 { return exp(v); }
fn unary_log(v: f32, param: f32) -> f32 { return log_(v); }
fn unary_log1p(v: f32, param: f32) -> f32 { return log1p_(v); }
fn unary_expm1(v: f32, param: f32) -> f32 { return expm1_(v); }
// Negative inputs give NaN explicitly: WGSL leaves them undefined.
fn unary_sqrt(v: f32, param: f32) -> f32 { return select(sqrt(v), from_bits(0x7fc00000u), v < 0.0); }
fn unary_rsqrt(v: f32, param: f32) -> f32 { return select(select(inverseSqrt(v), from_bits(0x7f800000u), v == 0.0), from_bits(0x7fc00000u), v < 0.0); }
fn unary_sin(v: f32, param: f32) -> f32 { return sin_cos(v, false); }
fn unary_cos(v: f32, param: f32) -> f32 { return sin_cos(v, true); }
fn unary_tanh(v: f32, param: f32) -> f32 { return tanh_(v); }
fn unary_sigmoid(v: f32, param: f32) -> f32 { return sigmoid_(v); }
fn unary_erf(v: f32, param: f32) -> f32 { return erf_(v); }
fn unary_relu(v: f32, param: f32) -> f32 { return select(0.0, v, v > 0.0 || is_nan(v)); }
fn unary_leaky_relu(v: f32, param: f32) -> f32 { return select(v * param, v, v > 0.0); }
fn unary_elu(v: f32, param: f32) -> f32 { return select(param * expm1_(v), v, v > 0.0); }
fn unary_gelu(v: f32, param: f32) -> f32 { return 0.5 * v * erfc_(-v * INV_SQRT2); }
fn unary_silu(v: f32, param: f32) -> f32 { return v * sigmoid_(v); }
// max(v, 0) + log(1 + exp(-|v|)): exp never overflows.
fn unary_softplus(v: f32, param: f32) -> f32 { return max(v, 0.0) + log1p_(exp(-abs(v))); }
fn unary_floor(v: f32, param: f32) -> f32 { return floor(v); }
fn unary_ceil(v: f32, param: f32) -> f32 { return ceil(v); }
// WGSL round() rounds half to even, as NumPy and PyTorch do.
fn unary_round(v: f32, param: f32) -> f32 { return round(v); }

fn unary_f32(op: u32, v: f32, param: f32) -> f32 {
  switch op {
    case OP_NEG: { return unary_neg(v, param); }
    case OP_ABS: { return unary_abs(v, param); }
    case OP_SIGN: { return unary_sign(v, param); }
    case OP_SQUARE: { return unary_square(v, param); }
    case OP_RECIPROCAL: { return unary_reciprocal(v, param); }
    case OP_EXP: { return unary_exp(v, param); }
    case OP_LOG: { return unary_log(v, param); }
    case OP_LOG1P: { return unary_log1p(v, param); }
    case OP_EXPM1: { return unary_expm1(v, param); }
    case OP_SQRT: { return unary_sqrt(v, param); }
    case OP_RSQRT: { return unary_rsqrt(v, param); }
    case OP_SIN: { return unary_sin(v, param); }
    case OP_COS: { return unary_cos(v, param); }
    case OP_TANH: { return unary_tanh(v, param); }
    case OP_SIGMOID: { return unary_sigmoid(v, param); }
    case OP_ERF: { return unary_erf(v, param); }
    case OP_RELU: { return unary_relu(v, param); }
    case OP_LEAKY_RELU: { return unary_leaky_relu(v, param); }
    case OP_ELU: { return unary_elu(v, param); }
    case OP_GELU: { return unary_gelu(v, param); }
    case OP_SILU: { return unary_silu(v, param); }
    case OP_SOFTPLUS: { return unary_softplus(v, param); }
    case OP_FLOOR: { return unary_floor(v, param); }
    case OP_CEIL: { return unary_ceil(v, param); }
    case OP_ROUND: { return unary_round(v, param); }
    default: { return v; }
  }
}

fn unary_i32(op: u32, v: i32, param: f32) -> i32 {
  switch op {
    case OP_NEG: { return -v; }
    case OP_ABS: { return abs(v); }
    case OP_SIGN: { return sign(v); }
    case OP_SQUARE: { return v * v; }
    case OP_RELU: { return max(v, 0); }
    case OP_LEAKY_RELU: { return select(i32(f32(v) * param), v, v > 0); }
    case OP_FLOOR, OP_CEIL, OP_ROUND: { return v; }
    // The remaining functions are real-valued: evaluate in f32, truncate back like a typed-array store.
    default: { return i32(unary_f32(op, f32(v), param)); }
  }
}
