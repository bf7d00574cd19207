// Fused attention backward (FlashAttention-2), one gradient per pass, none of them storing the
// Lq x Lk probabilities:
//   GRAD 0, dq:  sum_j dS_ij k_j * scale
//   GRAD 1, dk:  sum_i dS_ij q_i * scale
//   GRAD 2, dv:  sum_i P_ij dout_i
// with P_ij = exp(s_ij - lse_i) recomputed from the forward's log-sum-exp (kernels/attention.wgsl)
// and dS_ij = P_ij (dout_i . v_j - delta_i), delta_i = dout_i . out_i. Separate passes need no
// atomics: each output row is owned by one thread.
//
// The same barrier-free register tiling as the forward: a thread owns 4 rows (4 queries for dq,
// 4 keys for dk and dv) and one 32-wide slice of their gradient, and walks the other side 4 rows at
// a time. A score block is sum_c transpose(Own_c) Other_c over 4-dim chunks c (column n: other row
// n against the 4 own rows); the gradient slice gains Other_c transpose(W) with W the block's dS or
// P. Unlike the forward, the own rows are reloaded for every block instead of kept in registers:
// SwiftShader compiles every line of a shader, live or not, and the extra live registers made each
// of these pipelines take 4-7x longer to build (over 5 s) for a kernel 25-40% faster.
//
// Operands are bound by role, so no code picks between buffers at run time:
//   grad   own_a  other_a  own_b  other_b   scores from a . a, dout . v from b . b, accumulates
//   dq     q      k        dout   v         other_a (k)
//   dk     k      q        v      dout      other_a (q)
//   dv     k      q        -      dout      other_b (dout)
// Layouts, masking, causality and the clamping of rows past the end are as in the forward kernel;
// D and DV are multiples of 4 (the host pads). A query whose lse is -inf (it saw no key) has
// probability 0 everywhere.

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
@group(0) @binding(5) var<storage, read> lse: array<f32>;
@group(0) @binding(6) var<storage, read> delta: array<f32>;
@group(0) @binding(7) var<storage, read_write> grad: array<f32>;
@group(0) @binding(8) var<uniform> params: Params;

override GRAD: u32;
override D: u32;
override DV: u32;
override CAUSAL: bool;
override HAS_MASK: bool;
override WG: u32 = 16u;

override D4: u32 = D / 4u;
override DV4: u32 = DV / 4u;
override OWNS_KEYS: bool = GRAD != 0u;
override OUT_CHUNKS: u32 = select(D4, DV4, GRAD == 2u);

// A 4-row x 32-dim gradient slice as eight 4x4 blocks (named members: SwiftShader keeps arrays in memory).
struct Blocks {
  b0: mat4x4<f32>, b1: mat4x4<f32>, b2: mat4x4<f32>, b3: mat4x4<f32>,
  b4: mat4x4<f32>, b5: mat4x4<f32>, b6: mat4x4<f32>, b7: mat4x4<f32>,
}

fn neg_inf() -> f32 {
  // Built at run time: a constant-folded bitcast to -inf is a shader-creation error.
  return bitcast<f32>(0xff800000u | (params.keys & 0u));
}

// Dims 4c .. 4c + 3 of four rows of a role's operand as the columns of a 4x4 block.
fn own_a_rows4(r: vec4<u32>, c: u32) -> mat4x4<f32> {
  return mat4x4<f32>(own_a[r.x * D4 + c], own_a[r.y * D4 + c], own_a[r.z * D4 + c], own_a[r.w * D4 + c]);
}

fn other_a_rows4(r: vec4<u32>, chunk: u32) -> mat4x4<f32> {
  let c = min(chunk, D4 - 1u);
  return mat4x4<f32>(other_a[r.x * D4 + c], other_a[r.y * D4 + c], other_a[r.z * D4 + c], other_a[r.w * D4 + c]);
}

fn own_b_rows4(r: vec4<u32>, c: u32) -> mat4x4<f32> {
  return mat4x4<f32>(own_b[r.x * DV4 + c], own_b[r.y * DV4 + c], own_b[r.z * DV4 + c], own_b[r.w * DV4 + c]);
}

fn other_b_rows4(r: vec4<u32>, chunk: u32) -> mat4x4<f32> {
  let c = min(chunk, DV4 - 1u);
  return mat4x4<f32>(other_b[r.x * DV4 + c], other_b[r.y * DV4 + c], other_b[r.z * DV4 + c], other_b[r.w * DV4 + c]);
}

