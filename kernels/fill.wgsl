// Sets every element to one 32-bit pattern (the host encodes the value for the dtype).
// Shaped like binary.wgsl, for the same reasons (see there): ELEMENTS elements per invocation, WG apart.

struct Params {
  n: u32,
  bits: u32,
}

@group(0) @binding(0) var<storage, read_write> y: array<u32>;
@group(0) @binding(1) var<uniform> params: Params;

// ELEMENTS * WG elements per workgroup: the host's dispatch size (index.ts) assumes 8 * 64.
override WG: u32 = 64u;
const ELEMENTS = 8u;

fn element(i: u32) {
  y[i] = params.bits;
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
