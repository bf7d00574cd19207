// conv2d's weight gradient as an implicit GEMM, per group g:
//   gw[o, (c, kh, kw)] = sum over (n, oh, ow) of gy[n, o, oh, ow] * x[n, c, oh*stride_h - pad_top + kh*dil_h,
//                                                                       ow*stride_w - pad_left + kw*dil_w]
// (zeros outside x). The sum runs over every sample and output position, which is long while the
// result is small, so the (n, oh) rows are split into chunks (split-K): chunk z writes its partial
// sums to slice z of `out`, and the host adds the slices up afterwards (nothing to add for one chunk).
//
// Each thread owns a 16 x 8 tile (16 output channels, 8 (c, kh, kw) taps) in eight named mat4x4
// registers and adds the products of four (n, oh, ow) positions per step as 4x4 matrix products;
// no workgroup memory, no barriers (see conv2d_gemm.wgsl for why).

struct Params {
  rows: u32,
  taps: u32,
  kernel_w: u32,
  kernel_hw: u32,
  in_channels: u32,
  in_h: u32,
  in_w: u32,
  out_channels: u32,
  out_h: u32,
  out_w: u32,
  stride_h: i32,
  stride_w: i32,
  pad_top: i32,
  pad_left: i32,
  dil_h: i32,
  dil_w: i32,
  groups: u32,
  rows_per_chunk: u32,
  total_rows: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> gy: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;

// Four gy values (rows at offsets `rows`) at position offset `at`; zero past the chunk's end.
fn load_gy(rows: vec4<u32>, at: u32, valid: bool) -> vec4<f32> {
  let i = select(vec4<u32>(0u), rows + at, vec4<bool>(valid));
  return select(vec4<f32>(0.0), vec4<f32>(gy[i.x], gy[i.y], gy[i.z], gy[i.w]), valid);
}

// x under four taps (`taps`) at output position (n, oh, ow); zero outside x or past the chunk's end.
fn gather(taps: TapBases, n: u32, oh: u32, ow: u32, valid: bool) -> vec4<f32> {
  let r = taps.dy + i32(oh) * params.stride_h;
  let q = taps.dx + i32(ow) * params.stride_w;
  let ok = (r >= vec4<i32>(0)) & (r < vec4<i32>(i32(params.in_h))) & (q >= vec4<i32>(0)) & (q < vec4<i32>(i32(params.in_w))) & vec4<bool>(valid);
  let sample = i32(n * params.in_channels * params.in_h * params.in_w);
  let i = vec4<u32>(select(vec4<i32>(0), sample + taps.plane + r * i32(params.in_w) + q, ok));
  return select(vec4<f32>(0.0), vec4<f32>(x[i.x], x[i.y], x[i.z], x[i.w]), ok);
}

// The next output position in (n, oh, ow) order.
fn advance(n: ptr<function, u32>, oh: ptr<function, u32>, ow: ptr<function, u32>) {
  *ow += 1u;
  if (*ow == params.out_w) {
    *ow = 0u;
    *oh += 1u;
    if (*oh == params.out_h) {
      *oh = 0u;
      *n += 1u;
    }
  }
}

struct TapBases {
  // Offset of the tap's input channel plane, and its row / column offset from (oh*stride, ow*stride).
  plane: vec4<i32>,
  dy: vec4<i32>,
  dx: vec4<i32>,
}

// The four taps col0..col0+3 of group g; a tap past the end gets a row offset no row can reach.
fn tap_bases(g: u32, col0: u32) -> TapBases {
  let col = vec4<u32>(col0) + vec4<u32>(0u, 1u, 2u, 3u);
  let c = col / params.kernel_hw;
  let k = col - c * params.kernel_hw;
  let kh = k / params.kernel_w;
  let kw = k - kh * params.kernel_w;
  let plane = vec4<i32>((vec4<u32>(g * (params.in_channels / params.groups)) + c) * params.in_h * params.in_w);
  let dy = vec4<i32>(kh) * params.dil_h - params.pad_top;
  return TapBases(plane, select(vec4<i32>(-0x40000000), dy, col < vec4<u32>(params.taps)), vec4<i32>(kw) * params.dil_w - params.pad_left);
}

fn store_block(base: u32, row0: u32, col0: u32, blk: mat4x4<f32>) {
  if (row0 >= params.rows) { return; }
  let rows = params.rows - row0;
  for (var c = 0u; c < 4u; c++) {
    let col = col0 + c;
    if (col >= params.taps) { return; }
    let at = base + row0 * params.taps + col;
    let v = blk[c];
    out[at] = v.x;
    if (rows > 1u) { out[at + params.taps] = v.y; }
    if (rows > 2u) { out[at + 2u * params.taps] = v.z; }
    if (rows > 3u) { out[at + 3u * params.taps] = v.w; }
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row0 = gid.y * 16u;
  let col0 = gid.x * 8u;
  if (row0 >= params.rows || col0 >= params.taps) { return; }
  let chunk = gid.z / params.groups;
  let g = gid.z - chunk * params.groups;

  let positions = params.out_h * params.out_w;
  let last = vec4<u32>(params.rows - 1u);
  let lane = vec4<u32>(0u, 1u, 2u, 3u);
  let gy_origin = g * params.rows;
  let gy0 = (vec4<u32>(gy_origin) + min(vec4<u32>(row0) + lane, last)) * positions;
  let gy1 = (vec4<u32>(gy_origin) + min(vec4<u32>(row0 + 4u) + lane, last)) * positions;
  let gy2 = (vec4<u32>(gy_origin) + min(vec4<u32>(row0 + 8u) + lane, last)) * positions;
  let gy3 = (vec4<u32>(gy_origin) + min(vec4<u32>(row0 + 12u) + lane, last)) * positions;
  let t0 = tap_bases(g, col0);
  let t1 = tap_bases(g, col0 + 4u);

  var c00: mat4x4<f32>; var c01: mat4x4<f32>;
  var c10: mat4x4<f32>; var c11: mat4x4<f32>;
  var c20: mat4x4<f32>; var c21: mat4x4<f32>;
  var c30: mat4x4<f32>; var c31: mat4x4<f32>;
  let first = chunk * params.rows_per_chunk;
  let steps = (min(first + params.rows_per_chunk, params.total_rows) - min(first, params.total_rows)) * params.out_w;
  var n = first / params.out_h;
  var oh = first - n * params.out_h;
  var ow = 0u;
  // Four positions per step: the accumulators are read and written once per four rank-1 products.
  for (var k = 0u; k < steps; k += 4u) {
    let v0 = k < steps;
    let at0 = n * params.out_channels * positions + oh * params.out_w + ow;
    let b00 = gather(t0, n, oh, ow, v0); let b10 = gather(t1, n, oh, ow, v0);
    let a00 = load_gy(gy0, at0, v0); let a10 = load_gy(gy1, at0, v0);
    let a20 = load_gy(gy2, at0, v0); let a30 = load_gy(gy3, at0, v0);
    advance(&n, &oh, &ow);
    let v1 = k + 1u < steps;
    let at1 = n * params.out_channels * positions + oh * params.out_w + ow;
    let b01 = gather(t0, n, oh, ow, v1); let b11 = gather(t1, n, oh, ow, v1);
    let a01 = load_gy(gy0, at1, v1); let a11 = load_gy(gy1, at1, v1);
    let a21 = load_gy(gy2, at1, v1); let a31 = load_gy(gy3, at1, v1);
    advance(&n, &oh, &ow);
    let v2 = k + 2u < steps;
    let at2 = n * params.out_channels * positions + oh * params.out_w + ow;
    let b02 = gather(t0, n, oh, ow, v2); let b12 = gather(t1, n, oh, ow, v2);
    let a02 = load_gy(gy0, at2, v2); let a12 = load_gy(gy1, at2, v2);
    let a22 = load_gy(gy2, at2, v2); let a32 = load_gy(gy3, at2, v2);
    advance(&n, &oh, &ow);
    let v3 = k + 3u < steps;
    let at3 = n * params.out_channels * positions + oh * params.out_w + ow;
    let b03 = gather(t0, n, oh, ow, v3); let b13 = gather(t1, n, oh, ow, v3);
    let a03 = load_gy(gy0, at3, v3); let a13 = load_gy(gy1, at3, v3);
    let a23 = load_gy(gy2, at3, v3); let a33 = load_gy(gy3, at3, v3);
    advance(&n, &oh, &ow);
    // Columns of A_i are positions (channels down); rows of B_j are positions (taps across).
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
  let base = (chunk * params.groups + g) * params.rows * params.taps;
  store_block(base, row0, col0, c00); store_block(base, row0, col0 + 4u, c01);
  store_block(base, row0 + 4u, col0, c10); store_block(base, row0 + 4u, col0 + 4u, c11);
  store_block(base, row0 + 8u, col0, c20); store_block(base, row0 + 8u, col0 + 4u, c21);
  store_block(base, row0 + 12u, col0, c30); store_block(base, row0 + 12u, col0 + 4u, c31);
}
