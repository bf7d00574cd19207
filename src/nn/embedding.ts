/** Embedding: a lookup table of learned vectors, rows of weight [numEmbeddings, embeddingDim] (init N(0, 1), as PyTorch). */
import { embedding, zeros } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { normal_ } from './init.js';
import type { LayerOptions } from './linear.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

export class Embedding extends Module {
  weight: Parameter;

  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, opts: LayerOptions = {}) {
    super();
    this.weight = Parameter.create(() => zeros([numEmbeddings, embeddingDim], { device: opts.device, dtype: opts.dtype }));
    normal_(this.weight);
  }

  /** int32 indices of any shape -> [...indices.shape, embeddingDim]. */
  forward(indices: Tensor): Tensor {
    return embedding(indices, this.weight);
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}`;
  }
}
