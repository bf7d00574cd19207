// Reductions (sum, prod, max, min) over any set of axes.
// The input is viewed as two index spaces: the kept ("output") elements and the reduced elements,
// each a host-merged shape with the input's strides, so any axis set is one kernel. Both ranks are
// override constants (OUT_RANK, RED_RANK) so the index arithmetic is straight-line code (no loops,
// no dynamic vec4-component indexing; see copy.wgsl).
// ROW_PER_WORKGROUP = false: one thread per output, looping over its reduced elements (many rows).
// ROW_PER_WORKGROUP = true: one workgroup per (output, chunk of its reduced elements), with a small
// tree at the end; with several chunks per output the host reduces the chunk partials in a second
// dispatch (full reductions get many workgroups instead of one).
// OP: the OP_* codes below, REDUCE_OPS in src/backend/webgpu/codes.ts (test/wgsl-library.test.ts
// checks them); DTYPE float32, else integer words
// (bool rows are summed as int32, and max/min of 0/1 words are bools again).
// uses: math, dtype

struct Params {
  n_out: u32,
  n_red: u32,
  n_chunks: u32,
  chunk_len: u32,
  // One entry per dimension, innermost first: (size, stride, unused, unused).
  out_dims: array<vec4<u32>, 8>,
  red_dims: array<vec4<u32>, 8>,
}

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

const OP_SUM = 0u;
const OP_PROD = 1u;
const OP_MAX = 2u;
const OP_MIN = 3u;

override OP: u32;
override DTYPE: u32;
override ROW_PER_WORKGROUP: bool = false;
override OUT_RANK: u32 = 1u;
override RED_RANK: u32 = 1u;
override WG: u32 = 64u;

var<workgroup> partial: array<u32, WG>;

fn identity() -> u32 {
  if (DTYPE == DTYPE_F32) {
    switch OP {
      case OP_SUM: { return bitcast<u32>(0.0f); }
      case OP_PROD: { return bitcast<u32>(1.0f); }
      case OP_MAX: { return 0xff800000u; }
      default: { return 0x7f800000u; }
    }
  }
  switch OP {
    case OP_SUM: { return 0u; }
    case OP_PROD: { return 1u; }
    case OP_MAX: { return 0x80000000u; }
    default: { return 0x7fffffffu; }
  }
}

// NaN tested on the bits: WGSL's max/min may return either operand for a NaN, and compilers may
// assume floats are never NaN, so a float test could be folded away.
fn combine(p: u32, q: u32) -> u32 {
  if (DTYPE == DTYPE_F32) {
    let a = bitcast<f32>(p);
    let b = bitcast<f32>(q);
    switch OP {
      case OP_SUM: { return bitcast<u32>(a + b); }
      case OP_PROD: { return bitcast<u32>(a * b); }
      default: {
        // max and min propagate NaN, as PyTorch's do (and the CPU backend's).
        if (is_nan_bits(p)) { return p; }
        if (is_nan_bits(q)) { return q; }
        if (OP == OP_MAX) { return bitcast<u32>(max(a, b)); }
        return bitcast<u32>(min(a, b));
      }
    }
  }
  let a = bitcast<i32>(p);
  let b = bitcast<i32>(q);
  switch OP {
    case OP_SUM: { return bitcast<u32>(a + b); }
    case OP_PROD: { return bitcast<u32>(a * b); }
    case OP_MAX: { return bitcast<u32>(max(a, b)); }
    default: { return bitcast<u32>(min(a, b)); }
  }
}

// Peels one dimension off the row-major index `rem`, returning its offset.
fn peel(rem: ptr<function, u32>, dim: vec4<u32>) -> u32 {
  let q = *rem / dim.x;
  let coord = *rem - q * dim.x;
  *rem = q;
  return coord * dim.y;
}

