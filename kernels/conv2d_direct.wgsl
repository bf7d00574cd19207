// Direct convolution: each output element loops over its own taps. The same correlation as
// conv2d_gemm.wgsl (conv2d forward, and one stride phase of the input gradient) reading the
// weights in place (OIHW), for outputs too small for a register tile (a few rows and positions,
// such as a critic's final 1x1 output) and for pointwise few-row correlations (1x1 depthwise: the
// norms' per-channel affine maps), which it runs at the speed of an elementwise pass.
// uses: epilogue

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
  a_base: u32,
  a_group: u32,
  a_row: u32,
  a_chan: u32,
  a_th: u32,
  a_tw: u32,
  out_base: u32,
  out_batch: u32,
  out_chan: u32,
  out_h: u32,
  out_w: u32,
  groups: u32,
  alpha: f32,
  batch: u32,
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> weight: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

override HAS_BIAS: bool = false;
// An ACT_* code of kernels/lib/epilogue.wgsl.
override ACTIVATION: u32 = 0u;
// One tap per channel at the output position (1x1 kernel, stride 1, no padding): how the norms'
// per-channel affine maps run, as 1x1 depthwise convolutions.
override POINTWISE: bool = false;
override WG: u32 = 64u;
const ELEMENTS = 8u;

// Output (ch, cw) of row r (group g) of sample n: its taps, bias and activation.
fn output(n: u32, g: u32, r: u32, ch: u32, cw: u32) {
  let r_all = g * params.rows + r;
  let row0 = i32(ch) * params.row_mul + params.row_base;
  let col0 = i32(cw) * params.col_mul + params.col_base;
  let plane = params.src_h * params.src_w;
  let a_origin = params.a_base + g * params.a_group + r * params.a_row;
  var acc = 0.0;
  for (var c = 0u; c < params.taps_c; c++) {
    let channel = (n * params.src_channels + g * params.taps_c + c) * plane;
    for (var th = 0u; th < params.taps_h; th++) {
      let y = row0 + i32(th) * params.tap_h;
      if (y < 0 || y >= i32(params.src_h)) { continue; }
      let row = channel + u32(y) * params.src_w;
      let a_row = a_origin + c * params.a_chan + th * params.a_th;
      for (var tw = 0u; tw < params.taps_w; tw++) {
        let x = col0 + i32(tw) * params.tap_w;
        if (x >= 0 && x < i32(params.src_w)) { acc += weight[a_row + tw * params.a_tw] * src[row + u32(x)]; }
      }
    }
  }
  if (HAS_BIAS) { acc += bias[r_all]; }
  out[params.out_base + n * params.out_batch + r_all * params.out_chan + ch * params.out_h + cw * params.out_w] = epilogue(ACTIVATION, acc, params.alpha);
}

// Each invocation computes ELEMENTS consecutive outputs of one (sample, row) plane: integer
// division by a run-time value is slow on CPU adapters, so the plane and position are decoded
// once per invocation and then stepped.
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * WG;
  let cols = params.cols_h * params.cols_w;
  let tiles = (cols + ELEMENTS - 1u) / ELEMENTS;
  let plane = t / tiles;
  let rows = params.rows * params.groups;
  if (plane >= params.batch * rows) { return; }
  let n = plane / rows;
  let r_all = plane - n * rows;
  let g = r_all / params.rows;
  let r = r_all - g * params.rows;
  var col = (t - plane * tiles) * ELEMENTS;
  if (POINTWISE) {
    // 1x1 taps at the output position itself: the run of positions is contiguous in the source
    // and the output, and the row's weights and bias are loaded once.
    let src_at = (n * params.src_channels + g * params.taps_c) * params.src_h * params.src_w + col;
    let out_at = params.out_base + n * params.out_batch + r_all * params.out_chan + col;
    let a_origin = params.a_base + g * params.a_group + r * params.a_row;
    let shift = select(0.0, bias[r_all], HAS_BIAS);
    let count = min(ELEMENTS, cols - col);
    if (params.taps_c == 1u) {
      let scale = weight[a_origin];
      for (var e = 0u; e < count; e++) { out[out_at + e] = epilogue(ACTIVATION, scale * src[src_at + e] + shift, params.alpha); }
      return;
    }
    for (var e = 0u; e < count; e++) {
      var acc = shift;
      for (var c = 0u; c < params.taps_c; c++) { acc += weight[a_origin + c * params.a_chan] * src[src_at + c * cols + e]; }
      out[out_at + e] = epilogue(ACTIVATION, acc, params.alpha);
    }
    return;
  }
  var ch = col / params.cols_w;
  var cw = col - ch * params.cols_w;
  for (var e = 0u; e < ELEMENTS && col < cols; e++) {
    output(n, g, r, ch, cw);
    col += 1u;
    cw += 1u;
    if (cw == params.cols_w) {
      cw = 0u;
      ch += 1u;
    }
  }
}
