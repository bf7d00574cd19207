// out = cond ? a : b with all three broadcast to the output shape through per-input strides.
// Values are copied as raw 32-bit words, so one pipeline per RANK serves every dtype.
//
// The entry point is kernels/lib/stream.wgsl (ELEMENTS elements per invocation, WG apart), and
// the merged rank is a constant so the index arithmetic is straight-line code.
// RANK 0 means all three operands are laid out like the output (no index arithmetic at all).
// uses: stream

struct Params {
  n: u32,
  // RANK >= 1: one entry per dimension, innermost first: (size, cond stride, a stride, b stride).
  dims: array<vec4<u32>, 8>,
}

@group(0) @binding(0) var<storage, read> cond: array<u32>;
@group(0) @binding(1) var<storage, read> a: array<u32>;
@group(0) @binding(2) var<storage, read> b: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;
@group(0) @binding(4) var<uniform> params: Params;

override RANK: u32 = 0u;
override WG: u32 = 64u;

// Peels one dimension off the row-major index `rem`, returning its offsets into cond, a and b.
fn peel(rem: ptr<function, u32>, dim: vec4<u32>) -> vec3<u32> {
  let q = *rem / dim.x;
  let coord = *rem - q * dim.x;
  *rem = q;
  return coord * dim.yzw;
}

// The RANK tests are constants, so only the used dims remain, and the outermost coordinate is
// whatever the inner ones leave over (no division).
fn offsets(i: u32) -> vec3<u32> {
  var rem = i;
  var off = vec3<u32>(0u);
  if (RANK > 1u) { off += peel(&rem, params.dims[0]); }
  if (RANK > 2u) { off += peel(&rem, params.dims[1]); }
  if (RANK > 3u) { off += peel(&rem, params.dims[2]); }
  if (RANK > 4u) { off += peel(&rem, params.dims[3]); }
  if (RANK > 5u) { off += peel(&rem, params.dims[4]); }
  if (RANK > 6u) { off += peel(&rem, params.dims[5]); }
  if (RANK > 7u) { off += peel(&rem, params.dims[6]); }
  return off + rem * params.dims[max(RANK, 1u) - 1u].yzw;
}

fn element(i: u32) {
  if (RANK == 0u) {
    out[i] = select(b[i], a[i], cond[i] != 0u);
    return;
  }
  let o = offsets(i);
  out[i] = select(b[o.z], a[o.y], cond[o.x] != 0u);
}
