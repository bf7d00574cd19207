// LSTM cell gate math after the gate matmuls, one thread per (batch row, hidden unit):
// z = x_gates + h_gates + bias over the four gates i, f, g, o (PyTorch's order, each H wide);
// c' = sigmoid(z_f) c + sigmoid(z_i) tanh(z_g), h' = sigmoid(z_o) tanh(c').
// HAS_BIAS = false binds a placeholder that is never read.
// uses: math

struct Params {
  n: u32,
  hidden: u32,
}

@group(0) @binding(0) var<storage, read> x_gates: array<f32>;
@group(0) @binding(1) var<storage, read> h_gates: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read> c: array<f32>;
@group(0) @binding(4) var<storage, read_write> h_out: array<f32>;
@group(0) @binding(5) var<storage, read_write> c_out: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

override HAS_BIAS: bool;
override WG: u32 = 256u;

fn gate(row: u32, which: u32, j: u32) -> f32 {
  let col = which * params.hidden + j;
  let at = row * 4u * params.hidden + col;
  var z = x_gates[at] + h_gates[at];
  if (HAS_BIAS) { z += bias[col]; }
  return z;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = gid.x + gid.y * nwg.x * WG;
  if (e >= params.n) { return; }
  let j = e % params.hidden;
  let row = e / params.hidden;
  let c_next = sigmoid_(gate(row, 1u, j)) * c[e] + sigmoid_(gate(row, 0u, j)) * tanh_(gate(row, 2u, j));
  c_out[e] = c_next;
  h_out[e] = sigmoid_(gate(row, 3u, j)) * tanh_(c_next);
}
