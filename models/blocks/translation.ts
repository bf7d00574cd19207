/**
 * What the image-to-image GANs share (notes 003 "Image-to-image translation"): the pix2pix U-Net
 * at 28x28, the PatchGAN discriminator, the bank of sources `sample` translates, and the grid
 * that shows source, output and target rows.
 *
 * `sample(n)` of a translation model: a translation model has no prior over sources, so it keeps
 * the sources of its last training batch (a buffer, saved in the checkpoint) and returns the
 * translations of n of them, cycling through the bank when n is larger (models with a code, as
 * BicycleGAN, draw a fresh code for each). `sample(n, { sources })` translates the first n rows of
 * the record's source field instead (`genlab eval` passes the held-out digits' records).
 * `preview(batch)` translates the batch's own sources.
 */
import * as T from '../../src/index.js';
import { nn } from '../../src/index.js';
import type { DeviceName, Tensor } from '../../src/index.js';
import { uniforms } from '../tasks/image-ops.js';
import type { Batch, BatchField } from '../protocol.js';
import { requireField } from './train.js';

/** Sources kept for `sample`: the last training batch's, repeated to `size` rows. */
export class SourceBank extends nn.Module {
  declare sources: Tensor;

  constructor(readonly size: number, shape: readonly number[], device?: DeviceName) {
    super();
    this.registerBuffer('sources', T.zeros([size, ...shape], { device }));
  }

  /** Keep (a copy of) `x`'s rows, repeated to the bank's size. */
  remember(x: Tensor): void {
    const next = T.noGrad(() => T.tidy(() => {
      const copies = Math.ceil(this.size / x.shape[0]!);
      return T.slice(T.cat(Array.from({ length: copies }, () => x.detach()), 0), [{ stop: this.size }]);
    }));
    this.sources.assign_(next);
    next.dispose();
  }

  /** `n` kept sources, cycling through the bank, or the first `n` rows of `field` of a given record. */
  take(n: number, sources?: Batch, field: BatchField = 'source', model = 'translation model'): Tensor {
    if (sources) return firstRows(requireField(sources, field, model), n, `${model}: sample's sources.${field}`);
    const copies = Math.ceil(n / this.size);
    return T.slice(T.cat(Array.from({ length: copies }, () => this.sources), 0), [{ stop: n }]);
  }
}

/** The first `n` rows of `x`; a typed error naming `what` when it has fewer. */
export function firstRows(x: Tensor, n: number, what: string): Tensor {
  if (x.shape[0]! < n) throw new T.ShapeError(`${what}: ${n} rows asked for, the record has ${T.fmtShape(x.shape)}`);
  return x.shape[0] === n ? x : T.slice(x, [{ stop: n }]);
}

/**
 * The grid of a translation: rows of `columns` images cycling through (source, output, target)
 * for successive groups of `columns` examples, cut to `total` images (default: the batch's size).
 */
export function tripletRows(rows: readonly Tensor[], columns = 8, total = rows[0]!.shape[0]!): Tensor {
  const n = rows[0]!.shape[0]!;
  const parts: Tensor[] = [];
  for (let start = 0, shown = 0; shown < total; start += columns) {
    for (const r of rows) {
      if (shown >= total) break;
      // Past the batch's end, the first examples again (only for tiny batches).
      const from = start % n;
      const m = Math.min(columns, total - shown, n - from);
      parts.push(T.slice(r, [{ start: from, stop: from + m }]));
      shown += m;
    }
  }
  return T.cat(parts, 0);
}

/**
 * The pix2pix U-Net at 28x28 (Isola et al., "U-Net" generator, notes 003): encoder 28 -> 14 -> 7 by
 * 4x4 stride-2 convs (LeakyReLU 0.2, BN after the first), a 3x3 bottleneck at 7, decoder 7 -> 14 ->
 * 28 by 4x4 stride-2 transposed convs (BN + ReLU), each taking the encoder's map of its size
 * concatenated (the skips carry the source's layout straight across), tanh out.
 * `inChannels` includes any broadcast code or domain channels (BicycleGAN, StarGAN).
 */
export class UNet28 extends nn.Module {
  down1: nn.Sequential;
  down2: nn.Sequential;
  middle: nn.Sequential;
  up2: nn.Sequential;
  up1: nn.Sequential;

  constructor(inChannels: number, width: number, outChannels = 1, device?: DeviceName) {
    super();
    const w = width;
    const conv = (i: number, o: number, k: number, s: number, p: number) => new nn.Conv2d(i, o, k, { stride: s, padding: p, device });
    const up = (i: number, o: number) => new nn.ConvTranspose2d(i, o, 4, { stride: 2, padding: 1, device });
    this.down1 = new nn.Sequential(conv(inChannels, w, 4, 2, 1), new nn.LeakyReLU(0.2));
    this.down2 = new nn.Sequential(conv(w, 2 * w, 4, 2, 1), new nn.BatchNorm2d(2 * w, { device }), new nn.LeakyReLU(0.2));
    this.middle = new nn.Sequential(conv(2 * w, 2 * w, 3, 1, 1), new nn.BatchNorm2d(2 * w, { device }), new nn.ReLU());
    this.up2 = new nn.Sequential(up(4 * w, w), new nn.BatchNorm2d(w, { device }), new nn.ReLU());
    this.up1 = new nn.Sequential(up(2 * w, outChannels), new nn.Tanh());
  }

