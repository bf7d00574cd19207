// argmax / argmin along one axis: the input is [outer, len, inner] and the output int32 [outer, inner].
// One thread per output; ties keep the first index (strict comparisons); a NaN wins, like PyTorch.
// ARGMIN: false = argmax. DTYPE 0 float32, else integer words.
// uses: math, dtype

struct Params {
  n_out: u32,
  len: u32,
  inner: u32,
}

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

override ARGMIN: bool;
override DTYPE: u32;
override WG: u32 = 256u;

// Whether candidate word `c` beats the current best `b`.
fn better(c: u32, b: u32) -> bool {
  if (DTYPE == DTYPE_F32) {
    if (is_nan_bits(b)) { return false; }
    if (is_nan_bits(c)) { return true; }
    let cf = bitcast<f32>(c);
    let bf = bitcast<f32>(b);
    return select(cf > bf, cf < bf, ARGMIN);
  }
  let ci = bitcast<i32>(c);
  let bi = bitcast<i32>(b);
  return select(ci > bi, ci < bi, ARGMIN);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = gid.x + gid.y * nwg.x * WG;
  if (o >= params.n_out) { return; }
  let outer = o / params.inner;
  let inner = o % params.inner;
  let base = outer * params.len * params.inner + inner;
  var best = x[base];
  var best_index = 0u;
  for (var j = 1u; j < params.len; j++) {
    let c = x[base + j * params.inner];
    if (better(c, best)) {
      best = c;
      best_index = j;
    }
  }
  y[o] = best_index;
}
