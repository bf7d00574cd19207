// Fused attention, flash-style: the Lq x Lk score matrix never exists in memory, in either pass.
//   PASS 0, forward:  out = softmax(q k^T * scale + mask) v with an online softmax, and each
//                     query's log-sum-exp lse.
//   PASS 1, dq:  sum_j dS_ij k_j * scale
//   PASS 2, dk:  sum_i dS_ij q_i * scale
//   PASS 3, dv:  sum_i P_ij dout_i
// with P_ij = exp(s_ij - lse_i) recomputed from the forward's lse and
// dS_ij = P_ij (dout_i . v_j - delta_i), delta_i = dout_i . out_i (FlashAttention-2).
//
// Barrier-free register tiling, no workgroup memory: on CPU adapters (SwiftShader) barriers are
// very costly and caches serve the rows every thread of a workgroup reads as well as workgroup
// memory would, so what counts is loads per multiply-add. A thread owns 4 rows (4 queries in passes
// 0 and 1, 4 keys in passes 2 and 3) and one 32-wide slice of its output; it walks the other side
// 4 rows at a time, keeping 4 x 4 score blocks and the output slice in mat4x4 registers (named
// struct members, not arrays, which SwiftShader keeps in memory). A score block is
// sum_c transpose(Own_c) Other_c over 4-dim chunks c: column n holds other row n against the 4 own
// rows (in the forward pass the own rows' first 32 dims stay in registers, transposed). Output dims past 32 go to more threads along grid y, each
// recomputing the scores.
//
// Operands are bound by role, so no code selects between buffers at run time:
//   pass   own_a  other_a  own_b  other_b   scores from a, dP from b, output accumulates
//   0      q      k        -      v         other_b (v)
//   1      q      k        dout   v         other_a (k)
//   2      k      q        v      dout      other_a (q)
//   3      k      q        -      dout      other_b (dout)
// a-operands have width D, b-operands DV; all are read as vec4 words (rows of a width that is not
// a multiple of 4 are picked element by element, the slow path). Layout: q [BH, Lq, D],
// k [BH, Lk, D], v [BH, Lk, DV], dout [BH, Lq, DV], lse and delta [BH, Lq]; a pass's output has its
// gradient's layout. The additive mask (HAS_MASK) is read through element strides for (batch, head,
// query, key), 0 on broadcast dims. CAUSAL: query i sees keys j <= i. Rows past the end are clamped
// to valid ones (their scores are -inf, their outputs never stored), which keeps the loops
// branch-free. A query that sees no key gets zeros and lse = -inf.

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

@group(0) @binding(0) var<storage, read> own_a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> other_a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> own_b: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> other_b: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> mask: array<f32>;
@group(0) @binding(5) var<storage, read> delta: array<f32>;
// Written by the forward pass, read by the backward passes.
@group(0) @binding(6) var<storage, read_write> lse: array<f32>;
@group(0) @binding(7) var<storage, read_write> out: array<f32>;
@group(0) @binding(8) var<uniform> params: Params;

override PASS: u32;
override D: u32;
override DV: u32;
override CAUSAL: bool;
override HAS_MASK: bool;
override WG: u32 = 16u;

override D4: u32 = (D + 3u) / 4u;
override DV4: u32 = (DV + 3u) / 4u;
override OWNS_KEYS: bool = PASS >= 2u;
override ACC_FROM_B: bool = PASS == 0u || PASS == 3u;
override OUT_WIDTH: u32 = select(D, DV, ACC_FROM_B);
override OUT_CHUNKS: u32 = select(D4, DV4, ACC_FROM_B);
// The own rows' first 32 dims stay in registers in the forward pass only: the backward passes
// have two own operands, and that many live registers made SwiftShader compile each of them
// 4-7x slower (over 5 s a pipeline) for a 25-40% faster kernel.
override OWN_IN_REGISTERS: bool = PASS == 0u;

// Eight 4x4 blocks: 32 dims of 4 rows, or a 4-row x 32-dim output slice.
struct Blocks {
  b0: mat4x4<f32>, b1: mat4x4<f32>, b2: mat4x4<f32>, b3: mat4x4<f32>,
  b4: mat4x4<f32>, b5: mat4x4<f32>, b6: mat4x4<f32>, b7: mat4x4<f32>,
}

fn neg_inf() -> f32 {
  // Built at run time: a constant-folded bitcast to -inf is a shader-creation error.
  return bitcast<f32>(0xff800000u | (params.keys & 0u));
}

