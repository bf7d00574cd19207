// Max or average pooling over NCHW, one output per thread. Windows follow PyTorch: max ignores
// padded cells and keeps the first maximum (a NaN wins and stays); the average divides by the
// window clipped to the padded input (COUNT_INCLUDE_PAD) or to the input itself.
// uses: math

struct Params {
  total: u32,
  in_h: u32,
  in_w: u32,
  out_h: u32,
  out_w: u32,
  kernel_h: u32,
  kernel_w: u32,
  stride_h: u32,
  stride_w: u32,
  pad_top: u32,
  pad_bottom: u32,
  pad_left: u32,
  pad_right: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

// 0 max, 1 average.
override OP: u32;
override COUNT_INCLUDE_PAD: bool = true;
override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.total) { return; }
  let ow = i % params.out_w;
  let oh = (i / params.out_w) % params.out_h;
  let plane = (i / (params.out_w * params.out_h)) * params.in_h * params.in_w;
  // Window corners in padded coordinates (the input starts at pad_top, pad_left).
  let top = oh * params.stride_h;
  let left = ow * params.stride_w;
  let y0 = max(top, params.pad_top) - params.pad_top;
  let x0 = max(left, params.pad_left) - params.pad_left;
  let y1 = min(top + params.kernel_h, params.pad_top + params.in_h) - params.pad_top;
  let x1 = min(left + params.kernel_w, params.pad_left + params.in_w) - params.pad_left;
  if (OP == 0u) {
    var best = from_bits(0xff800000u);
    var found = false;
    for (var r = y0; r < y1; r++) {
      for (var c = x0; c < x1; c++) {
        let v = x[plane + r * params.in_w + c];
        if (!found || v > best || (is_nan(v) && !is_nan(best))) { best = v; }
        found = true;
      }
    }
    y[i] = best;
    return;
  }
  var sum = 0.0;
  for (var r = y0; r < y1; r++) {
    for (var c = x0; c < x1; c++) { sum += x[plane + r * params.in_w + c]; }
  }
  var count = f32((y1 - y0) * (x1 - x0));
  if (COUNT_INCLUDE_PAD) {
    let rows = min(top + params.kernel_h, params.pad_top + params.in_h + params.pad_bottom) - top;
    let cols = min(left + params.kernel_w, params.pad_left + params.in_w + params.pad_right) - left;
    count = f32(rows * cols);
  }
  y[i] = sum / count;
}
