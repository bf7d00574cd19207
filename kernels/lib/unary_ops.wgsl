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

// `param`: leakyRelu's negative slope, elu's alpha.
fn unary_f32(op: u32, v: f32, param: f32) -> f32 {
  switch op {
    case OP_NEG: { return -v; }
    case OP_ABS: { return abs(v); }
    // Zeros and NaN map to themselves (sign(-0) is -0).
    case OP_SIGN: { return select(select(-1.0, 1.0, v > 0.0), v, v == 0.0 || is_nan(v)); }
    case OP_SQUARE: { return v * v; }
    case OP_RECIPROCAL: { return 1.0 / v; }
    case OP_EXP: { return exp(v); }
    case OP_LOG: { return log_(v); }
    case OP_LOG1P: { return log1p_(v); }
    case OP_EXPM1: { return expm1_(v); }
    // Negative inputs give NaN explicitly: WGSL leaves them undefined.
    case OP_SQRT: { return select(sqrt(v), from_bits(0x7fc00000u), v < 0.0); }
    case OP_RSQRT: { return select(select(inverseSqrt(v), from_bits(0x7f800000u), v == 0.0), from_bits(0x7fc00000u), v < 0.0); }
    case OP_SIN: { return sin_cos(v, false); }
    case OP_COS: { return sin_cos(v, true); }
    case OP_TANH: { return tanh_(v); }
    case OP_SIGMOID: { return sigmoid_(v); }
    case OP_ERF: { return erf_(v); }
    case OP_RELU: { return select(0.0, v, v > 0.0 || is_nan(v)); }
    case OP_LEAKY_RELU: { return select(v * param, v, v > 0.0); }
    case OP_ELU: { return select(param * expm1_(v), v, v > 0.0); }
    case OP_GELU: { return 0.5 * v * erfc_(-v * INV_SQRT2); }
    case OP_SILU: { return v * sigmoid_(v); }
    // max(v, 0) + log(1 + exp(-|v|)): exp never overflows.
    case OP_SOFTPLUS: { return max(v, 0.0) + log1p_(exp(-abs(v))); }
    case OP_FLOOR: { return floor(v); }
    case OP_CEIL: { return ceil(v); }
    // WGSL round() rounds half to even, as NumPy and PyTorch do.
    case OP_ROUND: { return round(v); }
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
