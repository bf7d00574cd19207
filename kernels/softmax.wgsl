// Softmax / log-softmax along the last axis of a dense [rows, width] float32 tensor.
// One read pass keeps an online (running max, rescaled sum) pair, so the row is read twice in all
// (once for the statistics, once to write) and exp never sees a positive argument.
// ROW_PER_WORKGROUP = false: one thread per row, no barriers (CPU adapters; short rows).
// ROW_PER_WORKGROUP = true: one workgroup per row, lanes stride the row and merge their pairs in a
// tree (hardware GPUs, where a row per thread would leave most lanes idle; a few very long rows on
// any adapter). src/backend/webgpu/softmax.ts chooses.
// LOG = true writes x - max - log(sum) instead of exp(x - max) / sum.
// A row holding NaN or +inf is all NaN, as in PyTorch (there exp(inf - inf) poisons the sum): the
// sum is set to NaN, which merges carry, and write_row writes NaN for it. The tests are on bits,
// since comparisons with NaN may be optimised away.
// uses: math

struct Params {
  rows: u32,
  width: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

override LOG: bool;
override ROW_PER_WORKGROUP: bool = false;
override WG: u32 = 64u;

var<workgroup> partial_max: array<f32, WG>;
var<workgroup> partial_sum: array<f32, WG>;

// Built at run time: a constant-folded bitcast to -inf is a shader-creation error.
fn neg_inf() -> f32 {
  return bitcast<f32>(0xff800000u | (params.rows & 0u));
}

// Merges (m, s) and (m2, s2), where s = sum exp(x - m): rescale both sums to the larger max.
// With both maxima -inf the sums are 0 and stay 0 (no -inf - -inf).
fn merge(m: f32, s: f32, m2: f32, s2: f32) -> vec2<f32> {
  let top = max(m, m2);
  if (is_nan(s) || is_nan(s2)) { return vec2<f32>(top, from_bits(0x7fc00000u)); }
  if (top == m2 && top == m) { return vec2<f32>(top, s + s2); }
  return vec2<f32>(top, s * exp(m - top) + s2 * exp(m2 - top));
}

// NaN or +inf (not -inf, which only adds nothing to the sum).
fn poisons(v: f32) -> bool {
  let w = bitcast<u32>(v);
  return (w & 0x7fffffffu) >= 0x7f800000u && w != 0xff800000u;
}

fn write_row(base: u32, first: u32, stride: u32, stats: vec2<f32>) {
  if (is_nan(stats.y)) {
    for (var j = first; j < params.width; j += stride) { y[base + j] = from_bits(0x7fc00000u); }
    return;
  }
  // An all -inf row: shift by 0 so outputs are exp(-inf) = 0 / 0 (NaN, as the CPU) or -inf - log 0.
  let shift = select(stats.x, 0.0, stats.x == neg_inf());
  let log_total = log(stats.y);
  let inv_total = 1.0 / stats.y;
  for (var j = first; j < params.width; j += stride) {
    // Shift first: at |x| ~ 1e4, x - (max + log sum) would lose log sum's low bits to rounding.
    let shifted = x[base + j] - shift;
    y[base + j] = select(exp(shifted) * inv_total, shifted - log_total, LOG);
  }
}

fn row_per_thread(row: u32) {
  if (row >= params.rows) { return; }
  let base = row * params.width;
  var m = neg_inf();
  var s = 0.0;
  var poisoned = false;
  for (var j = 0u; j < params.width; j++) {
    let v = x[base + j];
    poisoned = poisoned || poisons(v);
    if (v > m) {
      s = s * exp(m - v) + 1.0;
      m = v;
    } else if (v > neg_inf()) {
      // (-inf adds nothing, and exp(-inf - -inf) would be NaN.)
      s += exp(v - m);
    }
  }
  write_row(base, 0u, 1u, vec2<f32>(m, select(s, from_bits(0x7fc00000u), poisoned)));
}

// `row` is the workgroup's index, uniform across it, so the barriers are in uniform control flow.
fn row_per_workgroup(row: u32, lid: u32) {
  if (row >= params.rows) { return; }
  let base = row * params.width;
  var m = neg_inf();
  var s = 0.0;
  var poisoned = false;
  for (var j = lid; j < params.width; j += WG) {
    let v = x[base + j];
    poisoned = poisoned || poisons(v);
    if (v > m) {
      s = s * exp(m - v) + 1.0;
      m = v;
    } else if (v > neg_inf()) {
      s += exp(v - m);
    }
  }
  partial_max[lid] = m;
  partial_sum[lid] = select(s, from_bits(0x7fc00000u), poisoned);
  workgroupBarrier();
  for (var width = WG / 2u; width > 0u; width = width / 2u) {
    if (lid < width) {
      let merged = merge(partial_max[lid], partial_sum[lid], partial_max[lid + width], partial_sum[lid + width]);
      partial_max[lid] = merged.x;
      partial_sum[lid] = merged.y;
    }
    workgroupBarrier();
  }
  write_row(base, lid, WG, vec2<f32>(partial_max[0], partial_sum[0]));
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
