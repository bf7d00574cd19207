// Implicit-GEMM convolution: conv2d's forward pass and its input gradient (transposed convolution).
//
// Both are one correlation form, per sample n and group g:
//   out[r, (ch, cw)] = sum over taps (c, th, tw) of A[r, c, th, tw] * src[c, ch*row_mul + row_base + th*tap_h,
//                                                                      cw*col_mul + col_base + tw*tap_w]
// with zeros outside src. Forward: r = output channel, taps = (input channel, kh, kw), the source
// row is oh*stride - pad + kh*dilation. Input gradient: the host splits the output into stride
// phases; within one phase only every (stride / gcd)-th kernel row can reach an output row, at a
// fixed offset, so each phase is a stride-1 correlation over gy with no wasted taps (a 2x2-stride
// transposed conv does a quarter of the naive work). Strides and offsets in Params say where A,
// src and out elements live; nothing else differs.
//
// Each thread owns a 16 x 8 tile of out (16 rows, 8 positions) in eight named mat4x4 registers
// (arrays are slow on CPU adapters) and adds one rank-1 product per tap. No workgroup memory and
// no barriers: on CPU adapters (SwiftShader) caches do that job and barriers are costly. Rows past
// the end are clamped when loading and skipped when storing; positions past the end gather zeros.

struct Params {
  rows: u32,
  cols_h: u32,
  cols_w: u32,
  taps_c: u32,
  taps_h: u32,
  taps_w: u32,
  src_h: u32,
  src_w: u32,
  src_channels: u32,
  row_mul: i32,
  row_base: i32,
  tap_h: i32,
  col_mul: i32,
  col_base: i32,
  tap_w: i32,
  // The weights arrive packed as [group][tap][rows rounded up to 4], in vec4s: a tap's rows are contiguous.
  a_group: u32,
  a_tap: u32,
  out_base: u32,
  out_batch: u32,
  out_chan: u32,
  out_h: u32,
  out_w: u32,
  groups: u32,
  alpha: f32,
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> weight: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

override HAS_BIAS: bool = false;
// 0 none, 1 relu, 2 leakyRelu, 3 tanh, 4 sigmoid, 5 silu (EPILOGUES in src/backend/webgpu/conv.ts).
override ACTIVATION: u32 = 0u;
override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;

fn activate(v: vec4<f32>) -> vec4<f32> {
  switch ACTIVATION {
    case 1u: { return max(v, vec4<f32>(0.0)); }
    case 2u: { return select(v * params.alpha, v, v > vec4<f32>(0.0)); }
    case 3u: {
      // tanh|v| = (1 - e) / (1 + e) with e = exp(-2|v|) <= 1: nothing overflows.
      let e = exp(-2.0 * abs(v));
      return sign(v) * (1.0 - e) / (1.0 + e);
    }
    case 4u: { return sigmoid(v); }
    case 5u: { return v * sigmoid(v); }
    default: { return v; }
  }
}

fn sigmoid(v: vec4<f32>) -> vec4<f32> {
  // Only a non-positive number is exponentiated, so nothing overflows.
  let e = exp(-abs(v));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= vec4<f32>(0.0));
}

// The source values of four positions (rows `rows`, columns `cols` before the tap offsets) at tap
// (c, th, tw) of sample n and group g; zero outside the source and for a tap past the end.
fn gather(base: i32, c: u32, th: u32, tw: u32, rows: vec4<i32>, cols: vec4<i32>, valid: bool) -> vec4<f32> {
  let r = rows + i32(th) * params.tap_h;
  let q = cols + i32(tw) * params.tap_w;
  let ok = (r >= vec4<i32>(0)) & (r < vec4<i32>(i32(params.src_h))) & (q >= vec4<i32>(0)) & (q < vec4<i32>(i32(params.src_w))) & vec4<bool>(valid);
  let i = vec4<u32>(select(vec4<i32>(0), base + i32(c * params.src_h * params.src_w) + r * i32(params.src_w) + q, ok));
  return select(vec4<f32>(0.0), vec4<f32>(src[i.x], src[i.y], src[i.z], src[i.w]), ok);
}

// Four rows of A (a row block at `at`) at flat tap k; zero past the last tap.
fn load_a(at: u32, k: u32, valid: bool) -> vec4<f32> {
  return select(vec4<f32>(0.0), weight[at + select(0u, k, valid) * params.a_tap], valid);
}

// The next tap in (c, th, tw) order.
fn advance(c: ptr<function, u32>, th: ptr<function, u32>, tw: ptr<function, u32>) {
  *tw += 1u;
  if (*tw == params.taps_w) {
    *tw = 0u;
    *th += 1u;
    if (*th == params.taps_h) {
      *th = 0u;
      *c += 1u;
    }
  }
}

