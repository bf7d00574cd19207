/**
 * Attention forward, written directly from the definition (not from the WGSL): per query row,
 * scores s_j = scale q.k_j + mask_j (or -inf past the causal diagonal), then a max-subtracted
 * softmax and the weighted sum of values. Float64 capable, so gradient checks can use it.
 */
import type { HostArray } from '../backend';
import { broadcastStrides } from './iterate';

export interface AttentionShapes {
  batch: number;
  heads: number;
  queries: number;
  keys: number;
  depth: number;
  valueDepth: number;
}

export interface AttentionMask {
  data: HostArray;
  shape: readonly number[];
}

/**
 * Writes out [B, H, Lq, Dv] and lse [B, H, Lq]. A row with every key masked gets zeros and an lse
 * of -inf: it attends to nothing (the softmax of an empty set has no mass to spread).
 */
export function attention(
  q: HostArray, k: HostArray, v: HostArray, mask: AttentionMask | null, s: AttentionShapes,
  scale: number, causal: boolean, out: HostArray, lse: HostArray,
): void {
  const { batch, heads, queries, keys, depth, valueDepth } = s;
  const [mb, mh, mi, mj] = mask ? broadcastStrides(mask.shape, [batch, heads, queries, keys]) as [number, number, number, number] : [0, 0, 0, 0];
  const scores = new Float64Array(keys);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const head = b * heads + h;
      const kBase = head * keys * depth;
      const vBase = head * keys * valueDepth;
      for (let i = 0; i < queries; i++) {
        const row = head * queries + i;
        const qBase = row * depth;
        let max = -Infinity;
        for (let j = 0; j < keys; j++) {
          let dot = 0;
          for (let d = 0; d < depth; d++) dot += q[qBase + d]! * k[kBase + j * depth + d]!;
          let score = dot * scale;
          if (mask) score += mask.data[b * mb + h * mh + i * mi + j * mj]!;
          if (causal && j > i) score = -Infinity;
          scores[j] = score;
          max = Math.max(max, score);
        }
        const oBase = row * valueDepth;
        for (let d = 0; d < valueDepth; d++) out[oBase + d] = 0;
        if (max === -Infinity) {
          lse[row] = -Infinity;
          continue;
        }
        let total = 0;
        const acc = new Float64Array(valueDepth);
        for (let j = 0; j < keys; j++) {
          const p = Math.exp(scores[j]! - max);
          total += p;
          for (let d = 0; d < valueDepth; d++) acc[d]! += p * v[vBase + j * valueDepth + d]!;
        }
        for (let d = 0; d < valueDepth; d++) out[oBase + d] = acc[d]! / total;
        lse[row] = max + Math.log(total);
      }
    }
  }
}

/**
 * Gradients of `attention` for q, k and v from dout [B, H, Lq, Dv], the forward's lse and
 * delta = rowsum(dout * out): p_ij = exp(s_ij - lse_i), dS_ij = p_ij (dout_i . v_j - delta_i),
 * dq_i = scale sum_j dS_ij k_j, dk_j = scale sum_i dS_ij q_i, dv_j = sum_i p_ij dout_i.
 */
export function attentionBackward(
  q: HostArray, k: HostArray, v: HostArray, mask: AttentionMask | null, lse: HostArray, delta: HostArray, dout: HostArray,
  s: AttentionShapes, scale: number, causal: boolean, dq: HostArray, dk: HostArray, dv: HostArray,
): void {
  const { batch, heads, queries, keys, depth, valueDepth } = s;
  const [mb, mh, mi, mj] = mask ? broadcastStrides(mask.shape, [batch, heads, queries, keys]) as [number, number, number, number] : [0, 0, 0, 0];
  const gq = new Float64Array(queries * depth);
  const gk = new Float64Array(keys * depth);
  const gv = new Float64Array(keys * valueDepth);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const head = b * heads + h;
      const kBase = head * keys * depth;
      const vBase = head * keys * valueDepth;
      gq.fill(0);
      gk.fill(0);
      gv.fill(0);
      for (let i = 0; i < queries; i++) {
        const row = head * queries + i;
        // A query that saw no key (lse -inf) has no probability anywhere.
        if (lse[row] === -Infinity) continue;
        const qBase = row * depth;
        const gBase = row * valueDepth;
        for (let j = 0; j < keys; j++) {
          if (causal && j > i) break;
          let dot = 0;
          for (let d = 0; d < depth; d++) dot += q[qBase + d]! * k[kBase + j * depth + d]!;
          const score = dot * scale + (mask ? mask.data[b * mb + h * mh + i * mi + j * mj]! : 0);
          const p = Math.exp(score - lse[row]!);
          let dp = 0;
          for (let d = 0; d < valueDepth; d++) {
            dp += dout[gBase + d]! * v[vBase + j * valueDepth + d]!;
            gv[j * valueDepth + d]! += p * dout[gBase + d]!;
          }
          const ds = p * (dp - delta[row]!) * scale;
          for (let d = 0; d < depth; d++) {
            gq[i * depth + d]! += ds * k[kBase + j * depth + d]!;
            gk[j * depth + d]! += ds * q[qBase + d]!;
          }
        }
      }
      dq.set(gq, head * queries * depth);
      dk.set(gk, kBase);
      dv.set(gv, vBase);
    }
  }
}
