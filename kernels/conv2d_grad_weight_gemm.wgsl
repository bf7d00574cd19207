// conv2d's weight gradient as an implicit GEMM, per group g:
//   gw[o, (c, kh, kw)] = sum over (n, oh, ow) of gy[n, o, oh, ow] * x[n, c, oh*stride_h - pad_top + kh*dil_h,
//                                                                       ow*stride_w - pad_left + kw*dil_w]
// (zeros outside x). The sum runs over every sample and output position, which is long while the
// result is small, so the (n, oh) rows are split into chunks (split-K): chunk z writes its partial
// sums to slice z of `out`, and the host adds the slices up afterwards (nothing to add for one chunk).
//
// Each thread owns a 16 x 16 tile (16 output channels, 16 (c, kh, kw) taps) in sixteen named
// mat4x4 registers and adds the products of four (n, oh, ow) positions per step as 4x4 matrix
// products; no workgroup memory, no barriers (see conv2d_gemm.wgsl for why).

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

// Four consecutive output positions of a step and whether each is before the chunk's end.
struct Step {
  n: vec4<u32>,
  oh: vec4<u32>,
  ow: vec4<u32>,
  valid: vec4<bool>,
}

// Four gy values (rows at offsets `rows`) at position (n, oh, ow); zero past the chunk's end.
fn load_gy(rows: vec4<u32>, n: u32, oh: u32, ow: u32, valid: bool) -> vec4<f32> {
  let at = n * params.out_channels * params.out_h * params.out_w + oh * params.out_w + ow;
  let i = select(vec4<u32>(0u), rows + at, vec4<bool>(valid));
  return select(vec4<f32>(0.0), vec4<f32>(gy[i.x], gy[i.y], gy[i.z], gy[i.w]), valid);
}

// A block: columns are the step's positions, rows four output channels.
fn gy_block(rows: vec4<u32>, s: Step) -> mat4x4<f32> {
  return mat4x4<f32>(
    load_gy(rows, s.n.x, s.oh.x, s.ow.x, s.valid.x), load_gy(rows, s.n.y, s.oh.y, s.ow.y, s.valid.y),
    load_gy(rows, s.n.z, s.oh.z, s.ow.z, s.valid.z), load_gy(rows, s.n.w, s.oh.w, s.ow.w, s.valid.w));
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

// B block: rows are the step's positions, columns four taps.
fn x_block(taps: TapBases, s: Step) -> mat4x4<f32> {
  return transpose(mat4x4<f32>(
    gather(taps, s.n.x, s.oh.x, s.ow.x, s.valid.x), gather(taps, s.n.y, s.oh.y, s.ow.y, s.valid.y),
    gather(taps, s.n.z, s.oh.z, s.ow.z, s.valid.z), gather(taps, s.n.w, s.oh.w, s.ow.w, s.valid.w)));
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
  let col0 = gid.x * 16u;
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
  let t2 = tap_bases(g, col0 + 8u);
  let t3 = tap_bases(g, col0 + 12u);

  // acc[4 i + j] = channel block i x tap block j.
  var acc0: mat4x4<f32>; var acc1: mat4x4<f32>; var acc2: mat4x4<f32>; var acc3: mat4x4<f32>;
  var acc4: mat4x4<f32>; var acc5: mat4x4<f32>; var acc6: mat4x4<f32>; var acc7: mat4x4<f32>;
  var acc8: mat4x4<f32>; var acc9: mat4x4<f32>; var acc10: mat4x4<f32>; var acc11: mat4x4<f32>;
  var acc12: mat4x4<f32>; var acc13: mat4x4<f32>; var acc14: mat4x4<f32>; var acc15: mat4x4<f32>;
  let first = chunk * params.rows_per_chunk;
  let steps = (min(first + params.rows_per_chunk, params.total_rows) - min(first, params.total_rows)) * params.out_w;
  var n = first / params.out_h;
  var oh = first - n * params.out_h;
  var ow = 0u;
  // Four positions per step: the accumulators are read and written once per four rank-1 products.
  for (var k = 0u; k < steps; k += 4u) {
    var s: Step;
    s.n.x = n; s.oh.x = oh; s.ow.x = ow;
    advance(&n, &oh, &ow);
    s.n.y = n; s.oh.y = oh; s.ow.y = ow;
    advance(&n, &oh, &ow);
    s.n.z = n; s.oh.z = oh; s.ow.z = ow;
    advance(&n, &oh, &ow);
    s.n.w = n; s.oh.w = oh; s.ow.w = ow;
    advance(&n, &oh, &ow);
    s.valid = vec4<u32>(k) + lane < vec4<u32>(steps);
    let b0 = x_block(t0, s);
    let b1 = x_block(t1, s);
    let b2 = x_block(t2, s);
    let b3 = x_block(t3, s);
    let a0 = gy_block(gy0, s);
    acc0 += a0 * b0; acc1 += a0 * b1; acc2 += a0 * b2; acc3 += a0 * b3;
    let a1 = gy_block(gy1, s);
    acc4 += a1 * b0; acc5 += a1 * b1; acc6 += a1 * b2; acc7 += a1 * b3;
    let a2 = gy_block(gy2, s);
    acc8 += a2 * b0; acc9 += a2 * b1; acc10 += a2 * b2; acc11 += a2 * b3;
    let a3 = gy_block(gy3, s);
    acc12 += a3 * b0; acc13 += a3 * b1; acc14 += a3 * b2; acc15 += a3 * b3;
  }
  let base = (chunk * params.groups + g) * params.rows * params.taps;
  store_block(base, row0, col0, acc0); store_block(base, row0, col0 + 4u, acc1);
  store_block(base, row0, col0 + 8u, acc2); store_block(base, row0, col0 + 12u, acc3);
  store_block(base, row0 + 4u, col0, acc4); store_block(base, row0 + 4u, col0 + 4u, acc5);
  store_block(base, row0 + 4u, col0 + 8u, acc6); store_block(base, row0 + 4u, col0 + 12u, acc7);
  store_block(base, row0 + 8u, col0, acc8); store_block(base, row0 + 8u, col0 + 4u, acc9);
  store_block(base, row0 + 8u, col0 + 8u, acc10); store_block(base, row0 + 8u, col0 + 12u, acc11);
  store_block(base, row0 + 12u, col0, acc12); store_block(base, row0 + 12u, col0 + 4u, acc13);
  store_block(base, row0 + 12u, col0 + 8u, acc14); store_block(base, row0 + 12u, col0 + 12u, acc15);
}