fn store_block(n: u32, g: u32, row0: u32, col0: u32, blk: mat4x4<f32>) {
  if (row0 >= params.rows) { return; }
  let cols = params.cols_h * params.cols_w;
  let base = params.out_base + n * params.out_batch;
  var shift = vec4<f32>(0.0);
  if (HAS_BIAS) {
    let r = g * params.rows + min(vec4<u32>(row0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(params.rows - 1u));
    shift = vec4<f32>(bias[r.x], bias[r.y], bias[r.z], bias[r.w]);
  }
  for (var c = 0u; c < 4u; c++) {
    let col = col0 + c;
    if (col >= cols) { return; }
    let ch = col / params.cols_w;
    let at = base + ch * params.out_h + (col - ch * params.cols_w) * params.out_w + (g * params.rows + row0) * params.out_chan;
    let v = activate(blk[c] + shift);
    let rows = params.rows - row0;
    out[at] = v.x;
    if (rows > 1u) { out[at + params.out_chan] = v.y; }
    if (rows > 2u) { out[at + 2u * params.out_chan] = v.z; }
    if (rows > 3u) { out[at + 3u * params.out_chan] = v.w; }
  }
}

// Source rows and columns of the four positions col0..col0+3 (a row far out of range past the end).
fn position_rows(col0: u32) -> vec4<i32> {
  let col = vec4<u32>(col0) + vec4<u32>(0u, 1u, 2u, 3u);
  let rows = vec4<i32>(col / params.cols_w) * params.row_mul + params.row_base;
  return select(vec4<i32>(-0x40000000), rows, col < vec4<u32>(params.cols_h * params.cols_w));
}

fn position_cols(col0: u32) -> vec4<i32> {
  let col = vec4<u32>(col0) + vec4<u32>(0u, 1u, 2u, 3u);
  return vec4<i32>(col % params.cols_w) * params.col_mul + params.col_base;
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row0 = gid.y * 16u;
  let col0 = gid.x * 8u;
  if (row0 >= params.rows || col0 >= params.cols_h * params.cols_w) { return; }
  let n = gid.z / params.groups;
  let g = gid.z - n * params.groups;

  // Row blocks past the last one re-read it (their results are never stored).
  let last_block = (params.rows - 1u) / 4u;
  let row_block = row0 / 4u;
  let a0_at = g * params.a_group + min(row_block, last_block);
  let a1_at = g * params.a_group + min(row_block + 1u, last_block);
  let a2_at = g * params.a_group + min(row_block + 2u, last_block);
  let a3_at = g * params.a_group + min(row_block + 3u, last_block);
  let rows0 = position_rows(col0);
  let rows1 = position_rows(col0 + 4u);
  let cols0 = position_cols(col0);
  let cols1 = position_cols(col0 + 4u);

  var c00: mat4x4<f32>; var c01: mat4x4<f32>;
  var c10: mat4x4<f32>; var c11: mat4x4<f32>;
  var c20: mat4x4<f32>; var c21: mat4x4<f32>;
  var c30: mat4x4<f32>; var c31: mat4x4<f32>;
  let base = i32((n * params.src_channels + g * params.taps_c) * params.src_h * params.src_w);
  let taps = params.taps_c * params.taps_h * params.taps_w;
  var c = 0u;
  var th = 0u;
  var tw = 0u;
  // Four taps per step: the accumulators are read and written once per four rank-1 products.
  for (var k = 0u; k < taps; k += 4u) {
    let v0 = k < taps;
    let b00 = gather(base, c, th, tw, rows0, cols0, v0);
    let b10 = gather(base, c, th, tw, rows1, cols1, v0);
    let a00 = load_a(a0_at, k, v0); let a10 = load_a(a1_at, k, v0);
    let a20 = load_a(a2_at, k, v0); let a30 = load_a(a3_at, k, v0);
    advance(&c, &th, &tw);
    let v1 = k + 1u < taps;
    let b01 = gather(base, c, th, tw, rows0, cols0, v1);
    let b11 = gather(base, c, th, tw, rows1, cols1, v1);
    let a01 = load_a(a0_at, k + 1u, v1); let a11 = load_a(a1_at, k + 1u, v1);
    let a21 = load_a(a2_at, k + 1u, v1); let a31 = load_a(a3_at, k + 1u, v1);
    advance(&c, &th, &tw);
    let v2 = k + 2u < taps;
    let b02 = gather(base, c, th, tw, rows0, cols0, v2);
    let b12 = gather(base, c, th, tw, rows1, cols1, v2);
    let a02 = load_a(a0_at, k + 2u, v2); let a12 = load_a(a1_at, k + 2u, v2);
    let a22 = load_a(a2_at, k + 2u, v2); let a32 = load_a(a3_at, k + 2u, v2);
    advance(&c, &th, &tw);
    let v3 = k + 3u < taps;
    let b03 = gather(base, c, th, tw, rows0, cols0, v3);
    let b13 = gather(base, c, th, tw, rows1, cols1, v3);
    let a03 = load_a(a0_at, k + 3u, v3); let a13 = load_a(a1_at, k + 3u, v3);
    let a23 = load_a(a2_at, k + 3u, v3); let a33 = load_a(a3_at, k + 3u, v3);
    advance(&c, &th, &tw);
    // Columns of A_i are taps (rows down); rows of B_j are taps (positions across).
    let b0 = transpose(mat4x4<f32>(b00, b01, b02, b03));
    let b1 = transpose(mat4x4<f32>(b10, b11, b12, b13));
    let a0 = mat4x4<f32>(a00, a01, a02, a03);
    c00 += a0 * b0; c01 += a0 * b1;
    let a1 = mat4x4<f32>(a10, a11, a12, a13);
    c10 += a1 * b0; c11 += a1 * b1;
    let a2 = mat4x4<f32>(a20, a21, a22, a23);
    c20 += a2 * b0; c21 += a2 * b1;
    let a3 = mat4x4<f32>(a30, a31, a32, a33);
    c30 += a3 * b0; c31 += a3 * b1;
  }
  store_block(n, g, row0, col0, c00); store_block(n, g, row0, col0 + 4u, c01);
  store_block(n, g, row0 + 4u, col0, c10); store_block(n, g, row0 + 4u, col0 + 4u, c11);
  store_block(n, g, row0 + 8u, col0, c20); store_block(n, g, row0 + 8u, col0 + 4u, c21);
  store_block(n, g, row0 + 12u, col0, c30); store_block(n, g, row0 + 12u, col0 + 4u, c31);
}