// The block the slice accumulates from: other_b for dv, other_a otherwise (chunks past the width
// are clamped: loaded, never stored).
fn acc_rows4(r: vec4<u32>, c: u32) -> mat4x4<f32> {
  if (GRAD == 2u) { return other_b_rows4(r, c); }
  return other_a_rows4(r, c);
}

// a diag(s): column r scaled by s[r].
fn scale_columns(a: mat4x4<f32>, s: vec4<f32>) -> mat4x4<f32> {
  return mat4x4<f32>(a[0] * s.x, a[1] * s.y, a[2] * s.z, a[3] * s.w);
}

// Scores of queries i against keys j (one column of a block: 4 pairs), scaled and masked: -inf
// where the key is past Lk or the causal diagonal, or the query past Lq.
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

// Each query's lse as a softmax shift; one that saw no key (-inf) shifts its -inf scores by 0 so
// its probabilities are exp(-inf) = 0, not NaN.
fn shift_of(rows: vec4<u32>) -> vec4<f32> {
  let l = vec4<f32>(lse[rows.x], lse[rows.y], lse[rows.z], lse[rows.w]);
  return select(l, vec4<f32>(0.0), l == vec4<f32>(neg_inf()));
}

fn delta_of(rows: vec4<u32>) -> vec4<f32> {
  return vec4<f32>(delta[rows.x], delta[rows.y], delta[rows.z], delta[rows.w]);
}

// sum over dims of the own rows . the other rows, for the a operands (scores) and b operands (dout . v).
fn products_a(own: vec4<u32>, other: vec4<u32>) -> mat4x4<f32> {
  var s = mat4x4<f32>();
  for (var c = 0u; c < D4; c++) { s += transpose(own_a_rows4(own, c)) * other_a_rows4(other, c); }
  return s;
}

fn products_b(own: vec4<u32>, other: vec4<u32>) -> mat4x4<f32> {
  var s = mat4x4<f32>();
  for (var c = 0u; c < DV4; c++) { s += transpose(own_b_rows4(own, c)) * other_b_rows4(other, c); }
  return s;
}

// acc + Other_c transpose(w) for the slice's chunks c0 .. c0 + 7: column r of block n gains
// sum_m w[m][r] * (dims of other row m).
fn accumulate(acc: Blocks, rows: vec4<u32>, c0: u32, w: mat4x4<f32>) -> Blocks {
  let wt = transpose(w);
  var a = acc;
  a.b0 += acc_rows4(rows, c0) * wt;
  if (OUT_CHUNKS > 1u) { a.b1 += acc_rows4(rows, c0 + 1u) * wt; }
  if (OUT_CHUNKS > 2u) { a.b2 += acc_rows4(rows, c0 + 2u) * wt; }
  if (OUT_CHUNKS > 3u) { a.b3 += acc_rows4(rows, c0 + 3u) * wt; }
  if (OUT_CHUNKS > 4u) { a.b4 += acc_rows4(rows, c0 + 4u) * wt; }
  if (OUT_CHUNKS > 5u) { a.b5 += acc_rows4(rows, c0 + 5u) * wt; }
  if (OUT_CHUNKS > 6u) { a.b6 += acc_rows4(rows, c0 + 6u) * wt; }
  if (OUT_CHUNKS > 7u) { a.b7 += acc_rows4(rows, c0 + 7u) * wt; }
  return a;
}

// Column r of `tile` times `s` is dims 4c .. 4c + 3 of gradient row rows[r]; rows past the end and
// dims past the width are skipped.
fn store_tile(rows: vec4<u32>, valid: vec4<bool>, c: u32, tile: mat4x4<f32>, s: f32) {
  if (c >= OUT_CHUNKS) { return; }
  for (var r = 0u; r < 4u; r++) {
    if (valid[r]) {
      let base = rows[r] * OUT_CHUNKS * 4u + 4u * c;
      let o = tile[r] * s;
      grad[base] = o.x;
      grad[base + 1u] = o.y;
      grad[base + 2u] = o.z;
      grad[base + 3u] = o.w;
    }
  }
}

fn store_slice(acc: Blocks, rows: vec4<u32>, valid: vec4<bool>, c0: u32, s: f32) {
  store_tile(rows, valid, c0, acc.b0, s);
  if (OUT_CHUNKS > 1u) { store_tile(rows, valid, c0 + 1u, acc.b1, s); }
  if (OUT_CHUNKS > 2u) { store_tile(rows, valid, c0 + 2u, acc.b2, s); }
  if (OUT_CHUNKS > 3u) { store_tile(rows, valid, c0 + 3u, acc.b3, s); }
  if (OUT_CHUNKS > 4u) { store_tile(rows, valid, c0 + 4u, acc.b4, s); }
  if (OUT_CHUNKS > 5u) { store_tile(rows, valid, c0 + 5u, acc.b5, s); }
  if (OUT_CHUNKS > 6u) { store_tile(rows, valid, c0 + 6u, acc.b6, s); }
  if (OUT_CHUNKS > 7u) { store_tile(rows, valid, c0 + 7u, acc.b7, s); }
}

