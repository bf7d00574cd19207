/**
 * Scaled dot-product attention, softmax(q k^T * scale + mask) v, for self- and cross-attention
 * with any number of heads: q [..., Lq, D], k [..., Lk, D], v [..., Lk, Dv] with up to two
 * leading dims ([B, H, L, D], [B, L, D] or [L, D]).
 *
 * The forward pass is one fused backend primitive (flash-style on WebGPU: the Lq x Lk score
 * matrix never exists in memory) that also returns each row's log-sum-exp; nothing else is saved.
 * The backward pass recomputes the probabilities from that log-sum-exp: in fused backend kernels
 * for a plain backward, or, when the backward is itself recorded (createGraph: gradient penalties,
 * second derivatives) or a float mask needs its gradient, as differentiable ops (matmuls and an
 * elementwise exp). `attentionReference` is the plain matmul + softmax + matmul composition the
 * fused kernels are tested against.
 *
 * Masks: a bool mask marks the keys a query may attend to (true = attend), as PyTorch's bool
 * attn_mask; a float mask is added to the scores (and gets a gradient). `causal` lets query i see
 * keys j <= i (top-left aligned, as PyTorch's is_causal, also when Lq != Lk). A query that may see
 * no key at all gets a zero output and zero gradients (the reference gives NaN there).
 */
import { isFloat } from '../backend/backend.js';
import { isGradEnabled, noGrad, record } from '../autograd.js';
import { DTypeError, ShapeError, fmtShape } from '../errors.js';
import { shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkFits, checkInputs, requireFloat, scalarTensor, wrap } from './core.js';
import { add, cast, eq, exp, mul, sub, where } from './elementwise.js';
import { trilMask } from './masking.js';
import { batchedMatmul } from './matmul.js';
import { sum, sumToShape } from './reduce.js';
import { reshape, unsqueeze } from './shapeops.js';
import { softmax, softmaxBackward } from './softmax.js';

/**
 * Options of `scaledDotProductAttention`, as `torch.nn.functional.scaled_dot_product_attention`'s.
 */
export interface AttentionOptions {
  /** bool (true = may attend) or additive float, broadcastable to [..., Lq, Lk]. */
  mask?: Tensor;
  /** Query i attends to keys j <= i only. */
  causal?: boolean;
  /** Multiplies q k^T; default 1 / sqrt(D). */
  scale?: number;
}

/** The inputs as rank-4 [B, H, L, D] tensors, plus what the op needs to restore the caller's shape. */
interface Prepared {
  q: Tensor;
  k: Tensor;
  v: Tensor;
  /** Additive float mask of rank 4, or null. */
  mask: Tensor | null;
  scale: number;
  causal: boolean;
  outShape: number[];
}

function toRank4(t: Tensor): Tensor {
  return reshape(t, [...new Array<number>(4 - t.shape.length).fill(1), ...t.shape]);
}

function prepare(op: string, q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions): Prepared {
  checkInputs(op, q, k, v, ...(opts.mask ? [opts.mask] : []));
  requireFloat(op, q, 'q');
  if (k.dtype !== q.dtype || v.dtype !== q.dtype) {
    throw new DTypeError(`${op}: q, k and v must share a dtype, got ${q.dtype}, ${k.dtype} and ${v.dtype}`);
  }
  const shapes = `q ${fmtShape(q.shape)}, k ${fmtShape(k.shape)}, v ${fmtShape(v.shape)}`;
  const rank = q.shape.length;
  if (rank < 2 || rank > 4 || k.shape.length !== rank || v.shape.length !== rank) {
    throw new ShapeError(`${op}: q, k and v must all be [L, D], [B, L, D] or [B, H, L, D]; got ${shapes}`);
  }
  const lead = q.shape.slice(0, -2);
  if (!shapesEqual(k.shape.slice(0, -2), lead) || !shapesEqual(v.shape.slice(0, -2), lead)) {
    throw new ShapeError(`${op}: q, k and v must have the same batch and head dims; got ${shapes}`);
  }
  const [lq, d] = q.shape.slice(-2) as [number, number];
  const [lk, dk] = k.shape.slice(-2) as [number, number];
  if (dk !== d) throw new ShapeError(`${op}: q and k head dims differ (${d} vs ${dk}); got ${shapes}`);
  if (v.shape[rank - 2] !== lk) throw new ShapeError(`${op}: k and v sequence lengths differ (${lk} vs ${v.shape[rank - 2]}); got ${shapes}`);
  if (d === 0 || lk === 0) throw new ShapeError(`${op}: empty head dim or key sequence; got ${shapes}`);

  let mask: Tensor | null = null;
  if (opts.mask) {
    const m = opts.mask;
    const scores = [...lead, lq, lk];
    const offset = scores.length - m.shape.length;
    const fits = offset >= 0 && m.shape.every((s, i) => s === 1 || s === scores[offset + i]);
    if (!fits) throw new ShapeError(`${op}: mask ${fmtShape(m.shape)} does not broadcast to the scores' shape ${fmtShape(scores)} (${shapes})`);
    if (m.dtype === 'bool') mask = where(m, scalarTensor(0, q.dtype, q.device), scalarTensor(-Infinity, q.dtype, q.device));
    else if (isFloat(m.dtype)) mask = cast(m, q.dtype);
    else throw new DTypeError(`${op}: mask must be bool or floating point, got ${m.dtype} with shape ${fmtShape(m.shape)}`);
    mask = toRank4(mask);
  }
  return {
    q: toRank4(q), k: toRank4(k), v: toRank4(v), mask,
    scale: opts.scale ?? 1 / Math.sqrt(d),
    causal: opts.causal ?? false,
    outShape: [...lead, lq, v.shape[rank - 1]!],
  };
}

