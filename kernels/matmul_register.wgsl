// Register-tiled matmul without workgroup memory or barriers: each thread accumulates an 8x16 tile
// of C in eight mat4x4 registers, stepping k four at a time and multiplying 4x4 blocks of A and B.
// On CPU implementations (SwiftShader) barriers are very costly and caches do the job of workgroup
// memory, so this is the fast variant there. The accumulators are named variables, not an array:
// SwiftShader keeps arrays in memory, which measured about 4x slower.
//
// Element (i, p) of A[batch] sits at batch * a_batch + i * a_row + p * a_col (B likewise with
// b_row for p and b_col for j), which covers transposes. When the contiguous dimension of an
// operand is a multiple of 4 (VEC_A / VEC_B) its blocks load as vec4s through the `a4` / `b4`
// aliases of the same buffers; otherwise scalars with edge guards. Rows and columns past the edge
// are clamped (their results are computed but never stored), which keeps the inner loop branch-free.
// The tile (8 x 16) is mirrored by REGISTER_TILE in src/backend/webgpu/matmul.ts.

struct Params {
  m: u32,
  n: u32,
  k: u32,
  a_batch: u32,
  b_batch: u32,
  a_row: u32,
  a_col: u32,
  b_row: u32,
  b_col: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

override TRANS_A: bool;
override TRANS_B: bool;
override VEC_A: bool;
override VEC_B: bool;
override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;

// 4x4 block of A: column q holds A(i0..i0+3, p+q). Rows past m are clamped, k past the end reads 0.
fn load_a(base: u32, i0: u32, p: u32, guarded: bool) -> mat4x4<f32> {
  if (VEC_A && !guarded) {
    if (TRANS_A) {
      let i = min(i0, params.m - 4u);
      let s = (base + i) / 4u;
      let step = params.a_col / 4u;
      return mat4x4<f32>(a4[s + p * step], a4[s + (p + 1u) * step], a4[s + (p + 2u) * step], a4[s + (p + 3u) * step]);
    }
    let last = params.m - 1u;
    let s = (base + p) / 4u;
    let step = params.a_row / 4u;
    return transpose(mat4x4<f32>(
      a4[s + min(i0, last) * step], a4[s + min(i0 + 1u, last) * step],
      a4[s + min(i0 + 2u, last) * step], a4[s + min(i0 + 3u, last) * step]));
  }
  var blk: mat4x4<f32>;
  for (var q = 0u; q < 4u; q++) {
    for (var r = 0u; r < 4u; r++) {
      let i = min(i0 + r, params.m - 1u);
      let inside = p + q < params.k;
      let index = select(0u, base + i * params.a_row + (p + q) * params.a_col, inside);
      blk[q][r] = select(0.0, a[index], inside);
    }
  }
  return blk;
}

// 4x4 block of B: column c holds B(p..p+3, j0+c).
fn load_b(base: u32, j0: u32, p: u32, guarded: bool) -> mat4x4<f32> {
  if (VEC_B && !guarded) {
    if (TRANS_B) {
      let last = params.n - 1u;
      let s = (base + p) / 4u;
      let step = params.b_col / 4u;
      return mat4x4<f32>(
        b4[s + min(j0, last) * step], b4[s + min(j0 + 1u, last) * step],
        b4[s + min(j0 + 2u, last) * step], b4[s + min(j0 + 3u, last) * step]);
    }
    let j = min(j0, params.n - 4u);
    let s = (base + j) / 4u;
    let step = params.b_row / 4u;
    return transpose(mat4x4<f32>(b4[s + p * step], b4[s + (p + 1u) * step], b4[s + (p + 2u) * step], b4[s + (p + 3u) * step]));
  }
  var blk: mat4x4<f32>;
  for (var col = 0u; col < 4u; col++) {
    for (var q = 0u; q < 4u; q++) {
      let j = min(j0 + col, params.n - 1u);
      let inside = p + q < params.k;
      let index = select(0u, base + (p + q) * params.b_row + j * params.b_col, inside);
      blk[col][q] = select(0.0, b[index], inside);
    }
  }
  return blk;
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row0 = gid.y * 8u;
  let col0 = gid.x * 16u;
  if (row0 >= params.m || col0 >= params.n) { return; }
  let batch = gid.z;
  let a_base = batch * params.a_batch;
  let b_base = batch * params.b_batch;
  var c00: mat4x4<f32>; var c01: mat4x4<f32>; var c02: mat4x4<f32>; var c03: mat4x4<f32>;
  var c10: mat4x4<f32>; var c11: mat4x4<f32>; var c12: mat4x4<f32>; var c13: mat4x4<f32>;
  let k_full = params.k & ~3u;
  for (var p = 0u; p < k_full; p += 4u) {
    let a0 = load_a(a_base, row0, p, false);
    let a1 = load_a(a_base, row0 + 4u, p, false);
    let b0 = load_b(b_base, col0, p, false);
    c00 += a0 * b0; c10 += a1 * b0;
    let b1 = load_b(b_base, col0 + 4u, p, false);
    c01 += a0 * b1; c11 += a1 * b1;
    let b2 = load_b(b_base, col0 + 8u, p, false);
    c02 += a0 * b2; c12 += a1 * b2;
    let b3 = load_b(b_base, col0 + 12u, p, false);
    c03 += a0 * b3; c13 += a1 * b3;
  }
  if (k_full < params.k) {
    let a0 = load_a(a_base, row0, k_full, true);
    let a1 = load_a(a_base, row0 + 4u, k_full, true);
    let b0 = load_b(b_base, col0, k_full, true);
    c00 += a0 * b0; c10 += a1 * b0;
    let b1 = load_b(b_base, col0 + 4u, k_full, true);
    c01 += a0 * b1; c11 += a1 * b1;
    let b2 = load_b(b_base, col0 + 8u, k_full, true);
    c02 += a0 * b2; c12 += a1 * b2;
    let b3 = load_b(b_base, col0 + 12u, k_full, true);
    c03 += a0 * b3; c13 += a1 * b3;
  }
  let c_base = batch * params.m * params.n;
  store_block(c_base, row0, col0, c00);
  store_block(c_base, row0, col0 + 4u, c01);
  store_block(c_base, row0, col0 + 8u, c02);
  store_block(c_base, row0, col0 + 12u, c03);
  store_block(c_base, row0 + 4u, col0, c10);
  store_block(c_base, row0 + 4u, col0 + 4u, c11);
  store_block(c_base, row0 + 4u, col0 + 8u, c12);
  store_block(c_base, row0 + 4u, col0 + 12u, c13);
}

fn store_block(base: u32, i0: u32, j0: u32, blk: mat4x4<f32>) {
  for (var r = 0u; r < 4u; r++) {
    let i = i0 + r;
    if (i >= params.m) { return; }
    for (var col = 0u; col < 4u; col++) {
      let j = j0 + col;
      if (j < params.n) { c[base + i * params.n + j] = blk[col][r]; }
    }
  }
}
