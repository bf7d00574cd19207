/**
 * Embedding: a lookup table of learned vectors, rows of weight [numEmbeddings, embeddingDim] (init
 * N(0, 1), as PyTorch). With `paddingIdx` (PyTorch's padding_idx; negative counts from the end)
 * that row starts at zeros and gets no gradient, so it stays a fixed "no token" vector.
 */
import { isGradEnabled, noGrad } from '../autograd.js';
import { ArgumentError } from '../errors.js';
import { tidy } from '../memory.js';
import { arange, detach, embedding, eq, reshape, unsqueeze, where, zeros } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { normal_ } from './init.js';
import type { LayerOptions } from './linear.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

/** Options of `Embedding`: placement and an optional padding row. */
export interface EmbeddingOptions extends LayerOptions {
  /** A row that stays zero and receives no gradient (padding tokens); negative counts from the end. */
  paddingIdx?: number;
}

/**
 * A lookup table of `numEmbeddings` vectors of size `embeddingDim`, as `torch.nn.Embedding`: int32
 * indices of any shape [...] give [..., embeddingDim]; weights start N(0, 1).
 */
export class Embedding extends Module {
  /** The table, shape [numEmbeddings, embeddingDim]. */
  weight: Parameter;
  /** The padding row, made non-negative; null without one. */
  readonly paddingIdx: number | null;

  constructor(/** The number of rows (the largest index plus one). */ readonly numEmbeddings: number, /** The size of each vector. */ readonly embeddingDim: number, opts: EmbeddingOptions = {}) {
    super();
    this.paddingIdx = resolvePaddingIdx(opts.paddingIdx, numEmbeddings);
    this.weight = Parameter.create(() => zeros([numEmbeddings, embeddingDim], { device: opts.device, dtype: opts.dtype }));
    normal_(this.weight);
    const pad = this.paddingIdx;
    if (pad !== null) {
      noGrad(() => tidy(() => {
        const rowIds = reshape(arange(numEmbeddings, undefined, 1, { device: this.weight.device }), [numEmbeddings, 1]);
        this.weight.assign_(where(eq(rowIds, pad), 0, this.weight));
      }));
    }
  }

  /** int32 indices of any shape -> [...indices.shape, embeddingDim]. */
  forward(indices: Tensor): Tensor {
    const pad = this.paddingIdx;
    if (pad === null || !isGradEnabled() || !this.weight.requiresGrad) return embedding(indices, this.weight);
    // The padding positions read the row as a constant, so the scatter-add of the backward pass
    // leaves that row of the gradient at zero (PyTorch's embedding_backward skips padding_idx).
    const rows = embedding(indices, this.weight);
    return where(unsqueeze(eq(indices, pad), -1), detach(rows), rows);
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx === null ? '' : `, paddingIdx=${this.paddingIdx}`}`;
  }
}

function resolvePaddingIdx(paddingIdx: number | undefined, numEmbeddings: number): number | null {
  if (paddingIdx === undefined || paddingIdx === null) return null;
  if (!Number.isInteger(paddingIdx) || paddingIdx < -numEmbeddings || paddingIdx >= numEmbeddings) {
    throw new ArgumentError(`Embedding: paddingIdx must be an integer in [-${numEmbeddings}, ${numEmbeddings}) for numEmbeddings=${numEmbeddings}, got ${paddingIdx}`);
  }
  return paddingIdx < 0 ? numEmbeddings + paddingIdx : paddingIdx;
}
