enable subgroups;

// moments.wgsl's one-workgroup-per-row mode with subgroup sums in place of the workgroup-memory
// tree: each thread folds a strided share of the row (Welford), then two subgroup sums give the
// mean (sum of count * mean) and the variance (sum of m2 + count * (mean_i - mean)^2, exact for
// merged Welford partials). Each sum needs one barrier to combine the subgroups' totals.

struct Params {
  rows: u32,
  kept_inner: u32,
  kept_outer_stride: u32,
  kept_inner_stride: u32,
  red_outer: u32,
  red_inner: u32,
  red_outer_stride: u32,
  red_inner_stride: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> mean: array<f32>;
@group(0) @binding(2) var<storage, read_write> variance: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

override WG: u32 = 256u;

// One slot per subgroup (at most WG of them, for subgroups of one).
var<workgroup> mean_parts: array<f32, WG>;
var<workgroup> m2_parts: array<f32, WG>;

struct Stats {
  count: f32,
  mean: f32,
  m2: f32,
}

fn row_start(o: u32) -> u32 {
  let outer = o / params.kept_inner;
  return outer * params.kept_outer_stride + (o - outer * params.kept_inner) * params.kept_inner_stride;
}

fn push(s: ptr<function, Stats>, v: f32) {
  (*s).count += 1.0;
  let delta = v - (*s).mean;
  (*s).mean += delta / (*s).count;
  (*s).m2 += delta * (v - (*s).mean);
}

fn fold(start: u32, first: u32, step: u32) -> Stats {
  var s = Stats(0.0, 0.0, 0.0);
  let total = params.red_outer * params.red_inner;
  var outer = first / params.red_inner;
  var inner = first - outer * params.red_inner;
  for (var r = first; r < total; r += step) {
    push(&s, x[start + outer * params.red_outer_stride + inner * params.red_inner_stride]);
    inner += step;
    while (inner >= params.red_inner) {
      inner -= params.red_inner;
      outer += 1u;
    }
  }
  return s;
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(subgroup_invocation_id) lane: u32,
  @builtin(subgroup_size) width: u32,
) {
  // The row index is uniform across the workgroup, so the barriers below are in uniform control flow.
  let o = wid.x + wid.y * nwg.x;
  if (o >= params.rows) { return; }
  let total = f32(params.red_outer * params.red_inner);
  let s = fold(row_start(o), lid, WG);
  // Subgroups of a 1-D workgroup cover consecutive local indices (as every Vulkan, Metal and D3D
  // implementation lays them out), so lid / width numbers them.
  let subgroups = (WG + width - 1u) / width;
  let weighted = subgroupAdd(s.count * s.mean);
  if (lane == 0u) { mean_parts[lid / width] = weighted; }
  workgroupBarrier();
  var sum = 0.0;
  for (var i = 0u; i < subgroups; i++) { sum += mean_parts[i]; }
  let m = sum / total;
  let d = s.mean - m;
  let spread = subgroupAdd(s.m2 + s.count * d * d);
  if (lane == 0u) { m2_parts[lid / width] = spread; }
  workgroupBarrier();
  if (lid == 0u) {
    var m2 = 0.0;
    for (var i = 0u; i < subgroups; i++) { m2 += m2_parts[i]; }
    mean[o] = m;
    variance[o] = m2 / total;
  }
}
