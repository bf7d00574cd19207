/**
 * A decoder-only (GPT) transformer over token sequences: token and learned position embeddings,
 * pre-norm blocks x + Attn(LN(x)), x + MLP(LN(x)) with causal self-attention, a final LayerNorm
 * and a linear head. Causal: the output at position t reads the tokens at positions ≤ t only
 * (notes 004 §3.2: the attention matrix masked so that each output depends on the prefix alone).
 */
import * as T from '../../src/index.js';
import { nn } from '../../src/index.js';
import type { DeviceName, Tensor } from '../../src/index.js';

export interface TransformerShape {
  /** Tokens the embedding knows. */
  vocabulary: number;
  /** Logits the head gives per position. */
  outputs: number;
  /** Longest sequence (learned positions). */
  length: number;
  width: number;
  layers: number;
  heads: number;
}

class Block extends nn.Module {
  norm1: nn.LayerNorm;
  attention: nn.MultiheadAttention;
  norm2: nn.LayerNorm;
  fc1: nn.Linear;
  fc2: nn.Linear;

  constructor(width: number, heads: number, device?: DeviceName) {
    super();
    this.norm1 = new nn.LayerNorm(width, { device });
    this.attention = new nn.MultiheadAttention(width, heads, { batchFirst: true, device });
    this.norm2 = new nn.LayerNorm(width, { device });
    this.fc1 = new nn.Linear(width, 4 * width, { device });
    this.fc2 = new nn.Linear(4 * width, width, { device });
  }

  forward(x: Tensor): Tensor {
    const h = this.norm1.forward(x);
    const [attended] = this.attention.forward(h, h, h, { isCausal: true, needWeights: false });
    return this.feedForward(T.add(x, attended));
  }

  private feedForward(y: Tensor): Tensor {
    return T.add(y, this.fc2.forward(T.gelu(this.fc1.forward(this.norm2.forward(y)))));
  }

  /**
   * The block at one new position x [N, 1, width], given the normalised inputs of the positions
   * before it [N, t, width] (null at the first): the new position attends to all of them and to
   * itself, which is what the causal mask allows it. Returns its output and the inputs extended.
   */
  step(x: Tensor, before: Tensor | null): { y: Tensor; seen: Tensor } {
    const h = this.norm1.forward(x);
    const seen = before ? T.cat([before, h], 1) : h;
    const [attended] = this.attention.forward(h, seen, seen, { needWeights: false });
    return { y: this.feedForward(T.add(x, attended)), seen };
  }
}

export class CausalTransformer extends nn.Module {
  tokens: nn.Embedding;
  positions: nn.Embedding;
  blocks: nn.ModuleList<Block>;
  norm: nn.LayerNorm;
  head: nn.Linear;

  constructor(readonly shape: TransformerShape, device?: DeviceName) {
    super();
    const { vocabulary, outputs, length, width, layers, heads } = shape;
    this.tokens = new nn.Embedding(vocabulary, width, { device });
    this.positions = new nn.Embedding(length, width, { device });
    // GPT-2's scale for embeddings: N(0, 0.02²), so no token starts out dominating the residual stream.
    for (const e of [this.tokens, this.positions]) nn.init.normal_(e.weight, 0, 0.02);
    this.blocks = new nn.ModuleList(Array.from({ length: layers }, () => new Block(width, heads, device)));
    this.norm = new nn.LayerNorm(width, { device });
    this.head = new nn.Linear(width, outputs, { device });
  }

  /** Logits [N, L, outputs] for int32 tokens [N, L], L ≤ length; position t reads tokens ≤ t. */
  forward(tokens: Tensor): Tensor {
    const length = tokens.shape[1]!;
    if (length > this.shape.length) throw new T.ShapeError(`CausalTransformer: sequences of at most ${this.shape.length} tokens, got [${tokens.shape.join(', ')}]`);
    const at = T.arange(length, undefined, 1, { device: tokens.device, dtype: 'int32' });
    let x = T.add(this.tokens.forward(tokens), this.positions.forward(at));
    for (const block of this.blocks) x = block.forward(x);
    return this.head.forward(this.norm.forward(x));
  }

  /**
   * Incremental decoding: the logits [N, outputs] after one more token [N, 1] at `position`, given
   * each block's normalised inputs of the positions before (`cache`, empty at position 0), and the
   * cache extended. A step costs one position's MLP instead of a pass over the whole prefix.
   */
  step(token: Tensor, position: number, cache: readonly Tensor[]): { logits: Tensor; cache: Tensor[] } {
    const at = T.full([1], position, { device: token.device, dtype: 'int32' });
    let x = T.add(this.tokens.forward(token), this.positions.forward(at));
    const next: Tensor[] = [];
    [...this.blocks].forEach((block, b) => {
      const out = block.step(x, cache[b] ?? null);
      x = out.y;
      next.push(out.seen);
    });
    return { logits: T.reshape(this.head.forward(this.norm.forward(x)), [token.shape[0]!, this.shape.outputs]), cache: next };
  }
}
