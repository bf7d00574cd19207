// Stable sort of each row of the last axis by ranking: the thread of element i counts the elements
// of its row that sort before it (ties broken by position), which is its place in the output.
// O(width^2) per row but barrier-free and fully parallel, the right trade for the row widths this
// library sorts (classes, top-k candidates) on CPU adapters and small GPUs alike.
// NaN sorts as the largest value (PyTorch). DTYPE: 0 float32, 1 int32, 2 bool.
// uses: math, dtype

struct Params {
  n: u32,
  width: u32,
}

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> values: array<u32>;
@group(0) @binding(2) var<storage, read_write> indices: array<i32>;
@group(0) @binding(3) var<uniform> params: Params;

override DTYPE: u32;
override DESCENDING: bool;
override WG: u32 = 64u;

// Whether word `a` (at position j) sorts before word `b` (at position i).
fn before(a: u32, j: u32, b: u32, i: u32) -> bool {
  let tie = j < i;
  // int32, and bool's 0/1 words (as floats they are denormals, which adapters may flush to zero).
  if (DTYPE != DTYPE_F32) {
    let p = bitcast<i32>(a);
    let q = bitcast<i32>(b);
    return select((p < q), (p > q), DESCENDING) || (p == q && tie);
  }
  let p = bitcast<f32>(a);
  let q = bitcast<f32>(b);
  let pn = is_nan(p);
  let qn = is_nan(q);
  if (pn || qn) {
    if (pn && qn) { return tie; }
    // The NaN one is the largest: first when descending, last when ascending.
    return pn == DESCENDING;
  }
  return select((p < q), (p > q), DESCENDING) || (p == q && tie);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = gid.x + gid.y * nwg.x * WG;
  if (e >= params.n) { return; }
  let i = e % params.width;
  let base = e - i;
  let mine = x[e];
  var rank = 0u;
  for (var j = 0u; j < params.width; j++) {
    rank += select(0u, 1u, before(x[base + j], j, mine, i));
  }
  values[base + rank] = mine;
  indices[base + rank] = i32(i);
}
