// One fused optimizer step for one parameter: reads the gradient, updates the parameter and its
// state buffers in place, one thread per element. KIND: 0 sgd, 1 adam, 2 adamw, 3 rmsprop (the
// order of OPTIMIZER_KINDS in src/backend/webgpu/optimizer.ts). The formulas are PyTorch's
// single-tensor ones, as in src/backend/cpu/optimizer.ts; step-dependent scalars (Adam's bias
// corrections, AdamW's decay factor) are computed on the host in float64.
//
// State buffers: adam/adamw a = exp_avg, b = exp_avg_sq, c = max_exp_avg_sq (amsgrad); sgd
// a = momentum buffer; rmsprop a = square_avg, b = momentum buffer, c = grad_avg (centered). A
// kind that uses fewer gets a placeholder bound instead.

struct Params {
  n: u32,
  lr: f32,
  weight_decay: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  momentum: f32,
  dampening: f32,
  alpha: f32,
  // adam: lr / (1 - beta1^t) and sqrt(1 - beta2^t); adamw: 1 - lr * weight_decay.
  step_size: f32,
  bias_correction2_sqrt: f32,
  decay: f32,
  nesterov: u32,
  // sgd: the momentum buffer starts as the first gradient.
  first_step: u32,
  // sgd and rmsprop: whether a momentum buffer is bound.
  use_buffer: u32,
  // adam/adamw: state_c holds max_exp_avg_sq.
  amsgrad: u32,
  // rmsprop: state_c holds grad_avg.
  centered: u32,
}

@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> state_a: array<f32>;
@group(0) @binding(3) var<storage, read_write> state_b: array<f32>;
@group(0) @binding(4) var<storage, read_write> state_c: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

override KIND: u32;
override WG: u32 = 256u;

fn sgd(i: u32) {
  var g = grad[i] + params.weight_decay * param[i];
  if (params.use_buffer != 0u) {
    var b = g;
    if (params.first_step == 0u) { b = params.momentum * state_a[i] + (1.0 - params.dampening) * g; }
    state_a[i] = b;
    g = select(b, g + params.momentum * b, params.nesterov != 0u);
  }
  param[i] = param[i] - params.lr * g;
}

fn adam(i: u32, decoupled: bool) {
  var x = param[i];
  var g = grad[i];
  if (decoupled) { x = x * params.decay; } else { g = g + params.weight_decay * x; }
  let m = state_a[i] + (1.0 - params.beta1) * (g - state_a[i]);
  let v = params.beta2 * state_b[i] + (1.0 - params.beta2) * g * g;
  state_a[i] = m;
  state_b[i] = v;
  var denom_sq = v;
  if (params.amsgrad != 0u) {
    denom_sq = max(state_c[i], v);
    state_c[i] = denom_sq;
  }
  param[i] = x - params.step_size * m / (sqrt(denom_sq) / params.bias_correction2_sqrt + params.eps);
}

fn rmsprop(i: u32) {
  let g = grad[i] + params.weight_decay * param[i];
  let s = params.alpha * state_a[i] + (1.0 - params.alpha) * g * g;
  state_a[i] = s;
  var variance = s;
  if (params.centered != 0u) {
    let ga = state_c[i] + (1.0 - params.alpha) * (g - state_c[i]);
    state_c[i] = ga;
    variance = s - ga * ga;
  }
  let avg = sqrt(variance) + params.eps;
  if (params.use_buffer != 0u) {
    let b = params.momentum * state_b[i] + g / avg;
    state_b[i] = b;
    param[i] = param[i] - params.lr * b;
  } else {
    param[i] = param[i] - params.lr * g / avg;
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.n) { return; }
  switch KIND {
    case 0u: { sgd(i); }
    case 1u: { adam(i, false); }
    case 2u: { adam(i, true); }
    default: { rmsprop(i); }
  }
}
