// conv2d's weight gradient, one weight element per thread, summing over a chunk of the (n, oh)
// rows (chunk z writes slice z of `out`; the host adds the slices). The same sum as
// conv2d_grad_weight_gemm.wgsl, for shapes where its 16-channel register tile would idle
// (depthwise convolutions, few output channels per group).

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
  // Weight elements times chunks.
  total: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> gy: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.total) { return; }
  let weights = params.out_channels * params.taps;
  let chunk = i / weights;
  let within = i - chunk * weights;
  let o = within / params.taps;
  let col = within - o * params.taps;
  let g = o / params.rows;
  let c = col / params.kernel_hw;
  let k = col - c * params.kernel_hw;
  let kh = k / params.kernel_w;
  let kw = k - kh * params.kernel_w;
  let positions = params.out_h * params.out_w;
  let plane = (g * (params.in_channels / params.groups) + c) * params.in_h * params.in_w;
  let dy = i32(kh) * params.dil_h - params.pad_top;
  let dx = i32(kw) * params.dil_w - params.pad_left;
  let first = chunk * params.rows_per_chunk;
  let end = min(first + params.rows_per_chunk, params.total_rows);
  var acc = 0.0;
  for (var q = first; q < end; q++) {
    let n = q / params.out_h;
    let oh = q - n * params.out_h;
    let y = i32(oh) * params.stride_h + dy;
    if (y < 0 || y >= i32(params.in_h)) { continue; }
    let x_row = n * params.in_channels * params.in_h * params.in_w + plane + u32(y) * params.in_w;
    let gy_row = (n * params.out_channels + o) * positions + oh * params.out_w;
    for (var ow = 0u; ow < params.out_w; ow++) {
      let xx = i32(ow) * params.stride_w + dx;
      if (xx >= 0 && xx < i32(params.in_w)) { acc += gy[gy_row + ow] * x[x_row + u32(xx)]; }
    }
  }
  out[i] = acc;
}
