// Scatter-add, the adjoint of gather.wgsl: out[o, index[o, i, n], n] += src[o, i, n], with `out`
// zero-filled beforehand. One thread per source element; colliding indices (an embedding row used
// twice) meet in an atomic add. float32 has no atomic add in WGSL, so it is a compare-exchange loop
// on the bits, which makes the summation order (and so the last bits of a sum) run-dependent.
// Indices outside [0, data_len) are dropped. DTYPE: 0 float32, 1 int32.
// uses: dtype

struct Params {
  n: u32,
  inner: u32,
  index_len: u32,
  data_len: u32,
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read> index: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<atomic<u32>>;
@group(0) @binding(3) var<uniform> params: Params;

override DTYPE: u32;
override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = gid.x + gid.y * nwg.x * WG;
  if (e >= params.n) { return; }
  let at = index[e];
  if (at < 0 || u32(at) >= params.data_len) { return; }
  let n = e % params.inner;
  let o = e / (params.inner * params.index_len);
  let slot = (o * params.data_len + u32(at)) * params.inner + n;
  let value = src[e];
  if (DTYPE == DTYPE_I32) {
    // Two's-complement addition is the same on u32 and i32 words.
    atomicAdd(&out[slot], value);
    return;
  }
  var old = atomicLoad(&out[slot]);
  loop {
    let sum = bitcast<u32>(bitcast<f32>(old) + bitcast<f32>(value));
    let result = atomicCompareExchangeWeak(&out[slot], old, sum);
    if (result.exchanged) { break; }
    old = result.old_value;
  }
}