/** [B, H, L, D] as [B * H, L, D] for batchedMatmul. */
function heads3(t: Tensor): Tensor {
  const [b, h, l, d] = t.shape as [number, number, number, number];
  return reshape(t, [b * h, l, d]);
}

/**
 * (scale q) k^T + mask, with -inf past the causal diagonal: [B, H, Lq, Lk], differentiable.
 * `scaledQ` is scale q: scaling the [Lq, D] operand instead of the [Lq, Lk] product saves a pass.
 */
function scoresOf(p: Prepared, scaledQ: Tensor): Tensor {
  const [b, h, lq] = p.q.shape as [number, number, number];
  const lk = p.k.shape[2]!;
  let scores = reshape(batchedMatmul(heads3(scaledQ), heads3(p.k), false, true), [b, h, lq, lk]);
  if (p.mask) scores = add(scores, p.mask);
  if (p.causal) scores = where(trilMask(lq, lk, 0, scores.device), scores, scalarTensor(-Infinity, scores.dtype, scores.device));
  return scores;
}

/**
 * exp(scores - lse): the softmax of `scores` given each row's log-sum-exp, as a differentiable op
 * of the scores whose backward is the softmax's (lse is the scores' own logsumexp, so that is
 * exact). A row with lse = -inf (every key masked) has probability 0 everywhere.
 */
function probabilitiesFromLse(scores: Tensor, lse: Tensor): Tensor {
  const probs = noGrad(() => {
    const shift = unsqueeze(where(eq(lse, -Infinity), scalarTensor(0, lse.dtype, lse.device), lse), -1);
    return exp(sub(scores, shift));
  });
  return record(probs, 'softmaxFromLse', [scores], (g) => [softmaxBackward(g, probs)]);
}

/**
 * Gradients for q, k, v (and a float mask) from the saved output and lse. A plain backward pass
 * runs the fused backward kernels; when the backward itself is being recorded (createGraph, for
 * gradient penalties) or the mask needs a gradient, the same math runs as differentiable ops.
 */
function attentionBackward(g: Tensor, p: Prepared, out: Tensor, lse: Tensor): Tensor[] {
  // delta_i = sum_j dP_ij P_ij = sum_d dO_id O_id (FlashAttention's identity): a [Lq, Dv] product instead of [Lq, Lk].
  const delta = sum(mul(g, out), -1, true);
  if (isGradEnabled() || p.mask?.requiresGrad) return composedBackward(g, p, lse, delta);
  const backend = checkInputs('scaledDotProductAttention', g);
  const args = { scale: p.scale, causal: p.causal };
  const grads = backend.attentionBackward(p.q, p.k, p.v, p.mask, lse, reshape(delta, lse.shape), g, args);
  return [p.q, p.k, p.v].map((t, i) => wrap(backend, grads[i]!, t.shape, t.dtype));
}

/** The backward as differentiable ops: the probabilities are recomputed from lse, and so are their derivatives. */
function composedBackward(g: Tensor, p: Prepared, lse: Tensor, delta: Tensor): Tensor[] {
  const scaledQ = mul(p.q, p.scale);
  const probs = probabilitiesFromLse(scoresOf(p, scaledQ), lse);
  const [b, h, lq, lk] = probs.shape as [number, number, number, number];
  const probs3 = reshape(probs, [b * h, lq, lk]);
  const g3 = heads3(g);
  const gv = batchedMatmul(probs3, g3, true, false);
  const gp = reshape(batchedMatmul(g3, heads3(p.v), false, true), [b, h, lq, lk]);
  const gs = mul(probs, sub(gp, delta));
  const gs3 = reshape(gs, [b * h, lq, lk]);
  const gq = batchedMatmul(gs3, heads3(mul(p.k, p.scale)), false, false);
  const gk = batchedMatmul(gs3, heads3(scaledQ), true, false);
  const grads = [reshape(gq, p.q.shape), reshape(gk, p.k.shape), reshape(gv, p.v.shape)];
  if (p.mask) grads.push(sumToShape(gs, p.mask.shape));
  return grads;
}

/** Fused scaled dot-product attention; see the module comment for shapes, masks and gradients. */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  const p = prepare('scaledDotProductAttention', q, k, v, opts);
  const backend = checkInputs('scaledDotProductAttention', p.q);
  const [b, h, lq] = p.q.shape as [number, number, number];
  const dv = p.v.shape[3]!;
  checkFits('scaledDotProductAttention', backend, [b, h, lq, dv], q.dtype);
  const [outStorage, lseStorage] = backend.attention(p.q, p.k, p.v, p.mask, { scale: p.scale, causal: p.causal });
  const out = wrap(backend, outStorage, [b, h, lq, dv], q.dtype);
  const lse = wrap(backend, lseStorage, [b, h, lq], q.dtype);
  const inputs = p.mask ? [p.q, p.k, p.v, p.mask] : [p.q, p.k, p.v];
  record(out, 'scaledDotProductAttention', inputs, (g) => attentionBackward(g, p, out, lse));
  // Without a recorded graph nothing will recompute probabilities, so the lse is not needed.
  if (!out.requiresGrad) lse.dispose();
  return reshape(out, p.outShape);
}

/** softmax(q k^T * scale + mask) v as three ops (matmul, softmax, matmul): the reference for the fused kernel. */
export function attentionReference(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  const p = prepare('attentionReference', q, k, v, opts);
  const scores = scoresOf(p, mul(p.q, p.scale));
  const [b, h, lq, lk] = scores.shape as [number, number, number, number];
  const out = batchedMatmul(reshape(softmax(scores, -1), [b * h, lq, lk]), heads3(p.v), false, false);
  return reshape(out, p.outShape);
}
