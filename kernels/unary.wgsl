// Elementwise unary functions (kernels/lib/unary_ops.wgsl). One pipeline per (OP, DTYPE) via
// override constants. Every dtype is stored as 32-bit words and reinterpreted with bitcast.
// uses: unary_ops, dtype, stream

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
override WG: u32 = 64u;

fn element(i: u32) {
  let w = x[i];
  if (OP == OP_LOGICAL_NOT) {
    // Zero (including -0.0 for floats) becomes true.
    let zero = select(w == 0u, (w & 0x7fffffffu) == 0u, DTYPE == DTYPE_F32);
    y[i] = select(0u, 1u, zero);
    return;
  }
  if (DTYPE == DTYPE_F32) {
    y[i] = bitcast<u32>(unary_f32(OP, bitcast<f32>(w), params.param));
  } else if (DTYPE == DTYPE_I32) {
    y[i] = bitcast<u32>(unary_i32(OP, bitcast<i32>(w), params.param));
  } else {
    // A bool result stays 0/1 whatever the function computed.
    y[i] = select(0u, 1u, unary_i32(OP, bitcast<i32>(w), params.param) != 0);
  }
}
