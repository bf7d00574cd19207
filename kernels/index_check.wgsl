// Device-side assert on an int32 index tensor (class labels, gather and embedding rows): one
// thread per entry; an entry outside [0, size) that is not the ignored value sets its check's slot
// in a small flags buffer, which the host reads at the next readback or sync and turns into an
// error naming the op (as PyTorch's CUDA device-side asserts do). Entries in range only read.
// A slot is four words: the earliest bad position p stored as n - p (so an atomic max keeps the
// earliest), the most negative bad value, the largest bad value, unused. The host zeroes them.

struct Params {
  n: u32,
  size: i32,
  ignore: i32,
  has_ignore: u32,
  slot: u32,
}

@group(0) @binding(0) var<storage, read> index: array<i32>;
@group(0) @binding(1) var<storage, read_write> flags: array<atomic<i32>>;
@group(0) @binding(2) var<uniform> params: Params;

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = gid.x + gid.y * nwg.x * WG;
  if (e >= params.n) { return; }
  let v = index[e];
  if ((v >= 0 && v < params.size) || (params.has_ignore != 0u && v == params.ignore)) { return; }
  let base = params.slot * 4u;
  atomicMax(&flags[base], i32(params.n - e));
  if (v < 0) {
    atomicMin(&flags[base + 1u], v);
  } else {
    atomicMax(&flags[base + 2u], v);
  }
}
