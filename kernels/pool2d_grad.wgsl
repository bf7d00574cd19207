// Gradient of pool2d.wgsl, one input element per thread, gathering from every window that covers
// it (no atomics): average windows add gy / divisor; a max window adds gy only when this element
// is the window's first maximum, found by rescanning the window exactly as the forward pass does.
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
@group(0) @binding(1) var<storage, read> gy: array<f32>;
@group(0) @binding(2) var<storage, read_write> gx: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

// 0 max, 1 average.
override OP: u32;
override COUNT_INCLUDE_PAD: bool = true;
override WG: u32 = 256u;

// Flat in-plane index of the first maximum of window (oh, ow).
fn window_argmax(plane: u32, oh: u32, ow: u32) -> u32 {
  let top = oh * params.stride_h;
  let left = ow * params.stride_w;
  let y0 = max(top, params.pad_top) - params.pad_top;
  let x0 = max(left, params.pad_left) - params.pad_left;
  let y1 = min(top + params.kernel_h, params.pad_top + params.in_h) - params.pad_top;
  let x1 = min(left + params.kernel_w, params.pad_left + params.in_w) - params.pad_left;
  var best = 0.0;
  var at = y0 * params.in_w + x0;
  var found = false;
  for (var r = y0; r < y1; r++) {
    for (var c = x0; c < x1; c++) {
      let v = x[plane + r * params.in_w + c];
      if (!found || v > best || (is_nan(v) && !is_nan(best))) {
        best = v;
        at = r * params.in_w + c;
      }
      found = true;
    }
  }
  return at;
}

fn divisor(oh: u32, ow: u32) -> f32 {
  let top = oh * params.stride_h;
  let left = ow * params.stride_w;
  if (COUNT_INCLUDE_PAD) {
    let rows = min(top + params.kernel_h, params.pad_top + params.in_h + params.pad_bottom) - top;
    let cols = min(left + params.kernel_w, params.pad_left + params.in_w + params.pad_right) - left;
    return f32(rows * cols);
  }
  let rows = min(top + params.kernel_h, params.pad_top + params.in_h) - max(top, params.pad_top);
  let cols = min(left + params.kernel_w, params.pad_left + params.in_w) - max(left, params.pad_left);
  return f32(rows * cols);
}

// Windows covering padded coordinate p along one axis: o * stride <= p < o * stride + kernel.
fn first_window(p: u32, kernel: u32, stride: u32) -> u32 {
  return select(0u, (p - kernel + stride) / stride, p + 1u > kernel);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.total) { return; }
  let iw = i % params.in_w;
  let ih = (i / params.in_w) % params.in_h;
  let p = i / (params.in_w * params.in_h);
  let plane = p * params.in_h * params.in_w;
  let out_plane = p * params.out_h * params.out_w;
  let py = ih + params.pad_top;
  let px = iw + params.pad_left;
  let oh0 = first_window(py, params.kernel_h, params.stride_h);
  let oh1 = min(py / params.stride_h + 1u, params.out_h);
  let ow0 = first_window(px, params.kernel_w, params.stride_w);
  let ow1 = min(px / params.stride_w + 1u, params.out_w);
  let here = ih * params.in_w + iw;
  var acc = 0.0;
  for (var oh = oh0; oh < oh1; oh++) {
    for (var ow = ow0; ow < ow1; ow++) {
      let g = gy[out_plane + oh * params.out_w + ow];
      if (OP == 0u) {
        if (window_argmax(plane, oh, ow) == here) { acc += g; }
      } else {
        acc += g / divisor(oh, ow);
      }
    }
  }
  gx[i] = acc;
}
