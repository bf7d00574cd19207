// out = cond ? a : b with all three broadcast to the output shape through per-input strides.
// Values are copied as raw 32-bit words, so one pipeline serves every dtype.

struct Params {
  n: u32,
  rank: u32,
  shape: array<vec4<u32>, 2>,
  cond_strides: array<vec4<u32>, 2>,
  a_strides: array<vec4<u32>, 2>,
  b_strides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<storage, read> cond: array<u32>;
@group(0) @binding(1) var<storage, read> a: array<u32>;
@group(0) @binding(2) var<storage, read> b: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;
@group(0) @binding(4) var<uniform> params: Params;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.n) { return; }
  var rem = i;
  var ic = 0u;
  var ia = 0u;
  var ib = 0u;
  for (var d = i32(params.rank) - 1; d >= 0; d--) {
    let q = u32(d) / 4u;
    let c = u32(d) % 4u;
    let size = params.shape[q][c];
    let coord = rem % size;
    rem = rem / size;
    ic += coord * params.cond_strides[q][c];
    ia += coord * params.a_strides[q][c];
    ib += coord * params.b_strides[q][c];
  }
  out[i] = select(b[ib], a[ia], cond[ic] != 0u);
}