// Dims 4c .. 4c + 3 of row `row` (of width `width`) of each role's operand, zero past the width.
fn own_a_chunk(row: u32, c: u32) -> vec4<f32> {
  if (D % 4u == 0u) { return own_a[row * D4 + min(c, D4 - 1u)]; }
  let e = row * D + 4u * c;
  return select(vec4<f32>(0.0), vec4<f32>(own_a[e / 4u][e % 4u], own_a[(e + 1u) / 4u][(e + 1u) % 4u], own_a[(e + 2u) / 4u][(e + 2u) % 4u], own_a[(e + 3u) / 4u][(e + 3u) % 4u]), 4u * c + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(D));
}

fn other_a_chunk(row: u32, c: u32) -> vec4<f32> {
  if (D % 4u == 0u) { return other_a[row * D4 + min(c, D4 - 1u)]; }
  let e = row * D + 4u * c;
  return select(vec4<f32>(0.0), vec4<f32>(other_a[e / 4u][e % 4u], other_a[(e + 1u) / 4u][(e + 1u) % 4u], other_a[(e + 2u) / 4u][(e + 2u) % 4u], other_a[(e + 3u) / 4u][(e + 3u) % 4u]), 4u * c + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(D));
}

fn own_b_chunk(row: u32, c: u32) -> vec4<f32> {
  if (DV % 4u == 0u) { return own_b[row * DV4 + min(c, DV4 - 1u)]; }
  let e = row * DV + 4u * c;
  return select(vec4<f32>(0.0), vec4<f32>(own_b[e / 4u][e % 4u], own_b[(e + 1u) / 4u][(e + 1u) % 4u], own_b[(e + 2u) / 4u][(e + 2u) % 4u], own_b[(e + 3u) / 4u][(e + 3u) % 4u]), 4u * c + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(DV));
}

fn other_b_chunk(row: u32, c: u32) -> vec4<f32> {
  if (DV % 4u == 0u) { return other_b[row * DV4 + min(c, DV4 - 1u)]; }
  let e = row * DV + 4u * c;
  return select(vec4<f32>(0.0), vec4<f32>(other_b[e / 4u][e % 4u], other_b[(e + 1u) / 4u][(e + 1u) % 4u], other_b[(e + 2u) / 4u][(e + 2u) % 4u], other_b[(e + 3u) / 4u][(e + 3u) % 4u]), 4u * c + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(DV));
}

// Dims 4c .. 4c + 3 of four rows as the columns of a 4x4 block (role: 0 own_a, 1 other_a, 2 own_b, 3 other_b).
fn rows4(role: u32, rows: vec4<u32>, c: u32) -> mat4x4<f32> {
  switch role {
    case 0u: { return mat4x4<f32>(own_a_chunk(rows.x, c), own_a_chunk(rows.y, c), own_a_chunk(rows.z, c), own_a_chunk(rows.w, c)); }
    case 1u: { return mat4x4<f32>(other_a_chunk(rows.x, c), other_a_chunk(rows.y, c), other_a_chunk(rows.z, c), other_a_chunk(rows.w, c)); }
    case 2u: { return mat4x4<f32>(own_b_chunk(rows.x, c), own_b_chunk(rows.y, c), own_b_chunk(rows.z, c), own_b_chunk(rows.w, c)); }
    default: { return mat4x4<f32>(other_b_chunk(rows.x, c), other_b_chunk(rows.y, c), other_b_chunk(rows.z, c), other_b_chunk(rows.w, c)); }
  }
}

// The first 32 dims of the own rows (role 0 or 2), transposed (row r: own row r), when they stay in registers.
fn own_transposed(role: u32, rows: vec4<u32>, chunks: u32) -> Blocks {
  var t: Blocks;
  if (!OWN_IN_REGISTERS) { return t; }
  t.b0 = transpose(rows4(role, rows, 0u));
  if (chunks > 1u) { t.b1 = transpose(rows4(role, rows, 1u)); }
  if (chunks > 2u) { t.b2 = transpose(rows4(role, rows, 2u)); }
  if (chunks > 3u) { t.b3 = transpose(rows4(role, rows, 3u)); }
  if (chunks > 4u) { t.b4 = transpose(rows4(role, rows, 4u)); }
  if (chunks > 5u) { t.b5 = transpose(rows4(role, rows, 5u)); }
  if (chunks > 6u) { t.b6 = transpose(rows4(role, rows, 6u)); }
  if (chunks > 7u) { t.b7 = transpose(rows4(role, rows, 7u)); }
  return t;
}

