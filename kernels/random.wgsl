// Philox4x32-10 streams, bit for bit the recipe of src/random.ts:
//   element i: (x0, x1, x2, x3) = philox(counter = (i, stream, 0, 0), key = (key0, key1))
//   uniform: (x0 >> 8) * 2^-24;  normal: Box-Muller on u1 = ((x0 >> 8) + 1) * 2^-24, u2 = (x1 >> 8) * 2^-24.
// KIND: 0 uniform, 1 normal. log_ and sin_cos (kernels/lib/math.wgsl) are accurate to float32
// where WGSL's builtins only promise absolute errors (u1 is often close to 1).
// uses: math

struct Params {
  n: u32,
  key0: u32,
  key1: u32,
  stream: u32,
}

@group(0) @binding(0) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<uniform> params: Params;

override KIND: u32;
override WG: u32 = 256u;

const M0: u32 = 0xd2511f53u;
const M1: u32 = 0xcd9e8d57u;
const W0: u32 = 0x9e3779b9u;
const W1: u32 = 0xbb67ae85u;
const TWO_POW_M24: f32 = 5.9604644775390625e-8;
const PI: f32 = 3.14159265358979323846;

// High word of the 64-bit product from 16-bit halves (WGSL has no 64-bit integers).
fn mulhi(a: u32, b: u32) -> u32 {
  let a_lo = a & 0xffffu;
  let a_hi = a >> 16u;
  let b_lo = b & 0xffffu;
  let b_hi = b >> 16u;
  let lolo = a_lo * b_lo;
  let mid1 = a_hi * b_lo + (lolo >> 16u);
  let mid2 = a_lo * b_hi + (mid1 & 0xffffu);
  return a_hi * b_hi + (mid1 >> 16u) + (mid2 >> 16u);
}

fn philox(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = counter;
  var k = key;
  for (var round = 0u; round < 10u; round++) {
    let hi0 = mulhi(M0, c.x);
    let lo0 = M0 * c.x;
    let hi1 = mulhi(M1, c.z);
    let lo1 = M1 * c.z;
    c = vec4<u32>(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    k = k + vec2<u32>(W0, W1);
  }
  return c;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.n) { return; }
  let words = philox(vec4<u32>(i, params.stream, 0u, 0u), vec2<u32>(params.key0, params.key1));
  if (KIND == 0u) {
    y[i] = f32(words.x >> 8u) * TWO_POW_M24;
    return;
  }
  let u1 = f32((words.x >> 8u) + 1u) * TWO_POW_M24;
  let u2 = f32(words.y >> 8u) * TWO_POW_M24;
  // cos(2 pi u2) = -cos(pi (2 u2 - 1)): the argument stays in [-pi, pi).
  y[i] = sqrt(-2.0 * log_(u1)) * -sin_cos(PI * (2.0 * u2 - 1.0), true);
}
