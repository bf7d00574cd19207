// Reductions (sum, prod, max, min) over any set of axes.
// The input is viewed as two index spaces: the kept ("output") elements and the reduced elements,
// each a (host-merged) shape with the input's strides, so any axis set is one kernel.
// ROW_PER_WORKGROUP = false: one thread per output, looping over its reduced elements (many short rows).
// ROW_PER_WORKGROUP = true: one workgroup per output with a tree reduction (few long rows).
// OP codes follow REDUCE_OPS in src/backend/webgpu/codes.ts; DTYPE 0 float32, else integer words
// (bool rows are summed as int32, and max/min of 0/1 words are bools again).

struct Params {
  n_out: u32,
  n_red: u32,
  out_rank: u32,
  red_rank: u32,
  out_shape: array<vec4<u32>, 2>,
  out_strides: array<vec4<u32>, 2>,
  red_shape: array<vec4<u32>, 2>,
  red_strides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

override OP: u32;
override DTYPE: u32;
override ROW_PER_WORKGROUP: bool = false;
override WG: u32 = 256u;

var<workgroup> partial: array<u32, WG>;

fn identity() -> u32 {
  if (DTYPE == 0u) {
    switch OP {
      case 0u: { return bitcast<u32>(0.0f); }
      case 1u: { return bitcast<u32>(1.0f); }
      case 2u: { return 0xff800000u; }
      default: { return 0x7f800000u; }
    }
  }
  switch OP {
    case 0u: { return 0u; }
    case 1u: { return 1u; }
    case 2u: { return 0x80000000u; }
    default: { return 0x7fffffffu; }
  }
}

fn combine(p: u32, q: u32) -> u32 {
  if (DTYPE == 0u) {
    let a = bitcast<f32>(p);
    let b = bitcast<f32>(q);
    switch OP {
      case 0u: { return bitcast<u32>(a + b); }
      case 1u: { return bitcast<u32>(a * b); }
      case 2u: { return bitcast<u32>(max(a, b)); }
      default: { return bitcast<u32>(min(a, b)); }
    }
  }
  let a = bitcast<i32>(p);
  let b = bitcast<i32>(q);
  switch OP {
    case 0u: { return bitcast<u32>(a + b); }
    case 1u: { return bitcast<u32>(a * b); }
    case 2u: { return bitcast<u32>(max(a, b)); }
    default: { return bitcast<u32>(min(a, b)); }
  }
}

fn out_offset(o: u32) -> u32 {
  var rem = o;
  var off = 0u;
  for (var d = i32(params.out_rank) - 1; d >= 0; d--) {
    let size = params.out_shape[u32(d) / 4u][u32(d) % 4u];
    off += (rem % size) * params.out_strides[u32(d) / 4u][u32(d) % 4u];
    rem = rem / size;
  }
  return off;
}

fn red_offset(r: u32) -> u32 {
  var rem = r;
  var off = 0u;
  for (var d = i32(params.red_rank) - 1; d >= 0; d--) {
    let size = params.red_shape[u32(d) / 4u][u32(d) % 4u];
    off += (rem % size) * params.red_strides[u32(d) / 4u][u32(d) % 4u];
    rem = rem / size;
  }
  return off;
}

fn reduce_per_thread(o: u32) {
  if (o >= params.n_out) { return; }
  let base = out_offset(o);
  var acc = identity();
  if (params.red_rank == 1u) {
    // The common case (contiguous or single axis): a plain strided walk.
    let stride = params.red_strides[0][0];
    for (var r = 0u; r < params.n_red; r++) { acc = combine(acc, x[base + r * stride]); }
  } else {
    for (var r = 0u; r < params.n_red; r++) { acc = combine(acc, x[base + red_offset(r)]); }
  }
  y[o] = acc;
}

// `o` is the workgroup's index, uniform across it, so the barriers are in uniform control flow.
fn reduce_per_workgroup(o: u32, lid: u32) {
  if (o >= params.n_out) { return; }
  let base = out_offset(o);
  var acc = identity();
  for (var r = lid; r < params.n_red; r += WG) { acc = combine(acc, x[base + red_offset(r)]); }
  partial[lid] = acc;
  workgroupBarrier();
  for (var width = WG / 2u; width > 0u; width = width / 2u) {
    if (lid < width) { partial[lid] = combine(partial[lid], partial[lid + width]); }
    workgroupBarrier();
  }
  if (lid == 0u) { y[o] = partial[0]; }
}

@compute @workgroup_size(WG)
fn main(
  @builtin(global_invocation_id) gid: vec3<u32>,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  if (ROW_PER_WORKGROUP) {
    reduce_per_workgroup(wid.x + wid.y * nwg.x, lid);
  } else {
    reduce_per_thread(gid.x + gid.y * nwg.x * WG);
  }
}
