// The strided copy primitive: dst[dst_offset + sum(i_d * dst_strides_d)] =
// src[src_offset + sum(i_d * src_strides_d)] over `shape`. Words are copied raw, so one pipeline
// serves every dtype. The host merges dimensions that are contiguous in both layouts first.

struct Params {
  n: u32,
  rank: u32,
  src_offset: u32,
  dst_offset: u32,
  shape: array<vec4<u32>, 2>,
  src_strides: array<vec4<u32>, 2>,
  dst_strides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.n) { return; }
  var rem = i;
  var is = params.src_offset;
  var id = params.dst_offset;
  for (var d = i32(params.rank) - 1; d >= 0; d--) {
    let q = u32(d) / 4u;
    let c = u32(d) % 4u;
    let size = params.shape[q][c];
    let coord = rem % size;
    rem = rem / size;
    is += coord * params.src_strides[q][c];
    id += coord * params.dst_strides[q][c];
  }
  dst[id] = src[is];
}
