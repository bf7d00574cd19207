// The strided copy primitive: dst[dst_offset + sum(i_d * dst_strides_d)] =
// src[src_offset + sum(i_d * src_strides_d)] over `shape` (permute, transpose, slice, expand, cat,
// pad all come here). Words are copied raw, so one pipeline per RANK serves every dtype. The host
// merges dimensions that are contiguous in both layouts first, so a plain copy is RANK 1 and a
// transpose RANK 2 (one division per element).
//
// The entry point is kernels/lib/stream.wgsl (ELEMENTS elements per invocation, WG apart), and
// the rank is a constant so the index arithmetic is straight-line code.
// uses: stream

struct Params {
  n: u32,
  src_offset: u32,
  dst_offset: u32,
  // One entry per dimension, innermost first: (size, src stride, dst stride, unused).
  dims: array<vec4<u32>, 8>,
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

override RANK: u32 = 1u;
override WG: u32 = 64u;

// Peels one dimension off the row-major index `rem`, returning its offsets into src and dst.
fn peel(rem: ptr<function, u32>, dim: vec4<u32>) -> vec2<u32> {
  let q = *rem / dim.x;
  let coord = *rem - q * dim.x;
  *rem = q;
  return coord * dim.yz;
}

// The RANK tests are constants, so only the used dims remain, and the outermost coordinate is
// whatever the inner ones leave over (no division).
fn element(i: u32) {
  var rem = i;
  var off = vec2<u32>(params.src_offset, params.dst_offset);
  if (RANK > 1u) { off += peel(&rem, params.dims[0]); }
  if (RANK > 2u) { off += peel(&rem, params.dims[1]); }
  if (RANK > 3u) { off += peel(&rem, params.dims[2]); }
  if (RANK > 4u) { off += peel(&rem, params.dims[3]); }
  if (RANK > 5u) { off += peel(&rem, params.dims[4]); }
  if (RANK > 6u) { off += peel(&rem, params.dims[5]); }
  if (RANK > 7u) { off += peel(&rem, params.dims[6]); }
  off += rem * params.dims[RANK - 1u].yz;
  dst[off.y] = src[off.x];
}
