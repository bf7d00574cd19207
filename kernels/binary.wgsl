// Elementwise binary functions with NumPy broadcasting.
// The functions and their op codes are kernels/lib/binary_ops.wgsl.
// uses: binary_ops, dtype, stream
//
// The host merges dimensions (layout.ts) and picks a MODE for what is left:
//   0  a, b and out share one contiguous layout (same shapes): no index arithmetic at all;
//   1  b is a single element (tensor-scalar ops: optimizer updates, scaling);
//   2  a is a single element;
//   3  general broadcasting over RANK merged dims, as per-input element strides over the output
//      (stride 0 on a broadcast dim). Bias adds merge to RANK 2: one division per element.
//
// RANK is a constant so that the index arithmetic is straight-line code with constant uniform
// indices (SwiftShader runs loops and dynamically indexed vectors slowly).

struct Params {
  n: u32,
  // MODE 3: one entry per dimension, innermost first: (size, a stride, b stride, unused).
  dims: array<vec4<u32>, 8>,
}

@group(0) @binding(0) var<storage, read> a: array<u32>;
@group(0) @binding(1) var<storage, read> b: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

override OP: u32;
override DTYPE: u32;
override MODE: u32 = 0u;
override RANK: u32 = 1u;
override WG: u32 = 64u;

// Peels one dimension off the row-major index `rem`, returning its offsets into a and b.
fn peel(rem: ptr<function, u32>, dim: vec4<u32>) -> vec2<u32> {
  let q = *rem / dim.x;
  let coord = *rem - q * dim.x;
  *rem = q;
  return coord * dim.yz;
}

// Offsets into a and b of output element i. The RANK tests are constants, so only the used dims
// remain, and the outermost coordinate is whatever the inner ones leave over (no division).
fn offsets(i: u32) -> vec2<u32> {
  var rem = i;
  var off = vec2<u32>(0u);
  if (RANK > 1u) { off += peel(&rem, params.dims[0]); }
  if (RANK > 2u) { off += peel(&rem, params.dims[1]); }
  if (RANK > 3u) { off += peel(&rem, params.dims[2]); }
  if (RANK > 4u) { off += peel(&rem, params.dims[3]); }
  if (RANK > 5u) { off += peel(&rem, params.dims[4]); }
  if (RANK > 6u) { off += peel(&rem, params.dims[5]); }
  if (RANK > 7u) { off += peel(&rem, params.dims[6]); }
  return off + rem * params.dims[RANK - 1u].yz;
}

fn element(i: u32) {
  switch MODE {
    case 0u: { out[i] = binary_word(OP, DTYPE, a[i], b[i]); }
    case 1u: { out[i] = binary_word(OP, DTYPE, a[i], b[0]); }
    case 2u: { out[i] = binary_word(OP, DTYPE, a[0], b[i]); }
    default: {
      let o = offsets(i);
      out[i] = binary_word(OP, DTYPE, a[o.x], b[o.y]);
    }
  }
}