fn out_offset(o: u32) -> u32 {
  if (OUT_RANK == 0u) { return 0u; }
  var rem = o;
  var off = 0u;
  if (OUT_RANK > 1u) { off += peel(&rem, params.out_dims[0]); }
  if (OUT_RANK > 2u) { off += peel(&rem, params.out_dims[1]); }
  if (OUT_RANK > 3u) { off += peel(&rem, params.out_dims[2]); }
  if (OUT_RANK > 4u) { off += peel(&rem, params.out_dims[3]); }
  if (OUT_RANK > 5u) { off += peel(&rem, params.out_dims[4]); }
  if (OUT_RANK > 6u) { off += peel(&rem, params.out_dims[5]); }
  if (OUT_RANK > 7u) { off += peel(&rem, params.out_dims[6]); }
  return off + rem * params.out_dims[max(OUT_RANK, 1u) - 1u].y;
}

fn red_offset(r: u32) -> u32 {
  if (RED_RANK == 0u) { return 0u; }
  var rem = r;
  var off = 0u;
  if (RED_RANK > 1u) { off += peel(&rem, params.red_dims[0]); }
  if (RED_RANK > 2u) { off += peel(&rem, params.red_dims[1]); }
  if (RED_RANK > 3u) { off += peel(&rem, params.red_dims[2]); }
  if (RED_RANK > 4u) { off += peel(&rem, params.red_dims[3]); }
  if (RED_RANK > 5u) { off += peel(&rem, params.red_dims[4]); }
  if (RED_RANK > 6u) { off += peel(&rem, params.red_dims[5]); }
  if (RED_RANK > 7u) { off += peel(&rem, params.red_dims[6]); }
  return off + rem * params.red_dims[max(RED_RANK, 1u) - 1u].y;
}

// Combines x[base + offset(r)] for r = first, first + step, ... below end.
fn walk(base: u32, first: u32, end: u32, step: u32) -> u32 {
  var acc = identity();
  if (RED_RANK <= 1u) {
    let stride = params.red_dims[0].y;
    let jump = step * stride;
    var off = base + first * stride;
    for (var r = first; r < end; r += step) {
      acc = combine(acc, x[off]);
      off += jump;
    }
  } else if (RED_RANK == 2u) {
    // Two reduced dims (e.g. batch and spatial of NCHW): carry the inner coordinate by hand
    // instead of dividing per element. u32 wrap-around keeps the offset arithmetic exact.
    let inner = params.red_dims[0];
    let outer_stride = params.red_dims[1].y;
    var i1 = first % inner.x;
    var off = base + (first / inner.x) * outer_stride + i1 * inner.y;
    let carry = outer_stride - inner.x * inner.y;
    for (var r = first; r < end; r += step) {
      acc = combine(acc, x[off]);
      i1 += step;
      off += step * inner.y;
      if (i1 >= inner.x) {
        let q = i1 / inner.x;
        i1 -= q * inner.x;
        off += q * carry;
      }
    }
  } else {
    for (var r = first; r < end; r += step) { acc = combine(acc, x[base + red_offset(r)]); }
  }
  return acc;
}

fn reduce_per_thread(o: u32) {
  if (o >= params.n_out) { return; }
  y[o] = walk(out_offset(o), 0u, params.n_red, 1u);
}

// `w` is the workgroup's index, uniform across it, so the barriers are in uniform control flow.
fn reduce_per_workgroup(w: u32, lid: u32) {
  if (w >= params.n_out * params.n_chunks) { return; }
  let o = w / params.n_chunks;
  let start = (w - o * params.n_chunks) * params.chunk_len;
  let end = min(start + params.chunk_len, params.n_red);
  partial[lid] = walk(out_offset(o), start + lid, end, WG);
  workgroupBarrier();
  for (var width = WG / 2u; width > 0u; width = width / 2u) {
    if (lid < width) { partial[lid] = combine(partial[lid], partial[lid + width]); }
    workgroupBarrier();
  }
  if (lid == 0u) { y[w] = partial[0]; }
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
