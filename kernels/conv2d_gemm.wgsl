// Implicit-GEMM convolution: conv2d's forward pass and its input gradient (transposed convolution).
// uses: epilogue
//
// Both are one correlation form, per sample n and group g:
//   out[r, (ch, cw)] = sum over taps (c, th, tw) of A[r, c, th, tw] * src[c, ch*row_mul + row_base + th*tap_h,
//                                                                      cw*col_mul + col_base + tw*tap_w]
// with zeros outside src. Forward: r = output channel, taps = (input channel, kh, kw), the source
// row is oh*stride - pad + kh*dilation. Input gradient: the host splits the output into stride
// phases; within one phase only every (stride / gcd)-th kernel row can reach an output row, at a
// fixed offset, so each phase is a stride-1 correlation over gy with no wasted taps (a 2x2-stride
// transposed conv does a quarter of the naive work). Strides and offsets in Params say where src
// and out elements live; A arrives packed by the host, taps in (th, tw, c) order (see Params).
//
// Each thread owns a tile of out in eight named mat4x4 registers (arrays are slow on CPU
// adapters): 16 rows x 8 positions, or with NARROW 4 rows x 32 positions for correlations with
// few rows (RGB outputs, one input channel). It steps four taps at a time, so each step is a few
// 4x4 matrix products and the accumulators are touched once per four rank-1 updates (which
// measured 2x faster than one rank-1 update per tap on SwiftShader). No workgroup
// memory and no barriers: on CPU adapters (SwiftShader) caches do that job and barriers are
// costly. Rows past the end are clamped when loading and skipped when storing; positions past the
// end gather zeros.

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
// An ACT_* code of kernels/lib/epilogue.wgsl.
override ACTIVATION: u32 = 0u;
override NARROW: bool = false;
// taps_c is a multiple of 4: each step is four channels of one kernel tap.
override ALIGNED_CHANNELS: bool = false;
override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;

// The source values of four positions (rows `rows`, columns `cols` before the tap offsets) at tap
// (c, th, tw) of the sample and group whose source plane 0 starts at `base`; zero outside the
// source and for a tap past the end.
fn gather(base: i32, c: u32, th: u32, tw: u32, rows: vec4<i32>, cols: vec4<i32>, valid: bool) -> vec4<f32> {
  let r = rows + i32(th) * params.tap_h;
  let q = cols + i32(tw) * params.tap_w;
  let ok = (r >= vec4<i32>(0)) & (r < vec4<i32>(i32(params.src_h))) & (q >= vec4<i32>(0)) & (q < vec4<i32>(i32(params.src_w))) & vec4<bool>(valid);
  let i = vec4<u32>(select(vec4<i32>(0), base + i32(c * params.src_h * params.src_w) + r * i32(params.src_w) + q, ok));
  return select(vec4<f32>(0.0), vec4<f32>(src[i.x], src[i.y], src[i.z], src[i.w]), ok);
}

// Four consecutive taps: their (c, th, tw) and whether each is before the end.
struct Step {
  c: vec4<u32>,
  th: vec4<u32>,
  tw: vec4<u32>,
  valid: vec4<bool>,
}

// B block: rows are the step's taps, columns four positions.
fn b_block(base: i32, s: Step, rows: vec4<i32>, cols: vec4<i32>) -> mat4x4<f32> {
  return transpose(mat4x4<f32>(
    gather(base, s.c.x, s.th.x, s.tw.x, rows, cols, s.valid.x),
    gather(base, s.c.y, s.th.y, s.tw.y, rows, cols, s.valid.y),
    gather(base, s.c.z, s.th.z, s.tw.z, rows, cols, s.valid.z),
    gather(base, s.c.w, s.th.w, s.tw.w, rows, cols, s.valid.w)));
}

// Four rows of A (the row block at `at`) at flat tap k; zero past the last tap.
fn load_a(at: u32, k: u32, valid: bool) -> vec4<f32> {
  return select(vec4<f32>(0.0), weight[at + select(0u, k, valid) * params.a_tap], valid);
}

// A block: columns are the step's taps (from flat tap k), rows four output rows.
fn a_block(at: u32, k: u32, s: Step) -> mat4x4<f32> {
  return mat4x4<f32>(load_a(at, k, s.valid.x), load_a(at, k + 1u, s.valid.y), load_a(at, k + 2u, s.valid.z), load_a(at, k + 3u, s.valid.w));
}

// The next tap in (th, tw, c) order (channels fastest, as the host packs A).
fn advance(c: ptr<function, u32>, th: ptr<function, u32>, tw: ptr<function, u32>) {
  *c += 1u;
  if (*c == params.taps_c) {
    *c = 0u;
    *tw += 1u;
    if (*tw == params.taps_w) {
      *tw = 0u;
      *th += 1u;
    }
  }
}

