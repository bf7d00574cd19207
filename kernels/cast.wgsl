// dtype conversion. FROM / TO: 0 float32, 1 int32, 2 bool (one 0/1 word per element).
// float -> int truncates toward zero; anything -> bool is (x != 0).
// The entry point is kernels/lib/stream.wgsl (ELEMENTS elements per invocation, WG apart).
// uses: dtype, stream

struct Params {
  n: u32,
}

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

override FROM: u32;
override TO: u32;
override WG: u32 = 64u;

fn element(i: u32) {
  let w = x[i];
  var r = w;
  if (TO == DTYPE_BOOL) {
    // -0.0 is zero too; a NaN is non-zero, as in C and NumPy.
    r = select(select(0u, 1u, w != 0u), select(0u, 1u, (w & 0x7fffffffu) != 0u), FROM == DTYPE_F32);
  } else if (FROM == DTYPE_F32 && TO == DTYPE_I32) {
    let v = bitcast<f32>(w);
    // NaN converts to 0 like a typed-array store; out-of-range values saturate to the int32 range,
    // as on the CPU and wasm backends (WGSL's i32() stops at 2147483520, the largest f32 below 2^31).
    let saturated = select(i32(v), 2147483647, v >= 2147483648.0);
    r = bitcast<u32>(select(saturated, 0, (w & 0x7fffffffu) > 0x7f800000u));
  } else if (FROM != DTYPE_F32 && TO == DTYPE_F32) {
    r = bitcast<u32>(f32(bitcast<i32>(w)));
  }
  y[i] = r;
}
