// The entry point of the streaming kernels (fill, unary, binary, where, cast, copy, the fused
// elementwise chains). The kernel defines `element(i)`, an override `WG` and `params.n`.
//
// Why it is shaped like this: on CPU implementations (SwiftShader) an invocation costs far more
// than the arithmetic, both sides of a branch run under lane masks, and loops are slow. So every
// invocation handles ELEMENTS elements WG apart (neighbouring invocations still touch neighbouring
// words, which both GPUs and SwiftShader turn into wide accesses). The host's dispatch size
// (STREAM_BLOCK in src/backend/webgpu/index.ts) assumes ELEMENTS * WG = 8 * 64 per workgroup.
const ELEMENTS = 8u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // Grids over the per-dimension limit are folded into 2D by the host (the overshoot fails both tests below).
  let first = (wid.x + wid.y * nwg.x) * (ELEMENTS * WG) + lid;
  // A whole block is straight-line code without guards. The partial last block goes through a
  // loop: SwiftShader runs the code of an untaken branch under an empty lane mask, but skips a loop
  // that no lane enters, so the guarded form costs nothing elsewhere.
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