// Where four positions read at kernel tap (th, tw): the offset of channel 0, or -1 outside the source.
fn tap_offsets(base: i32, th: u32, tw: u32, rows: vec4<i32>, cols: vec4<i32>) -> vec4<i32> {
  let r = rows + i32(th) * params.tap_h;
  let q = cols + i32(tw) * params.tap_w;
  let ok = (r >= vec4<i32>(0)) & (r < vec4<i32>(i32(params.src_h))) & (q >= vec4<i32>(0)) & (q < vec4<i32>(i32(params.src_w)));
  return select(vec4<i32>(-1), base + r * i32(params.src_w) + q, ok);
}

// B block of four consecutive channels from c at the offsets of one kernel tap.
fn channel_block(offsets: vec4<i32>, c: u32) -> mat4x4<f32> {
  let ok = offsets >= vec4<i32>(0);
  let plane = params.src_h * params.src_w;
  let at = vec4<u32>(select(vec4<i32>(0), offsets, ok)) + c * plane;
  let zero = vec4<f32>(0.0);
  return transpose(mat4x4<f32>(
    select(zero, vec4<f32>(src[at.x], src[at.y], src[at.z], src[at.w]), ok),
    select(zero, vec4<f32>(src[at.x + plane], src[at.y + plane], src[at.z + plane], src[at.w + plane]), ok),
    select(zero, vec4<f32>(src[at.x + 2u * plane], src[at.y + 2u * plane], src[at.z + 2u * plane], src[at.w + 2u * plane]), ok),
    select(zero, vec4<f32>(src[at.x + 3u * plane], src[at.y + 3u * plane], src[at.z + 3u * plane], src[at.w + 3u * plane]), ok)));
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
  let rows = params.rows - row0;
  for (var c = 0u; c < 4u; c++) {
    let col = col0 + c;
    if (col >= cols) { return; }
    let ch = col / params.cols_w;
    let at = base + ch * params.out_h + (col - ch * params.cols_w) * params.out_w + (g * params.rows + row0) * params.out_chan;
    let v = epilogue4(ACTIVATION, blk[c] + shift, params.alpha);
    out[at] = v.x;
    if (rows > 1u) { out[at + params.out_chan] = v.y; }
    if (rows > 2u) { out[at + 2u * params.out_chan] = v.z; }
    if (rows > 3u) { out[at + 3u * params.out_chan] = v.w; }
  }
}

