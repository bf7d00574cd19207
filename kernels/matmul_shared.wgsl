// Workgroup-memory tiled matmul, the classic layout real GPUs prefer: a 16x16 workgroup computes a
// 64x64 tile of C, 4x4 outputs per thread, staging 64x16 slabs of A and 16x64 slabs of B in
// workgroup memory (zero-padded at the edges). Operand addressing as in matmul_register.wgsl.

struct Params {
  m: u32,
  n: u32,
  k: u32,
  a_batch: u32,
  b_batch: u32,
  a_row: u32,
  a_col: u32,
  b_row: u32,
  b_col: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

override TRANS_A: bool;
override TRANS_B: bool;

const TILE: u32 = 64u;
const TILE_K: u32 = 16u;
const THREADS: u32 = 256u;

// [kk][row] and [kk][col], so a thread's 4 consecutive rows / columns sit side by side.
var<workgroup> a_tile: array<f32, 1024>;
var<workgroup> b_tile: array<f32, 1024>;

@compute @workgroup_size(16, 16)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) t: u32,
) {
  let tile_row = wid.y * TILE;
  let tile_col = wid.x * TILE;
  let batch = wid.z;
  let a_base = batch * params.a_batch;
  let b_base = batch * params.b_batch;

  var acc: array<vec4<f32>, 4>;
  for (var p0 = 0u; p0 < params.k; p0 += TILE_K) {
    for (var l = 0u; l < 4u; l++) {
      let idx = t + l * THREADS;
      // Let neighbouring threads read neighbouring addresses of the operand's contiguous dimension.
      let row = select(idx / TILE_K, idx % TILE, TRANS_A);
      let kk = select(idx % TILE_K, idx / TILE, TRANS_A);
      let i = tile_row + row;
      let p = p0 + kk;
      let inside = i < params.m && p < params.k;
      let v = a[select(0u, a_base + i * params.a_row + p * params.a_col, inside)];
      a_tile[kk * TILE + row] = select(0.0, v, inside);

      let col = select(idx % TILE, idx / TILE_K, TRANS_B);
      let kb = select(idx / TILE, idx % TILE_K, TRANS_B);
      let j = tile_col + col;
      let pb = p0 + kb;
      let inside_b = j < params.n && pb < params.k;
      let w = b[select(0u, b_base + pb * params.b_row + j * params.b_col, inside_b)];
      b_tile[kb * TILE + col] = select(0.0, w, inside_b);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      let ar = kk * TILE + lid.y * 4u;
      let bc = kk * TILE + lid.x * 4u;
      let bv = vec4<f32>(b_tile[bc], b_tile[bc + 1u], b_tile[bc + 2u], b_tile[bc + 3u]);
      acc[0] += a_tile[ar] * bv;
      acc[1] += a_tile[ar + 1u] * bv;
      acc[2] += a_tile[ar + 2u] * bv;
      acc[3] += a_tile[ar + 3u] * bv;
    }
    workgroupBarrier();
  }

  let c_base = batch * params.m * params.n;
  for (var r = 0u; r < 4u; r++) {
    let i = tile_row + lid.y * 4u + r;
    if (i >= params.m) { break; }
    for (var col = 0u; col < 4u; col++) {
      let j = tile_col + lid.x * 4u + col;
      if (j < params.n) { c[c_base + i * params.n + j] = acc[r][col]; }
    }
  }
}
