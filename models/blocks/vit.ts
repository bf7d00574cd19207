/**
 * The vision transformer pieces that `transgan` (its generator's stages and its ViT critic) and
 * `simclr`'s ViT encoder share (Dosovitskiy et al. 2021; notes 002 §3.4 on transformer GANs):
 * pre-norm encoder blocks, learnt positions, and a ViT over 4x4 patches of a 28x28 image
 * (7x7 = 49 tokens) with a class token whose final state is the image's feature.
 */
import * as T from '../../src/index.js';
import { nn } from '../../src/index.js';
import type { DeviceName, Tensor } from '../../src/index.js';

/** Heads for `dim` features: `heads` when each head keeps ≥ 4 features, else one. */
export const headsFor = (dim: number, heads: number) => (dim % heads === 0 && dim / heads >= 4 ? heads : 1);

/** Pre-norm encoder block: x + MHA(LN(x)), then x + MLP(LN(x)) with GELU and 4x width. */
export class TransformerBlock extends nn.Module {
  norm1: nn.LayerNorm;
  attention: nn.MultiheadAttention;
  norm2: nn.LayerNorm;
  mlp: nn.Sequential;

  constructor(dim: number, heads: number, device?: DeviceName) {
    super();
    this.norm1 = new nn.LayerNorm(dim, { device });
    this.attention = new nn.MultiheadAttention(dim, headsFor(dim, heads), { batchFirst: true, device });
    this.norm2 = new nn.LayerNorm(dim, { device });
    this.mlp = new nn.Sequential(new nn.Linear(dim, 4 * dim, { device }), new nn.GELU(), new nn.Linear(4 * dim, dim, { device }));
  }

  /** Tokens [N, L, dim] -> [N, L, dim]. */
  forward(x: Tensor): Tensor {
    const h = this.norm1.forward(x);
    const [attended] = this.attention.forward(h, h, h, { needWeights: false });
    const y = T.add(x, attended);
    return T.add(y, this.mlp.forward(this.norm2.forward(y)));
  }
}

/** Learnt positions (or a class token) [1, tokens, dim], small at the start. */
export const positions = (tokens: number, dim: number, device?: DeviceName) => nn.Parameter.create(() => T.mul(T.randn([1, tokens, dim], { device }), 0.02));
/** A feature map [N, C, H, W] as tokens [N, H·W, C]. */
export const toTokens = (x: Tensor) => T.transpose(T.flatten(x, 2), 1, 2);

/** A ViT over 4x4 patches of a 1x28x28 image: a class token, learnt positions, `depth` blocks, a final LayerNorm. */
export class VitEncoder extends nn.Module {
  patches: nn.Conv2d;
  cls: nn.Parameter;
  positions: nn.Parameter;
  blocks: nn.ModuleList<TransformerBlock>;
  norm: nn.LayerNorm;

  constructor(readonly dim: number, depth: number, heads: number, device?: DeviceName) {
    super();
    // A 4x4 stride-4 convolution is the linear embedding of each flattened patch.
    this.patches = new nn.Conv2d(1, dim, 4, { stride: 4, device });
    this.cls = positions(1, dim, device);
    this.positions = positions(50, dim, device);
    this.blocks = new nn.ModuleList(Array.from({ length: depth }, () => new TransformerBlock(dim, heads, device)));
    this.norm = new nn.LayerNorm(dim, { device });
  }

  /** The class token's final state [N, dim]: the image's feature. */
  forward(x: Tensor): Tensor {
    const tokens = toTokens(this.patches.forward(x));
    let h = T.add(T.cat([T.expand(this.cls, [x.shape[0]!, 1, this.dim]), tokens], 1), this.positions);
    for (const block of this.blocks) h = block.forward(h);
    const [cls] = T.split(this.norm.forward(h), [1, 49], 1);
    return T.squeeze(cls!, 1);
  }
}
