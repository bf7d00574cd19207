// Fused attention forward, flash-style: out = softmax(q k^T * scale + mask) v, streaming the keys
// with an online softmax so the Lq x Lk score matrix never exists, plus each query's log-sum-exp
// (lse) for the backward pass (kernels/attention_backward.wgsl).
//
// Barrier-free register tiling, no workgroup memory: on CPU adapters (SwiftShader) barriers are
// very costly and caches serve the K/V rows every thread of a workgroup reads as well as workgroup
// memory would, so what counts is loads per multiply-add. A thread owns 4 queries and one 32-wide
// slice of their output, and walks the keys 4 at a time, keeping a 4 x 4 score block, the output
// slice and its queries' first 32 dims (transposed) in mat4x4 registers: named struct members, not
// arrays, which SwiftShader keeps in memory. The score block is sum_c transpose(Q_c) K_c over 4-dim
// chunks c (column n: key n against the 4 queries); the output slice gains V_c transpose(P).
// Value dims past 32 go to more threads along grid y, each recomputing the scores.
//
// Layout: q [BH, Lq, D], k [BH, Lk, D], v [BH, Lk, DV], out [BH, Lq, DV], lse [BH, Lq]. D and DV
// are multiples of 4 (the host pads other head dims with zeros), so rows load as vec4 words. The
// additive mask (HAS_MASK) is read through element strides for (batch, head, query, key), 0 on
// broadcast dims. CAUSAL: query i sees keys j <= i. Rows past the end are clamped to valid ones
// (their scores are -inf, their outputs never stored), which keeps the loops branch-free. A query
// that sees no key gets zeros and lse = -inf.
//
// SwiftShader compiles every line of a shader whether override constants make it dead or not, so
// this kernel has no alternative paths: compile time grows with code size.

struct Params {
  queries: u32,
  keys: u32,
  heads: u32,
  slices: u32,
  scale: f32,
  mask_b: u32,
  mask_h: u32,
  mask_i: u32,
  mask_j: u32,
}

@group(0) @binding(0) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> mask: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> lse: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

override D: u32;
override DV: u32;
override CAUSAL: bool;
override HAS_MASK: bool;
override WG: u32 = 16u;

override D4: u32 = D / 4u;
override DV4: u32 = DV / 4u;

// Eight 4x4 blocks: 32 dims of 4 rows.
struct Blocks {
  b0: mat4x4<f32>, b1: mat4x4<f32>, b2: mat4x4<f32>, b3: mat4x4<f32>,
  b4: mat4x4<f32>, b5: mat4x4<f32>, b6: mat4x4<f32>, b7: mat4x4<f32>,
}

fn neg_inf() -> f32 {
  // Built at run time: a constant-folded bitcast to -inf is a shader-creation error.
  return bitcast<f32>(0xff800000u | (params.keys & 0u));
}

// Dims 4c .. 4c + 3 of four rows as the columns of a 4x4 block (c is clamped: chunks past the
// width load duplicates that are never stored).
fn q_rows4(rows: vec4<u32>, c: u32) -> mat4x4<f32> {
  return mat4x4<f32>(q[rows.x * D4 + c], q[rows.y * D4 + c], q[rows.z * D4 + c], q[rows.w * D4 + c]);
}

fn k_rows4(rows: vec4<u32>, c: u32) -> mat4x4<f32> {
  return mat4x4<f32>(k[rows.x * D4 + c], k[rows.y * D4 + c], k[rows.z * D4 + c], k[rows.w * D4 + c]);
}

fn v_rows4(rows: vec4<u32>, chunk: u32) -> mat4x4<f32> {
  let c = min(chunk, DV4 - 1u);
  return mat4x4<f32>(v[rows.x * DV4 + c], v[rows.y * DV4 + c], v[rows.z * DV4 + c], v[rows.w * DV4 + c]);
}

// a diag(s): column r scaled by s[r].
fn scale_columns(a: mat4x4<f32>, s: vec4<f32>) -> mat4x4<f32> {
  return mat4x4<f32>(a[0] * s.x, a[1] * s.y, a[2] * s.z, a[3] * s.w);
}

