// Direct convolution: one output element per thread, looping over its taps. The same correlation
// as conv2d_gemm.wgsl (conv2d forward, and one stride phase of the input gradient) reading the
// weights in place (OIHW), for outputs too small for a register tile (a few rows and positions,
// such as a critic's final 1x1 output).

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
  // Outputs in all: batch * groups * rows * cols_h * cols_w.
  total: u32,
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> weight: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

override HAS_BIAS: bool = false;
// 0 none, 1 relu, 2 leakyRelu, 3 tanh, 4 sigmoid, 5 silu (EPILOGUES in src/backend/webgpu/conv.ts).
override ACTIVATION: u32 = 0u;
override WG: u32 = 256u;

fn sigmoid(v: f32) -> f32 {
  let e = exp(-abs(v));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
}

fn activate(v: f32) -> f32 {
  switch ACTIVATION {
    case 1u: { return max(v, 0.0); }
    case 2u: { return select(v * params.alpha, v, v > 0.0); }
    case 3u: {
      // As in conv2d_gemm.wgsl: exp form, odd series near 0 where 1 - e cancels.
      let a = abs(v);
      let a2 = a * a;
      let series = a * (1.0 - a2 * (1.0 / 3.0 - a2 * (2.0 / 15.0 - a2 * (17.0 / 315.0))));
      let e = exp(-2.0 * a);
      return sign(v) * select((1.0 - e) / (1.0 + e), series, a < 0.125);
    }
    case 4u: { return sigmoid(v); }
    case 5u: { return v * sigmoid(v); }
    default: { return v; }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.total) { return; }
  let cols = params.cols_h * params.cols_w;
  let col = i % cols;
  let r_all = (i / cols) % (params.rows * params.groups);
  let n = i / (cols * params.rows * params.groups);
  let g = r_all / params.rows;
  let r = r_all - g * params.rows;
  let ch = col / params.cols_w;
  let cw = col - ch * params.cols_w;
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
  out[params.out_base + n * params.out_batch + r_all * params.out_chan + ch * params.out_h + cw * params.out_w] = activate(acc);
}