// sum over dims of own . other (roles 0 . 1 or 2 . 3): column n = other row n against the 4 own rows.
fn products(own: Blocks, own_role: u32, own_rows: vec4<u32>, other_rows: vec4<u32>, chunks: u32) -> mat4x4<f32> {
  let other_role = own_role + 1u;
  if (!OWN_IN_REGISTERS) {
    var s = mat4x4<f32>();
    for (var c = 0u; c < chunks; c++) {
      s += transpose(rows4(own_role, own_rows, c)) * rows4(other_role, other_rows, c);
    }
    return s;
  }
  var s = own.b0 * rows4(other_role, other_rows, 0u);
  if (chunks > 1u) { s += own.b1 * rows4(other_role, other_rows, 1u); }
  if (chunks > 2u) { s += own.b2 * rows4(other_role, other_rows, 2u); }
  if (chunks > 3u) { s += own.b3 * rows4(other_role, other_rows, 3u); }
  if (chunks > 4u) { s += own.b4 * rows4(other_role, other_rows, 4u); }
  if (chunks > 5u) { s += own.b5 * rows4(other_role, other_rows, 5u); }
  if (chunks > 6u) { s += own.b6 * rows4(other_role, other_rows, 6u); }
  if (chunks > 7u) { s += own.b7 * rows4(other_role, other_rows, 7u); }
  for (var c = 8u; c < chunks; c++) {
    s += transpose(rows4(own_role, own_rows, c)) * rows4(other_role, other_rows, c);
  }
  return s;
}

// a diag(s): column r scaled by s[r].
fn scale_columns(a: mat4x4<f32>, s: vec4<f32>) -> mat4x4<f32> {
  return mat4x4<f32>(a[0] * s.x, a[1] * s.y, a[2] * s.z, a[3] * s.w);
}

// acc diag(keep) + Other_c transpose(w) for the slice's chunks c0 .. c0 + 7: column r of block n
// gains sum_m w[m][r] * (dims of other row m), own row r's w-weighted sum of other rows.
fn accumulate(acc: Blocks, keep: vec4<f32>, rows: vec4<u32>, c0: u32, w: mat4x4<f32>) -> Blocks {
  let role = select(1u, 3u, ACC_FROM_B);
  let wt = transpose(w);
  var a: Blocks;
  a.b0 = scale_columns(acc.b0, keep) + rows4(role, rows, c0) * wt;
  if (OUT_CHUNKS > 1u) { a.b1 = scale_columns(acc.b1, keep) + rows4(role, rows, c0 + 1u) * wt; }
  if (OUT_CHUNKS > 2u) { a.b2 = scale_columns(acc.b2, keep) + rows4(role, rows, c0 + 2u) * wt; }
  if (OUT_CHUNKS > 3u) { a.b3 = scale_columns(acc.b3, keep) + rows4(role, rows, c0 + 3u) * wt; }
  if (OUT_CHUNKS > 4u) { a.b4 = scale_columns(acc.b4, keep) + rows4(role, rows, c0 + 4u) * wt; }
  if (OUT_CHUNKS > 5u) { a.b5 = scale_columns(acc.b5, keep) + rows4(role, rows, c0 + 5u) * wt; }
  if (OUT_CHUNKS > 6u) { a.b6 = scale_columns(acc.b6, keep) + rows4(role, rows, c0 + 6u) * wt; }
  if (OUT_CHUNKS > 7u) { a.b7 = scale_columns(acc.b7, keep) + rows4(role, rows, c0 + 7u) * wt; }
  return a;
}

// Column r of `tile` times s[r] is dims 4c .. 4c + 3 of output row rows[r]; rows past the end and
// dims past the width are skipped.
fn store_tile(rows: vec4<u32>, valid: vec4<bool>, c: u32, tile: mat4x4<f32>, s: vec4<f32>) {
  let col = 4u * c;
  if (col >= OUT_WIDTH) { return; }
  let t = scale_columns(tile, s);
  for (var r = 0u; r < 4u; r++) {
    if (valid[r]) {
      let o = t[r];
      let base = rows[r] * OUT_WIDTH + col;
      out[base] = o.x;
      if (col + 1u < OUT_WIDTH) { out[base + 1u] = o.y; }
      if (col + 2u < OUT_WIDTH) { out[base + 2u] = o.z; }
      if (col + 3u < OUT_WIDTH) { out[base + 3u] = o.w; }
    }
  }
}

