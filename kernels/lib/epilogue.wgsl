// The activations fused into a kernel's output (bias first), by code: EPILOGUES in
// src/backend/webgpu/codes.ts, checked against these constants by test/wgsl-library.test.ts.
// `act` is an override constant at every call, so the switch folds away.
// uses: math

const ACT_NONE = 0u;
const ACT_RELU = 1u;
const ACT_LEAKY_RELU = 2u;
const ACT_TANH = 3u;
const ACT_SIGMOID = 4u;
const ACT_SILU = 5u;

// `alpha`: leakyRelu's negative slope.
fn epilogue(act: u32, v: f32, alpha: f32) -> f32 {
  switch act {
    case ACT_RELU: { return max(v, 0.0); }
    case ACT_LEAKY_RELU: { return select(v * alpha, v, v > 0.0); }
    case ACT_TANH: { return tanh_(v); }
    case ACT_SIGMOID: { return sigmoid_(v); }
    case ACT_SILU: { return v * sigmoid_(v); }
    default: { return v; }
  }
}

// Four outputs of a register tile at once (branch-free tanh, see tanh4).
fn epilogue4(act: u32, v: vec4<f32>, alpha: f32) -> vec4<f32> {
  switch act {
    case ACT_RELU: { return max(v, vec4<f32>(0.0)); }
    case ACT_LEAKY_RELU: { return select(v * alpha, v, v > vec4<f32>(0.0)); }
    case ACT_TANH: { return tanh4(v); }
    case ACT_SIGMOID: { return sigmoid4(v); }
    case ACT_SILU: { return v * sigmoid4(v); }
    default: { return v; }
  }
}