  forward(x: Tensor): Tensor {
    const e1 = this.down1.forward(x);
    const e2 = this.down2.forward(e1);
    const m = this.middle.forward(e2);
    const d2 = this.up2.forward(T.cat([m, e2], 1));
    return this.up1.forward(T.cat([d2, e1], 1));
  }
}

/**
 * PatchGAN (pix2pix's "PatchGAN" discriminator): a fully convolutional D whose output is a 7x7 map
 * of logits, each judging one overlapping patch (receptive field 18 px here) of its input, so the
 * loss asks for realistic local texture while L1 or a cycle keeps the global layout. 28 -> 14 -> 7
 * by 4x4 stride-2 convs, then a 3x3 conv to 1 channel; LeakyReLU 0.2, `norm` on the second layer.
 */
export class PatchDiscriminator extends nn.Module {
  net: nn.Sequential;

  constructor(inChannels: number, width: number, norm: 'batch' | 'instance' = 'batch', device?: DeviceName) {
    super();
    const w = width;
    const normLayer = norm === 'batch' ? new nn.BatchNorm2d(2 * w, { device }) : new nn.InstanceNorm2d(2 * w, { affine: true, device });
    this.net = new nn.Sequential(
      new nn.Conv2d(inChannels, w, 4, { stride: 2, padding: 1, device }), new nn.LeakyReLU(0.2),
      new nn.Conv2d(w, 2 * w, 4, { stride: 2, padding: 1, device }), normLayer, new nn.LeakyReLU(0.2),
      new nn.Conv2d(2 * w, 1, 3, { padding: 1, device }),
    );
  }

  /** Logits [N, 1, 7, 7], one per patch. */
  forward(x: Tensor): Tensor {
    return this.net.forward(x);
  }
}

/** Mean absolute difference: the L1 reconstruction term of pix2pix, CycleGAN's cycle and identity. */
export function l1(a: Tensor, b: Tensor): Tensor {
  return T.mean(T.abs(T.sub(a, b)));
}

/**
 * CycleGAN's image pool (Shrivastava et al.; Zhu et al. §4): D is shown a history of G's fakes, not
 * only the latest, so it cannot chase G's last move. The rule, per fake image in order: while the
 * pool holds fewer than `size`, the fake goes in and is returned itself; once full, with
 * probability ½ a uniformly chosen stored image is returned and the fake takes its slot, else the
 * fake is returned. The coin flips and slots come from Philox under the caller's seed, so a run
 * is reproducible; the pool's images are a buffer, so a checkpoint carries them.
 */
export class ReplayBuffer extends nn.Module {
  declare images: Tensor;

  constructor(readonly size: number, shape: readonly number[], device?: DeviceName) {
    super();
    this.registerBuffer('images', T.zeros([size, ...shape], { device }));
  }

  /**
   * Where each of `n` fakes comes out from and where each slot's next image comes from, as indices
   * into [pool; fakes] (pool slots 0..size-1, fake i at size + i). `filled`: images stored so far.
   */
  static choose(size: number, filled: number, n: number, seed: number): { shown: number[]; slots: number[]; filled: number } {
    const u = uniforms(seed, 7, 2 * n);
    const slots = Array.from({ length: size }, (_, j) => j);
    const shown: number[] = [];
    for (let i = 0; i < n; i++) {
      if (filled < size) {
        slots[filled++] = size + i;
        shown.push(size + i);
      } else if (u[2 * i]! < 0.5) {
        const j = Math.floor(u[2 * i + 1]! * size);
        shown.push(slots[j]!);
        slots[j] = size + i;
      } else {
        shown.push(size + i);
      }
    }
    return { shown, slots, filled };
  }

  /** The images D sees for `fakes` (detached), updating the pool. `filled` is the count stored before this call. */
  query(fakes: Tensor, filled: number, seed: number): Tensor {
    const { shown, slots } = ReplayBuffer.choose(this.size, filled, fakes.shape[0]!, seed);
    const index = (list: number[]) => T.tensor(Int32Array.from(list), { shape: [list.length], dtype: 'int32', device: fakes.device });
    const both = T.cat([this.images, fakes.detach()], 0);
    const next = T.noGrad(() => T.indexSelect(both, 0, index(slots)));
    this.images.assign_(next);
    next.dispose();
    return T.indexSelect(both, 0, index(shown));
  }
}
