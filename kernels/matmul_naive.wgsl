// Reference matmul: one output element per thread, a plain dot product over k.
// Operand addressing as in matmul_register.wgsl (strides cover transposes and batch broadcast).

struct Params {
  m: u32,
  n: u32,
  k: u32,
  a_batch: u32,
  b_batch: u32,
  a_row: u32,
  a_col: u32,
  b_row: u32,
  b_col: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

override WG_X: u32 = 16u;
override WG_Y: u32 = 16u;

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y;
  let j = gid.x;
  if (i >= params.m || j >= params.n) { return; }
  let a_start = gid.z * params.a_batch + i * params.a_row;
  let b_start = gid.z * params.b_batch + j * params.b_col;
  var acc = 0.0;
  for (var p = 0u; p < params.k; p++) {
    acc += a[a_start + p * params.a_col] * b[b_start + p * params.b_row];
  }
  c[(gid.z * params.m + i) * params.n + j] = acc;
}
