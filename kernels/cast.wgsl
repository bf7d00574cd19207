// dtype conversion. FROM / TO: 0 float32, 1 int32, 2 bool (one 0/1 word per element).
// float -> int truncates toward zero; anything -> bool is (x != 0).
// Shaped like binary.wgsl, for the same reasons (see there): ELEMENTS elements per invocation, WG apart.

struct Params {
  n: u32,
}

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

override FROM: u32;
override TO: u32;
// ELEMENTS * WG elements per workgroup: the host's dispatch size (index.ts) assumes 8 * 64.
override WG: u32 = 64u;
const ELEMENTS = 8u;

fn element(i: u32) {
  let w = x[i];
  var r = w;
  if (TO == 2u) {
    // -0.0 is zero too; a NaN is non-zero, as in C and NumPy.
    r = select(select(0u, 1u, w != 0u), select(0u, 1u, (w & 0x7fffffffu) != 0u), FROM == 0u);
  } else if (FROM == 0u && TO == 1u) {
    let v = bitcast<f32>(w);
    // NaN converts to 0 like a typed-array store; out-of-range values saturate.
    r = bitcast<u32>(select(i32(v), 0, (w & 0x7fffffffu) > 0x7f800000u));
  } else if (FROM != 0u && TO == 0u) {
    r = bitcast<u32>(f32(bitcast<i32>(w)));
  }
  y[i] = r;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let first = (wid.x + wid.y * nwg.x) * (ELEMENTS * WG) + lid;
  // Whole blocks unguarded, the partial last block in a loop (see binary.wgsl for why).
  if (first + (ELEMENTS - 1u) * WG < params.n) {
    element(first);
    element(first + WG);
    element(first + 2u * WG);
    element(first + 3u * WG);
    element(first + 4u * WG);
    element(first + 5u * WG);
    element(first + 6u * WG);
    element(first + 7u * WG);
    return;
  }
  for (var i = first; i < params.n; i += WG) {
    element(i);
  }
}