fn store_slice(acc: Blocks, rows: vec4<u32>, valid: vec4<bool>, c0: u32, s: vec4<f32>) {
  store_tile(rows, valid, c0, acc.b0, s);
  if (OUT_CHUNKS > 1u) { store_tile(rows, valid, c0 + 1u, acc.b1, s); }
  if (OUT_CHUNKS > 2u) { store_tile(rows, valid, c0 + 2u, acc.b2, s); }
  if (OUT_CHUNKS > 3u) { store_tile(rows, valid, c0 + 3u, acc.b3, s); }
  if (OUT_CHUNKS > 4u) { store_tile(rows, valid, c0 + 4u, acc.b4, s); }
  if (OUT_CHUNKS > 5u) { store_tile(rows, valid, c0 + 5u, acc.b5, s); }
  if (OUT_CHUNKS > 6u) { store_tile(rows, valid, c0 + 6u, acc.b6, s); }
  if (OUT_CHUNKS > 7u) { store_tile(rows, valid, c0 + 7u, acc.b7, s); }
}

// Scores of queries i against keys j (4 pairs: one column of a score block), scaled and masked:
// -inf where the key does not exist for the query (past Lk, past the causal diagonal) or the query
// does not exist (past Lq).
fn visible(scores: vec4<f32>, i: vec4<u32>, j: vec4<u32>, mask_base: u32) -> vec4<f32> {
  var s = scores * params.scale;
  if (HAS_MASK) {
    let at = mask_base + min(i, vec4<u32>(params.queries - 1u)) * params.mask_i + min(j, vec4<u32>(params.keys - 1u)) * params.mask_j;
    s += vec4<f32>(mask[at.x], mask[at.y], mask[at.z], mask[at.w]);
  }
  var seen = (j < vec4<u32>(params.keys)) & (i < vec4<u32>(params.queries));
  if (CAUSAL) { seen = seen & (j <= i); }
  return select(vec4<f32>(neg_inf()), s, seen);
}

// The log-sum-exp as a softmax shift: a query that sees no key (lse -inf, all scores -inf) shifts
// by 0, so its probabilities are exp(-inf) = 0 instead of NaN.
fn shift_of(rows: vec4<u32>) -> vec4<f32> {
  let l = vec4<f32>(lse[rows.x], lse[rows.y], lse[rows.z], lse[rows.w]);
  return select(l, vec4<f32>(0.0), l == vec4<f32>(neg_inf()));
}

fn delta_of(rows: vec4<u32>) -> vec4<f32> {
  return vec4<f32>(delta[rows.x], delta[rows.y], delta[rows.z], delta[rows.w]);
}

// Passes 0 and 1: 4 queries walk the keys 4 at a time (s and dP columns: keys; components: queries).
fn own_queries(q_rows: vec4<u32>, qi: vec4<u32>, key_row0: u32, c0: u32, mask_base: u32, end: u32, valid: vec4<bool>) {
  let own_q = own_transposed(0u, q_rows, D4);
  var own_g: Blocks;
  var shift = vec4<f32>(0.0);
  var d = vec4<f32>(0.0);
  if (PASS == 1u) {
    own_g = own_transposed(2u, q_rows, DV4);
    shift = shift_of(q_rows);
    d = delta_of(q_rows);
  }
  var m = vec4<f32>(neg_inf());
  var l = vec4<f32>(0.0);
  var acc: Blocks;
  for (var j0 = 0u; j0 < end; j0 += 4u) {
    let k_rows = key_row0 + min(vec4<u32>(j0, j0 + 1u, j0 + 2u, j0 + 3u), vec4<u32>(end - 1u));
    let raw = products(own_q, 0u, q_rows, k_rows, D4);
    var s = mat4x4<f32>(visible(raw[0], qi, vec4<u32>(j0), mask_base), visible(raw[1], qi, vec4<u32>(j0 + 1u), mask_base),
                        visible(raw[2], qi, vec4<u32>(j0 + 2u), mask_base), visible(raw[3], qi, vec4<u32>(j0 + 3u), mask_base));
    if (PASS == 0u) {
      // Online softmax. A query with nothing visible yet keeps max -inf: its (all -inf) scores shift by 0.
      let m_new = max(m, max(max(s[0], s[1]), max(s[2], s[3])));
      let seen = m_new != vec4<f32>(neg_inf());
      let top = select(vec4<f32>(0.0), m_new, seen);
      let correction = select(vec4<f32>(1.0), exp(m - top), seen);
      let p = mat4x4<f32>(exp(s[0] - top), exp(s[1] - top), exp(s[2] - top), exp(s[3] - top));
      l = l * correction + (p[0] + p[1]) + (p[2] + p[3]);
      m = m_new;
      acc = accumulate(acc, correction, k_rows, c0, p);
    } else {
      let dp = products(own_g, 2u, q_rows, k_rows, DV4);
      let ds = mat4x4<f32>(exp(s[0] - shift) * (dp[0] - d), exp(s[1] - shift) * (dp[1] - d),
                           exp(s[2] - shift) * (dp[2] - d), exp(s[3] - shift) * (dp[3] - d));
      acc = accumulate(acc, vec4<f32>(1.0), k_rows, c0, ds);
    }
  }
  if (PASS == 1u) {
    store_slice(acc, q_rows, valid, c0, vec4<f32>(params.scale));
    return;
  }
  let empty = l == vec4<f32>(0.0);
  store_slice(acc, q_rows, valid, c0, select(1.0 / l, vec4<f32>(0.0), empty));
  if (c0 == 0u) {
    let logs = select(m + log(l), vec4<f32>(neg_inf()), empty);
    for (var r = 0u; r < 4u; r++) {
      if (valid[r]) { lse[q_rows[r]] = logs[r]; }
    }
  }
}

