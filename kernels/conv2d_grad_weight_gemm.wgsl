// conv2d's weight gradient as an implicit GEMM, per group g:
//   gw[o, (c, kh, kw)] = sum over (n, oh, ow) of gy[n, o, oh, ow] * x[n, c, oh*stride_h - pad_top + kh*dil_h,
//                                                                       ow*stride_w - pad_left + kw*dil_w]
// (zeros outside x). The sum runs over every sample and output position, which is long while the
// result is small, so the (n, oh) rows are split into chunks (split-K): chunk z writes its partial
// sums to slice z of `out`, and the host adds the slices up afterwards (nothing to add for one chunk).
//
// Each thread owns a 16 x 8 tile (16 output channels, 8 (c, kh, kw) taps) in eight named mat4x4
// registers and adds one rank-1 product per (n, oh, ow); no workgroup memory, no barriers (see
// conv2d_gemm.wgsl for why).

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

// Four gy values (rows at offsets `rows`) at position offset `at`.
fn load_gy(rows: vec4<u32>, at: u32) -> vec4<f32> {
  return vec4<f32>(gy[rows.x + at], gy[rows.y + at], gy[rows.z + at], gy[rows.w + at]);
}

// Four x values from rows at offsets `row_off` (in range where `row_ok`) and columns `c`; zero outside.
fn gather(row_off: vec4<i32>, row_ok: vec4<bool>, c: vec4<i32>) -> vec4<f32> {
  let ok = row_ok & (c >= vec4<i32>(0)) & (c < vec4<i32>(i32(params.in_w)));
  let i = vec4<u32>(select(vec4<i32>(0), row_off + c, ok));
  return select(vec4<f32>(0.0), vec4<f32>(x[i.x], x[i.y], x[i.z], x[i.w]), ok);
}

fn rank1(a: vec4<f32>, b: vec4<f32>) -> mat4x4<f32> {
  return mat4x4<f32>(a * b.x, a * b.y, a * b.z, a * b.w);
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
  let in_h = vec4<i32>(i32(params.in_h));
  let in_w = i32(params.in_w);
  let first = chunk * params.rows_per_chunk;
  let end = min(first + params.rows_per_chunk, params.total_rows);
  for (var q = first; q < end; q++) {
    let n = q / params.out_h;
    let oh = q - n * params.out_h;
    let x_sample = i32(n * params.in_channels * params.in_h * params.in_w);
    let gy_row = n * params.out_channels * positions + oh * params.out_w;
    let y = i32(oh) * params.stride_h;
    let r0 = t0.dy + y;
    let r1 = t1.dy + y;
    let ok0 = (r0 >= vec4<i32>(0)) & (r0 < in_h);
    let ok1 = (r1 >= vec4<i32>(0)) & (r1 < in_h);
    let off0 = x_sample + t0.plane + r0 * in_w;
    let off1 = x_sample + t1.plane + r1 * in_w;
    for (var ow = 0u; ow < params.out_w; ow++) {
      let xo = i32(ow) * params.stride_w;
      let b0 = gather(off0, ok0, t0.dx + xo);
      let b1 = gather(off1, ok1, t1.dx + xo);
      let at = gy_row + ow;
      let a0 = load_gy(gy0, at);
      c00 += rank1(a0, b0); c01 += rank1(a0, b1);
      let a1 = load_gy(gy1, at);
      c10 += rank1(a1, b0); c11 += rank1(a1, b1);
      let a2 = load_gy(gy2, at);
      c20 += rank1(a2, b0); c21 += rank1(a2, b1);
      let a3 = load_gy(gy3, at);
      c30 += rank1(a3, b0); c31 += rank1(a3, b1);
    }
  }
  let base = (chunk * params.groups + g) * params.rows * params.taps;
  store_block(base, row0, col0, c00); store_block(base, row0, col0 + 4u, c01);
  store_block(base, row0 + 4u, col0, c10); store_block(base, row0 + 4u, col0 + 4u, c11);
  store_block(base, row0 + 8u, col0, c20); store_block(base, row0 + 8u, col0 + 4u, c21);
  store_block(base, row0 + 12u, col0, c30); store_block(base, row0 + 12u, col0 + 4u, c31);
}
