/**
 * MultiheadAttention, as torch.nn.MultiheadAttention: the same parameters and state-dict names
 * (in_proj_weight / in_proj_bias packed as [q; k; v], or q_proj_weight, k_proj_weight and
 * v_proj_weight when kdim / vdim differ from embedDim, then out_proj), the same mask conventions
 * (a bool attnMask or keyPaddingMask marks positions that may NOT be attended), and
 * `forward(query, key, value)` returning [output, averaged weights or null].
 *
 * Without `needWeights` (and without attention dropout in training) it runs the fused
 * scaled-dot-product attention kernel; asking for the weights computes the softmax explicitly.
 */
import { ArgumentError, ShapeError, fmtShape } from '../errors.js';
import {
  add, batchedMatmul, cast, dropout, full, mean, mul, permute, reshape, scaledDotProductAttention, softmax, split,
  transpose, trilMask, where, zeros,
} from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { constant_, xavierUniform_ } from './init.js';
import { Linear, type LayerOptions } from './linear.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

export interface MultiheadAttentionOptions extends LayerOptions {
  /** Dropout on the attention weights in training. */
  dropout?: number;
  bias?: boolean;
  /** Feature sizes of keys and values (default embedDim). */
  kdim?: number;
  vdim?: number;
  /** Inputs and output are [batch, seq, feature] (default false: [seq, batch, feature], as PyTorch). */
  batchFirst?: boolean;
}

export interface MultiheadAttentionCall {
  /** [B, Lk]: true (or -inf) where a key is padding and must be ignored. */
  keyPaddingMask?: Tensor;
  /** Return the attention weights (default true, as PyTorch). */
  needWeights?: boolean;
  /** [Lq, Lk] or [B * numHeads, Lq, Lk]: bool true where attention is NOT allowed, or an additive float mask. */
  attnMask?: Tensor;
  /** Average the returned weights over heads (default true). */
  averageAttnWeights?: boolean;
  /** Query i attends to keys j <= i only. */
  isCausal?: boolean;
}

/** x [B, L, in] W^T + b for W [out, in] (without transposing W). */
function project(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  const [batch, len, features] = x.shape as [number, number, number];
  const out = w.shape[0]!;
  const y = reshape(batchedMatmul(reshape(x, [1, batch * len, features]), reshape(w, [1, out, features]), false, true), [batch, len, out]);
  return b ? add(y, b) : y;
}

export class MultiheadAttention extends Module {
  inProjWeight: Parameter | null = null;
  qProjWeight: Parameter | null = null;
  kProjWeight: Parameter | null = null;
  vProjWeight: Parameter | null = null;
  inProjBias: Parameter | null = null;
  outProj: Linear;
  readonly headDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;

  constructor(readonly embedDim: number, readonly numHeads: number, opts: MultiheadAttentionOptions = {}) {
    super();
    if (!Number.isInteger(numHeads) || numHeads <= 0 || embedDim % numHeads !== 0) {
      throw new ArgumentError(`MultiheadAttention: embedDim (${embedDim}) must be divisible by numHeads (${numHeads})`);
    }
    this.headDim = embedDim / numHeads;
    this.kdim = opts.kdim ?? embedDim;
    this.vdim = opts.vdim ?? embedDim;
    this.dropout = opts.dropout ?? 0;
    this.batchFirst = opts.batchFirst ?? false;
    const place = { device: opts.device, dtype: opts.dtype };
    if (this.kdim === embedDim && this.vdim === embedDim) {
      this.inProjWeight = xavierUniform_(Parameter.create(() => zeros([3 * embedDim, embedDim], place))) as Parameter;
    } else {
      this.qProjWeight = xavierUniform_(Parameter.create(() => zeros([embedDim, embedDim], place))) as Parameter;
      this.kProjWeight = xavierUniform_(Parameter.create(() => zeros([embedDim, this.kdim], place))) as Parameter;
      this.vProjWeight = xavierUniform_(Parameter.create(() => zeros([embedDim, this.vdim], place))) as Parameter;
    }
    const bias = opts.bias ?? true;
    if (bias) this.inProjBias = Parameter.create(() => zeros([3 * embedDim], place));
    this.outProj = new Linear(embedDim, embedDim, { ...place, bias });
    if (this.outProj.bias) constant_(this.outProj.bias, 0);
  }

