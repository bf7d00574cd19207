// Mean and biased variance of rows, in one pass over the input (Welford's update, robust far
// from zero). Row o starts at (o / kept_inner) * kept_outer_stride + (o % kept_inner) *
// kept_inner_stride and holds red_outer x red_inner elements at those strides: the host folds any
// axis set of a norm into this two-level shape.
// ROW_PER_WORKGROUP = false: one thread per row (many short rows; and CPU adapters, where a thread
// streaming a long row beats barriers). ROW_PER_WORKGROUP = true: one workgroup per row; each
// thread folds a strided share, then partial statistics merge pairwise (Chan et al.) through
// workgroup memory. moments_subgroups.wgsl is the same with subgroup sums.

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

override ROW_PER_WORKGROUP: bool = false;
override WG: u32 = 256u;

var<workgroup> counts: array<f32, WG>;
var<workgroup> means: array<f32, WG>;
var<workgroup> m2s: array<f32, WG>;

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

// Elements first, first + step, ... of the row (flat index over red_outer x red_inner), walking
// the two-level index without a division per element.
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

fn merge(a: Stats, b: Stats) -> Stats {
  let count = a.count + b.count;
  if (count == 0.0) { return a; }
  let delta = b.mean - a.mean;
  let share = b.count / count;
  return Stats(count, a.mean + delta * share, a.m2 + b.m2 + delta * delta * a.count * share);
}

fn row_per_thread(o: u32) {
  if (o >= params.rows) { return; }
  let s = fold(row_start(o), 0u, 1u);
  mean[o] = s.mean;
  variance[o] = s.m2 / s.count;
}

// `o` is the workgroup's index, uniform across it, so the barriers are in uniform control flow.
fn row_per_workgroup(o: u32, lid: u32) {
  if (o >= params.rows) { return; }
  let s = fold(row_start(o), lid, WG);
  counts[lid] = s.count;
  means[lid] = s.mean;
  m2s[lid] = s.m2;
  workgroupBarrier();
  for (var width = WG / 2u; width > 0u; width = width / 2u) {
    if (lid < width) {
      let m = merge(Stats(counts[lid], means[lid], m2s[lid]), Stats(counts[lid + width], means[lid + width], m2s[lid + width]));
      counts[lid] = m.count;
      means[lid] = m.mean;
      m2s[lid] = m.m2;
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    mean[o] = means[0];
    variance[o] = m2s[0] / counts[0];
  }
}

@compute @workgroup_size(WG)
fn main(
  @builtin(global_invocation_id) gid: vec3<u32>,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  if (ROW_PER_WORKGROUP) {
    row_per_workgroup(wid.x + wid.y * nwg.x, lid);
  } else {
    row_per_thread(gid.x + gid.y * nwg.x * WG);
  }
}
