// take_along_axis: out[o, i, n] = x[o, index[o, i, n], n], viewing the index (and the output) as
// [outer, index_len, inner] and x as [outer, data_len, inner]. Words are copied raw, so one
// pipeline serves every dtype. An index outside [0, data_len) reads 0 instead of memory out of
// bounds (the op layer documents this; it cannot be checked on the GPU without a readback).

struct Params {
  n: u32,
  inner: u32,
  index_len: u32,
  data_len: u32,
}

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read> index: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = gid.x + gid.y * nwg.x * WG;
  if (e >= params.n) { return; }
  let n = e % params.inner;
  let o = e / (params.inner * params.index_len);
  let at = index[e];
  let inside = at >= 0 && u32(at) < params.data_len;
  let source = (o * params.data_len + u32(select(0, at, inside))) * params.inner + n;
  out[e] = select(0u, x[source], inside);
}