// Passes 2 and 3: 4 keys walk the queries 4 at a time (columns: queries; components: keys).
fn own_keys(k_rows: vec4<u32>, kj: vec4<u32>, query_row0: u32, c0: u32, mask_base: u32, start: u32, valid: vec4<bool>) {
  let own_k = own_transposed(0u, k_rows, D4);
  var own_v: Blocks;
  if (PASS == 2u) { own_v = own_transposed(2u, k_rows, DV4); }
  var acc: Blocks;
  for (var i0 = start; i0 < params.queries; i0 += 4u) {
    let q_rows = query_row0 + min(vec4<u32>(i0, i0 + 1u, i0 + 2u, i0 + 3u), vec4<u32>(params.queries - 1u));
    let raw = products(own_k, 0u, k_rows, q_rows, D4);
    let shift = shift_of(q_rows);
    var w = mat4x4<f32>(
      exp(visible(raw[0], vec4<u32>(i0), kj, mask_base) - shift.x), exp(visible(raw[1], vec4<u32>(i0 + 1u), kj, mask_base) - shift.y),
      exp(visible(raw[2], vec4<u32>(i0 + 2u), kj, mask_base) - shift.z), exp(visible(raw[3], vec4<u32>(i0 + 3u), kj, mask_base) - shift.w));
    if (PASS == 2u) {
      let dp = products(own_v, 2u, k_rows, q_rows, DV4);
      let d = delta_of(q_rows);
      w = mat4x4<f32>(w[0] * (dp[0] - d.x), w[1] * (dp[1] - d.y), w[2] * (dp[2] - d.z), w[3] * (dp[3] - d.w));
    }
    acc = accumulate(acc, vec4<f32>(1.0), q_rows, c0, w);
  }
  store_slice(acc, k_rows, valid, c0, vec4<f32>(select(1.0, params.scale, PASS == 2u)));
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let r0 = gid.x * 4u;
  let own_count = select(params.queries, params.keys, OWNS_KEYS);
  if (r0 >= own_count) { return; }
  let bh = wid.y / params.slices;
  // This thread's output dims: 4-dim chunks c0 .. c0 + 7.
  let c0 = (wid.y % params.slices) * 8u;
  let mask_base = (bh / params.heads) * params.mask_b + (bh % params.heads) * params.mask_h;
  let own_index = vec4<u32>(r0, r0 + 1u, r0 + 2u, r0 + 3u);
  let own_rows = bh * own_count + min(own_index, vec4<u32>(own_count - 1u));
  let valid = own_index < vec4<u32>(own_count);
  if (OWNS_KEYS) {
    // Causal: queries before the block's first key see none of its keys.
    own_keys(own_rows, own_index, bh * params.queries, c0, mask_base, select(0u, r0, CAUSAL), valid);
    return;
  }
  // Causal: the block's last query sees keys up to itself.
  let end = select(params.keys, min(params.keys, min(r0 + 3u, params.queries - 1u) + 1u), CAUSAL);
  own_queries(own_rows, own_index, bh * params.keys, c0, mask_base, end, valid);
}