// Source rows of the four positions col0..col0+3 (a row far out of range past the end).
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
  let row0 = gid.y * select(16u, 4u, NARROW);
  let col0 = gid.x * select(16u, 32u, NARROW);
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
  // Position blocks: four (wide tile) or eight (narrow tile).
  let pr0 = position_rows(col0); let pc0 = position_cols(col0);
  let pr1 = position_rows(col0 + 4u); let pc1 = position_cols(col0 + 4u);
  let pr2 = position_rows(col0 + 8u); let pc2 = position_cols(col0 + 8u);
  let pr3 = position_rows(col0 + 12u); let pc3 = position_cols(col0 + 12u);
  var pr4: vec4<i32>; var pc4: vec4<i32>; var pr5: vec4<i32>; var pc5: vec4<i32>;
  var pr6: vec4<i32>; var pc6: vec4<i32>; var pr7: vec4<i32>; var pc7: vec4<i32>;
  if (NARROW) {
    pr4 = position_rows(col0 + 16u); pc4 = position_cols(col0 + 16u);
    pr5 = position_rows(col0 + 20u); pc5 = position_cols(col0 + 20u);
    pr6 = position_rows(col0 + 24u); pc6 = position_cols(col0 + 24u);
    pr7 = position_rows(col0 + 28u); pc7 = position_cols(col0 + 28u);
  }

  // Wide: acc[4 i + j] = row block i x position block j. Narrow: acc0..acc7 = row block 0 x
  // position blocks 0..7.
  var acc0: mat4x4<f32>; var acc1: mat4x4<f32>; var acc2: mat4x4<f32>; var acc3: mat4x4<f32>;
  var acc4: mat4x4<f32>; var acc5: mat4x4<f32>; var acc6: mat4x4<f32>; var acc7: mat4x4<f32>;
  var acc8: mat4x4<f32>; var acc9: mat4x4<f32>; var acc10: mat4x4<f32>; var acc11: mat4x4<f32>;
  var acc12: mat4x4<f32>; var acc13: mat4x4<f32>; var acc14: mat4x4<f32>; var acc15: mat4x4<f32>;
  let base = i32((n * params.src_channels + g * params.taps_c) * params.src_h * params.src_w);
  let taps = params.taps_c * params.taps_h * params.taps_w;
  var c = 0u;
  var th = 0u;
  var tw = 0u;
  // Source offsets of the current kernel tap (ALIGNED_CHANNELS).
  var o0: vec4<i32>; var o1: vec4<i32>; var o2: vec4<i32>; var o3: vec4<i32>;
  var o4: vec4<i32>; var o5: vec4<i32>; var o6: vec4<i32>; var o7: vec4<i32>;
  // Four taps per step (flat tap index k); B blocks of the step's position blocks.
  for (var k = 0u; k < taps; k += 4u) {
    var b0: mat4x4<f32>; var b1: mat4x4<f32>; var b2: mat4x4<f32>; var b3: mat4x4<f32>;
    var b4: mat4x4<f32>; var b5: mat4x4<f32>; var b6: mat4x4<f32>; var b7: mat4x4<f32>;
    var s: Step;
    if (ALIGNED_CHANNELS) {
      // Four channels of one kernel tap: bounds and addresses once per tap, not per channel.
      if (c == 0u) {
        o0 = tap_offsets(base, th, tw, pr0, pc0); o1 = tap_offsets(base, th, tw, pr1, pc1);
        o2 = tap_offsets(base, th, tw, pr2, pc2); o3 = tap_offsets(base, th, tw, pr3, pc3);
        if (NARROW) {
          o4 = tap_offsets(base, th, tw, pr4, pc4); o5 = tap_offsets(base, th, tw, pr5, pc5);
          o6 = tap_offsets(base, th, tw, pr6, pc6); o7 = tap_offsets(base, th, tw, pr7, pc7);
        }
      }
      s.valid = vec4<bool>(true);
      b0 = channel_block(o0, c); b1 = channel_block(o1, c); b2 = channel_block(o2, c); b3 = channel_block(o3, c);
      if (NARROW) {
        b4 = channel_block(o4, c); b5 = channel_block(o5, c); b6 = channel_block(o6, c); b7 = channel_block(o7, c);
      }
      c += 4u;
      if (c == params.taps_c) {
        c = 0u;
        tw += 1u;
        if (tw == params.taps_w) {
          tw = 0u;
          th += 1u;
        }
      }
    } else {
      s.c.x = c; s.th.x = th; s.tw.x = tw;
      advance(&c, &th, &tw);
      s.c.y = c; s.th.y = th; s.tw.y = tw;
      advance(&c, &th, &tw);
      s.c.z = c; s.th.z = th; s.tw.z = tw;
      advance(&c, &th, &tw);
      s.c.w = c; s.th.w = th; s.tw.w = tw;
      advance(&c, &th, &tw);
      s.valid = vec4<u32>(k) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(taps);
      b0 = b_block(base, s, pr0, pc0); b1 = b_block(base, s, pr1, pc1);
      b2 = b_block(base, s, pr2, pc2); b3 = b_block(base, s, pr3, pc3);
      if (NARROW) {
        b4 = b_block(base, s, pr4, pc4); b5 = b_block(base, s, pr5, pc5);
        b6 = b_block(base, s, pr6, pc6); b7 = b_block(base, s, pr7, pc7);
      }
    }
    let a0 = a_block(a0_at, k, s);
    acc0 += a0 * b0; acc1 += a0 * b1; acc2 += a0 * b2; acc3 += a0 * b3;
    if (NARROW) {
      acc4 += a0 * b4; acc5 += a0 * b5; acc6 += a0 * b6; acc7 += a0 * b7;
    } else {
      let a1 = a_block(a1_at, k, s);
      acc4 += a1 * b0; acc5 += a1 * b1; acc6 += a1 * b2; acc7 += a1 * b3;
      let a2 = a_block(a2_at, k, s);
      acc8 += a2 * b0; acc9 += a2 * b1; acc10 += a2 * b2; acc11 += a2 * b3;
      let a3 = a_block(a3_at, k, s);
      acc12 += a3 * b0; acc13 += a3 * b1; acc14 += a3 * b2; acc15 += a3 * b3;
    }
  }
  store_block(n, g, row0, col0, acc0); store_block(n, g, row0, col0 + 4u, acc1);
  store_block(n, g, row0, col0 + 8u, acc2); store_block(n, g, row0, col0 + 12u, acc3);
  if (NARROW) {
    store_block(n, g, row0, col0 + 16u, acc4); store_block(n, g, row0, col0 + 20u, acc5);
    store_block(n, g, row0, col0 + 24u, acc6); store_block(n, g, row0, col0 + 28u, acc7);
  } else {
    store_block(n, g, row0 + 4u, col0, acc4); store_block(n, g, row0 + 4u, col0 + 4u, acc5);
    store_block(n, g, row0 + 4u, col0 + 8u, acc6); store_block(n, g, row0 + 4u, col0 + 12u, acc7);
    store_block(n, g, row0 + 8u, col0, acc8); store_block(n, g, row0 + 8u, col0 + 4u, acc9);
    store_block(n, g, row0 + 8u, col0 + 8u, acc10); store_block(n, g, row0 + 8u, col0 + 12u, acc11);
    store_block(n, g, row0 + 12u, col0, acc12); store_block(n, g, row0 + 12u, col0 + 4u, acc13);
    store_block(n, g, row0 + 12u, col0 + 8u, acc14); store_block(n, g, row0 + 12u, col0 + 12u, acc15);
  }
}