// Scores of the 4 queries qi against key j, scaled and masked: -inf where the key is past Lk or
// past the causal diagonal, or the query past Lq.
fn visible(scores: vec4<f32>, qi: vec4<u32>, j: u32, mask_base: u32) -> vec4<f32> {
  var s = scores * params.scale;
  if (HAS_MASK) {
    let at = mask_base + min(qi, vec4<u32>(params.queries - 1u)) * params.mask_i + min(j, params.keys - 1u) * params.mask_j;
    s += vec4<f32>(mask[at.x], mask[at.y], mask[at.z], mask[at.w]);
  }
  var seen = (qi < vec4<u32>(params.queries)) & vec4<bool>(j < params.keys);
  if (CAUSAL) { seen = seen & (vec4<u32>(j) <= qi); }
  return select(vec4<f32>(neg_inf()), s, seen);
}

// Column r of `tile` times s[r] is dims 4c .. 4c + 3 of output row rows[r]; rows past the end and
// dims past DV are skipped.
fn store_tile(rows: vec4<u32>, valid: vec4<bool>, c: u32, tile: mat4x4<f32>, s: vec4<f32>) {
  if (c >= DV4) { return; }
  let t = scale_columns(tile, s);
  for (var r = 0u; r < 4u; r++) {
    if (valid[r]) {
      let base = rows[r] * DV + 4u * c;
      out[base] = t[r].x;
      out[base + 1u] = t[r].y;
      out[base + 2u] = t[r].z;
      out[base + 3u] = t[r].w;
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let i0 = gid.x * 4u;
  if (i0 >= params.queries) { return; }
  let bh = wid.y / params.slices;
  // This thread's output dims: 4-dim chunks c0 .. c0 + 7.
  let c0 = (wid.y % params.slices) * 8u;
  let mask_base = (bh / params.heads) * params.mask_b + (bh % params.heads) * params.mask_h;
  let qi = vec4<u32>(i0, i0 + 1u, i0 + 2u, i0 + 3u);
  let q_rows = bh * params.queries + min(qi, vec4<u32>(params.queries - 1u));
  let valid = qi < vec4<u32>(params.queries);
  let key_row0 = bh * params.keys;
  // Causal: the block's last query sees keys up to itself.
  let end = select(params.keys, min(params.keys, min(i0 + 3u, params.queries - 1u) + 1u), CAUSAL);

  // The queries' first 32 dims, transposed (row r: query r); more dims are reloaded per key block.
  var qt: Blocks;
  qt.b0 = transpose(q_rows4(q_rows, 0u));
  if (D4 > 1u) { qt.b1 = transpose(q_rows4(q_rows, 1u)); }
  if (D4 > 2u) { qt.b2 = transpose(q_rows4(q_rows, 2u)); }
  if (D4 > 3u) { qt.b3 = transpose(q_rows4(q_rows, 3u)); }
  if (D4 > 4u) { qt.b4 = transpose(q_rows4(q_rows, 4u)); }
  if (D4 > 5u) { qt.b5 = transpose(q_rows4(q_rows, 5u)); }
  if (D4 > 6u) { qt.b6 = transpose(q_rows4(q_rows, 6u)); }
  if (D4 > 7u) { qt.b7 = transpose(q_rows4(q_rows, 7u)); }

  var m = vec4<f32>(neg_inf());
  var l = vec4<f32>(0.0);
  var acc: Blocks;
  for (var j0 = 0u; j0 < end; j0 += 4u) {
    let k_rows = key_row0 + min(vec4<u32>(j0, j0 + 1u, j0 + 2u, j0 + 3u), vec4<u32>(end - 1u));
    var raw = qt.b0 * k_rows4(k_rows, 0u);
    if (D4 > 1u) { raw += qt.b1 * k_rows4(k_rows, 1u); }
    if (D4 > 2u) { raw += qt.b2 * k_rows4(k_rows, 2u); }
    if (D4 > 3u) { raw += qt.b3 * k_rows4(k_rows, 3u); }
    if (D4 > 4u) { raw += qt.b4 * k_rows4(k_rows, 4u); }
    if (D4 > 5u) { raw += qt.b5 * k_rows4(k_rows, 5u); }
    if (D4 > 6u) { raw += qt.b6 * k_rows4(k_rows, 6u); }
    if (D4 > 7u) { raw += qt.b7 * k_rows4(k_rows, 7u); }
    for (var c = 8u; c < D4; c++) { raw += transpose(q_rows4(q_rows, c)) * k_rows4(k_rows, c); }
    let s = mat4x4<f32>(visible(raw[0], qi, j0, mask_base), visible(raw[1], qi, j0 + 1u, mask_base),
                        visible(raw[2], qi, j0 + 2u, mask_base), visible(raw[3], qi, j0 + 3u, mask_base));
    // Online softmax. A query with nothing visible yet keeps max -inf: its (all -inf) scores shift by 0.
    let m_new = max(m, max(max(s[0], s[1]), max(s[2], s[3])));
    let seen = m_new != vec4<f32>(neg_inf());
    let top = select(vec4<f32>(0.0), m_new, seen);
    let correction = select(vec4<f32>(1.0), exp(m - top), seen);
    let p = mat4x4<f32>(exp(s[0] - top), exp(s[1] - top), exp(s[2] - top), exp(s[3] - top));
    l = l * correction + (p[0] + p[1]) + (p[2] + p[3]);
    m = m_new;
    // Output slice: column r of block n gains sum_m p[m][r] * (dims of key m).
    let pt = transpose(p);
    acc.b0 = scale_columns(acc.b0, correction) + v_rows4(k_rows, c0) * pt;
    if (DV4 > 1u) { acc.b1 = scale_columns(acc.b1, correction) + v_rows4(k_rows, c0 + 1u) * pt; }
    if (DV4 > 2u) { acc.b2 = scale_columns(acc.b2, correction) + v_rows4(k_rows, c0 + 2u) * pt; }
    if (DV4 > 3u) { acc.b3 = scale_columns(acc.b3, correction) + v_rows4(k_rows, c0 + 3u) * pt; }
    if (DV4 > 4u) { acc.b4 = scale_columns(acc.b4, correction) + v_rows4(k_rows, c0 + 4u) * pt; }
    if (DV4 > 5u) { acc.b5 = scale_columns(acc.b5, correction) + v_rows4(k_rows, c0 + 5u) * pt; }
    if (DV4 > 6u) { acc.b6 = scale_columns(acc.b6, correction) + v_rows4(k_rows, c0 + 6u) * pt; }
    if (DV4 > 7u) { acc.b7 = scale_columns(acc.b7, correction) + v_rows4(k_rows, c0 + 7u) * pt; }
  }

  let empty = l == vec4<f32>(0.0);
  let inv = select(1.0 / l, vec4<f32>(0.0), empty);
  store_tile(q_rows, valid, c0, acc.b0, inv);
  if (DV4 > 1u) { store_tile(q_rows, valid, c0 + 1u, acc.b1, inv); }
  if (DV4 > 2u) { store_tile(q_rows, valid, c0 + 2u, acc.b2, inv); }
  if (DV4 > 3u) { store_tile(q_rows, valid, c0 + 3u, acc.b3, inv); }
  if (DV4 > 4u) { store_tile(q_rows, valid, c0 + 4u, acc.b4, inv); }
  if (DV4 > 5u) { store_tile(q_rows, valid, c0 + 5u, acc.b5, inv); }
  if (DV4 > 6u) { store_tile(q_rows, valid, c0 + 6u, acc.b6, inv); }
  if (DV4 > 7u) { store_tile(q_rows, valid, c0 + 7u, acc.b7, inv); }
  if (c0 == 0u) {
    let logs = select(m + log(l), vec4<f32>(neg_inf()), empty);
    for (var r = 0u; r < 4u; r++) {
      if (valid[r]) { lse[q_rows[r]] = logs[r]; }
    }
  }
}
