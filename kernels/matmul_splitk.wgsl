// Split-K matmul, first pass: for small outputs with a long k, parallelism comes from k instead of
// from m x n. Workgroup z = chunk * batch + b computes the partial product over one k-chunk of
// K_CHUNK (from params) and writes it to partial[chunk][b][i][j]; the host then sums the chunks with
// the reduce kernel. Operand addressing as in matmul_register.wgsl.

struct Params {
  m: u32,
  n: u32,
  k: u32,
  batch: u32,
  k_chunk: u32,
  a_batch: u32,
  b_batch: u32,
  a_row: u32,
  a_col: u32,
  b_row: u32,
  b_col: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

override WG_X: u32 = 16u;
override WG_Y: u32 = 16u;

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y;
  let j = gid.x;
  if (i >= params.m || j >= params.n) { return; }
  let chunk = gid.z / params.batch;
  let batch = gid.z % params.batch;
  let p0 = chunk * params.k_chunk;
  let p1 = min(p0 + params.k_chunk, params.k);
  let a_start = batch * params.a_batch + i * params.a_row;
  let b_start = batch * params.b_batch + j * params.b_col;
  var acc = 0.0;
  for (var p = p0; p < p1; p++) {
    acc += a[a_start + p * params.a_col] * b[b_start + p * params.b_row];
  }
  partial[(gid.z * params.m + i) * params.n + j] = acc;
}