  forward(query: Tensor, key: Tensor, value: Tensor, opts: MultiheadAttentionCall = {}): [Tensor, Tensor | null] {
    for (const [name, t, dim] of [['query', query, this.embedDim], ['key', key, this.kdim], ['value', value, this.vdim]] as const) {
      if (t.shape.length !== 3 || t.shape[2] !== dim) {
        throw new ShapeError(`MultiheadAttention: ${name} must be [${this.batchFirst ? 'batch, seq' : 'seq, batch'}, ${dim}], got ${fmtShape(t.shape)}`);
      }
    }
    const toBatchFirst = (t: Tensor) => (this.batchFirst ? t : transpose(t, 0, 1));
    const [q, k, v] = this.projections(toBatchFirst(query), toBatchFirst(key), toBatchFirst(value), query === key && key === value);
    const [batch, lq] = q.shape as [number, number];
    const lk = k.shape[1]!;
    const heads = (t: Tensor) => permute(reshape(t, [batch, t.shape[1]!, this.numHeads, this.headDim]), [0, 2, 1, 3]);
    const mask = this.additiveMask(opts, batch, lq, lk, q);
    const needWeights = opts.needWeights ?? true;
    const dropWeights = this.training && this.dropout > 0;

    let out: Tensor;
    let weights: Tensor | null = null;
    if (!needWeights && !dropWeights) {
      out = scaledDotProductAttention(heads(q), heads(k), heads(v), { mask: mask ?? undefined, causal: opts.isCausal ?? false });
    } else {
      const [qh, kh, vh] = [heads(q), heads(k), heads(v)].map((t) => reshape(t, [batch * this.numHeads, t.shape[2]!, this.headDim]));
      let scores = reshape(mul(batchedMatmul(qh!, kh!, false, true), 1 / Math.sqrt(this.headDim)), [batch, this.numHeads, lq, lk]);
      if (mask) scores = add(scores, mask);
      if (opts.isCausal) scores = where(trilMask(lq, lk, 0, q.device), scores, full([], -Infinity, { dtype: q.dtype, device: q.device }));
      weights = softmax(scores, -1);
      const used = dropWeights ? dropout(weights, this.dropout, true) : weights;
      out = reshape(batchedMatmul(reshape(used, [batch * this.numHeads, lq, lk]), vh!, false, false), [batch, this.numHeads, lq, this.headDim]);
      if (!needWeights) weights = null;
      else if (opts.averageAttnWeights ?? true) weights = mean(weights, 1);
    }
    const merged = reshape(permute(out, [0, 2, 1, 3]), [batch, lq, this.embedDim]);
    const y = this.outProj.forward(merged);
    return [this.batchFirst ? y : transpose(y, 0, 1), weights];
  }

  /** q, k, v projected to [B, L, E]: one GEMM for self-attention with packed weights. */
  private projections(query: Tensor, key: Tensor, value: Tensor, self: boolean): [Tensor, Tensor, Tensor] {
    const e = this.embedDim;
    const biases = this.inProjBias ? split(this.inProjBias, e, 0) : [null, null, null];
    if (this.inProjWeight) {
      if (self) return split(project(query, this.inProjWeight, this.inProjBias), e, 2) as [Tensor, Tensor, Tensor];
      const [wq, wk, wv] = split(this.inProjWeight, e, 0);
      return [project(query, wq!, biases[0]!), project(key, wk!, biases[1]!), project(value, wv!, biases[2]!)];
    }
    return [project(query, this.qProjWeight!, biases[0]!), project(key, this.kProjWeight!, biases[1]!), project(value, this.vProjWeight!, biases[2]!)];
  }

  /** attnMask and keyPaddingMask as one additive float mask broadcastable to [B, H, Lq, Lk], or null. */
  private additiveMask(opts: MultiheadAttentionCall, batch: number, lq: number, lk: number, like: Tensor): Tensor | null {
    const additive = (m: Tensor) => (m.dtype === 'bool' ? where(m, full([], -Infinity, { dtype: like.dtype, device: like.device }), 0) : cast(m, like.dtype));
    let mask: Tensor | null = null;
    if (opts.attnMask) {
      const m = opts.attnMask;
      const ok2 = m.shape.length === 2 && m.shape[0] === lq && m.shape[1] === lk;
      const ok3 = m.shape.length === 3 && m.shape[0] === batch * this.numHeads && m.shape[1] === lq && m.shape[2] === lk;
      if (!ok2 && !ok3) throw new ShapeError(`MultiheadAttention: attnMask must be [${lq}, ${lk}] or [${batch * this.numHeads}, ${lq}, ${lk}], got ${fmtShape(m.shape)}`);
      mask = reshape(additive(m), ok2 ? [1, 1, lq, lk] : [batch, this.numHeads, lq, lk]);
    }
    if (opts.keyPaddingMask) {
      const m = opts.keyPaddingMask;
      if (m.shape.length !== 2 || m.shape[0] !== batch || m.shape[1] !== lk) {
        throw new ShapeError(`MultiheadAttention: keyPaddingMask must be [${batch}, ${lk}], got ${fmtShape(m.shape)}`);
      }
      const padding = reshape(additive(m), [batch, 1, 1, lk]);
      mask = mask ? add(mask, padding) : padding;
    }
    return mask;
  }

  override extraRepr(): string {
    return `embedDim=${this.embedDim}, numHeads=${this.numHeads}, batchFirst=${this.batchFirst}`;
  }
}
