// Sets every element to one 32-bit pattern (the host encodes the value for the dtype).
// The entry point is kernels/lib/stream.wgsl (ELEMENTS elements per invocation, WG apart).
// uses: stream

struct Params {
  n: u32,
  bits: u32,
}

@group(0) @binding(0) var<storage, read_write> y: array<u32>;
@group(0) @binding(1) var<uniform> params: Params;

override WG: u32 = 64u;

fn element(i: u32) {
  y[i] = params.bits;
}