// dq: 4 queries walk the keys (block columns: keys; components: the queries).
fn grad_q(q_rows: vec4<u32>, qi: vec4<u32>, key_row0: u32, c0: u32, mask_base: u32, end: u32, valid: vec4<bool>) {
  let shift = shift_of(q_rows);
  let d = delta_of(q_rows);
  var acc: Blocks;
  for (var j0 = 0u; j0 < end; j0 += 4u) {
    let k_rows = key_row0 + min(vec4<u32>(j0, j0 + 1u, j0 + 2u, j0 + 3u), vec4<u32>(end - 1u));
    let raw = products_a(q_rows, k_rows);
    let dp = products_b(q_rows, k_rows);
    let ds = mat4x4<f32>(
      exp(visible(raw[0], qi, vec4<u32>(j0), mask_base) - shift) * (dp[0] - d),
      exp(visible(raw[1], qi, vec4<u32>(j0 + 1u), mask_base) - shift) * (dp[1] - d),
      exp(visible(raw[2], qi, vec4<u32>(j0 + 2u), mask_base) - shift) * (dp[2] - d),
      exp(visible(raw[3], qi, vec4<u32>(j0 + 3u), mask_base) - shift) * (dp[3] - d));
    acc = accumulate(acc, k_rows, c0, ds);
  }
  store_slice(acc, q_rows, valid, c0, params.scale);
}

// dk and dv: 4 keys walk the queries (block columns: queries; components: the keys).
fn grad_kv(k_rows: vec4<u32>, kj: vec4<u32>, query_row0: u32, c0: u32, mask_base: u32, start: u32, valid: vec4<bool>) {
  var acc: Blocks;
  for (var i0 = start; i0 < params.queries; i0 += 4u) {
    let q_rows = query_row0 + min(vec4<u32>(i0, i0 + 1u, i0 + 2u, i0 + 3u), vec4<u32>(params.queries - 1u));
    let raw = products_a(k_rows, q_rows);
    let shift = shift_of(q_rows);
    var w = mat4x4<f32>(
      exp(visible(raw[0], vec4<u32>(i0), kj, mask_base) - shift.x), exp(visible(raw[1], vec4<u32>(i0 + 1u), kj, mask_base) - shift.y),
      exp(visible(raw[2], vec4<u32>(i0 + 2u), kj, mask_base) - shift.z), exp(visible(raw[3], vec4<u32>(i0 + 3u), kj, mask_base) - shift.w));
    if (GRAD == 1u) {
      let dp = products_b(k_rows, q_rows);
      let d = delta_of(q_rows);
      w = mat4x4<f32>(w[0] * (dp[0] - d.x), w[1] * (dp[1] - d.y), w[2] * (dp[2] - d.z), w[3] * (dp[3] - d.w));
    }
    acc = accumulate(acc, q_rows, c0, w);
  }
  store_slice(acc, k_rows, valid, c0, select(1.0, params.scale, GRAD == 1u));
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let r0 = gid.x * 4u;
  let own_count = select(params.queries, params.keys, OWNS_KEYS);
  if (r0 >= own_count) { return; }
  let bh = wid.y / params.slices;
  // This thread's gradient dims: 4-dim chunks c0 .. c0 + 7.
  let c0 = (wid.y % params.slices) * 8u;
  let mask_base = (bh / params.heads) * params.mask_b + (bh % params.heads) * params.mask_h;
  let own_index = vec4<u32>(r0, r0 + 1u, r0 + 2u, r0 + 3u);
  let own_rows = bh * own_count + min(own_index, vec4<u32>(own_count - 1u));
  let valid = own_index < vec4<u32>(own_count);
  if (OWNS_KEYS) {
    // Causal: queries before the block's first key see none of its keys.
    grad_kv(own_rows, own_index, bh * params.queries, c0, mask_base, select(0u, r0, CAUSAL), valid);
    return;
  }
  // Causal: the block's last query sees keys up to itself.
  let end = select(params.keys, min(params.keys, min(r0 + 3u, params.queries - 1u) + 1u), CAUSAL);
  grad_q(own_rows, own_index, bh * params.keys, c0, mask_base, end, valid);
}
