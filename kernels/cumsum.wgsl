// Inclusive cumulative sum along one axis of a tensor viewed as [outer, len, inner]: one thread per
// (outer, inner) line, summing sequentially in float32 (or wrapping int32). The sequential order is
// what the CPU reference rounds in, so CDFs built here match it bit for bit (same-seed sampling).
// DTYPE: 0 float32, 1 int32.
// uses: dtype

struct Params {
  lines: u32,
  len: u32,
  inner: u32,
}

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

override DTYPE: u32;
override WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let line = gid.x + gid.y * nwg.x * WG;
  if (line >= params.lines) { return; }
  let n = line % params.inner;
  let o = line / params.inner;
  var at = o * params.len * params.inner + n;
  if (DTYPE == DTYPE_I32) {
    var acc = 0i;
    for (var i = 0u; i < params.len; i++) {
      acc += bitcast<i32>(x[at]);
      y[at] = bitcast<u32>(acc);
      at += params.inner;
    }
    return;
  }
  var acc = 0.0f;
  for (var i = 0u; i < params.len; i++) {
    acc += bitcast<f32>(x[at]);
    y[at] = bitcast<u32>(acc);
    at += params.inner;
  }
}
