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

/** Options of MultiheadAttention (torch.nn.MultiheadAttention's, in camelCase); device and dtype place the weights. */
export interface MultiheadAttentionOptions extends LayerOptions {
  /** Dropout on the attention weights in training. */
  dropout?: number;
  /** Biases on the input and output projections (default true). */
  bias?: boolean;
  /** Feature size of the keys (default embedDim). */
  kdim?: number;
  /** Feature size of the values (default embedDim). */
  vdim?: number;
  /** Inputs and output are [batch, seq, feature] (default false: [seq, batch, feature], as PyTorch). */
  batchFirst?: boolean;
}

/** Per-call options of MultiheadAttention.forward: masks and what to return. */
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

/**
 * Multi-head attention as torch.nn.MultiheadAttention (its parameters, state-dict names and mask
 * conventions): `new MultiheadAttention(64, 4).forward(x, x, x)` is self-attention over x [L, B, 64].
 */
export class MultiheadAttention extends Module {
  /** [3·embedDim, embedDim]: the q, k and v projections stacked, when kdim and vdim equal embedDim (else null). */
  inProjWeight: Parameter | null = null;
  /** [embedDim, embedDim]: the query projection when kdim or vdim differ from embedDim (else null). */
  qProjWeight: Parameter | null = null;
  /** [embedDim, kdim]: the key projection when kdim or vdim differ from embedDim (else null). */
  kProjWeight: Parameter | null = null;
  /** [embedDim, vdim]: the value projection when kdim or vdim differ from embedDim (else null). */
  vProjWeight: Parameter | null = null;
  /** [3·embedDim]: the q, k and v projections' biases (null without bias). */
  inProjBias: Parameter | null = null;
  /** The output projection, embedDim → embedDim. */
  outProj: Linear;
  /** Features per head: embedDim / numHeads. */
  readonly headDim: number;
  /** Feature size of the keys. */
  readonly kdim: number;
  /** Feature size of the values. */
  readonly vdim: number;
  /** Dropout probability on the attention weights in training. */
  readonly dropout: number;
  /** Whether inputs and output are [batch, seq, feature] (else [seq, batch, feature]). */
  readonly batchFirst: boolean;

  /**
   * @param embedDim Feature size of the queries and of the output.
   * @param numHeads Number of heads; must divide embedDim (ArgumentError otherwise).
   * @param opts Dropout, bias, kdim / vdim, batchFirst, device and dtype.
   */
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

  /**
   * Attends from each query to the keys and mixes the values.
   * @param query [Lq, B, embedDim] ([B, Lq, embedDim] with batchFirst).
   * @param key [Lk, B, kdim] (or batch first).
   * @param value [Lk, B, vdim] (or batch first).
   * @returns [output [Lq, B, embedDim] (or batch first), weights [B, Lq, Lk] averaged over heads
   *   ([B, numHeads, Lq, Lk] with averageAttnWeights false) or null without needWeights].
   *   Throws ShapeError when a feature dim or rank is wrong.
   */
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
