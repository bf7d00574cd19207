/**
 * Masked convolutions, the building block of the autoregressive image models (PixelCNN, the
 * Row LSTM's input-to-state convolution): pixels are ordered in raster order, row by row, and a
 * masked kernel only looks at positions that come before the centre (mask 'A', used on the image
 * itself, so a pixel never sees its own value) or before and at the centre (mask 'B', used on
 * features that already exclude it). 'rows-above' keeps the rows above the centre and the
 * centre row whole: the vertical stack of the gated PixelCNN, whose output is shifted down a row
 * before anything reads it.
 *
 * The mask multiplies the weight inside the graph (conv2d(x, W ⊙ M)), so the gradient of every
 * masked weight is exactly zero and the optimizer never moves it: no re-masking after each step.
 */
import * as T from '../../src/index.js';
import { nn } from '../../src/index.js';
import type { DeviceName, Tensor } from '../../src/index.js';

export type MaskType = 'A' | 'B' | 'rows-above';

/** The 0/1 mask [kh, kw] of a kernel of `type`: 1 where the kernel may look. */
export function kernelMask(type: MaskType, kh: number, kw: number): number[] {
  const [cy, cx] = [Math.floor(kh / 2), Math.floor(kw / 2)];
  const mask: number[] = [];
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      const open = y < cy || (y === cy && (type === 'rows-above' || x < cx || (type === 'B' && x === cx)));
      mask.push(open ? 1 : 0);
    }
  }
  return mask;
}

/** A Conv2d whose kernel is masked in the graph; odd kernel sizes, 'same' zero padding. */
export class MaskedConv2d extends nn.Module {
  conv: nn.Conv2d;
  declare mask: Tensor;
  /** How many rows above its own an output row reads. */
  readonly rowsAbove: number;

  constructor(readonly type: MaskType, inChannels: number, outChannels: number, kernel: [number, number], device?: DeviceName) {
    super();
    const [kh, kw] = kernel;
    if (kh % 2 === 0 || kw % 2 === 0) throw new T.ArgumentError(`MaskedConv2d: the kernel must have odd sides to have a centre, got [${kh}, ${kw}]`);
    this.conv = new nn.Conv2d(inChannels, outChannels, kernel, { padding: [(kh - 1) / 2, (kw - 1) / 2], device });
    this.rowsAbove = (kh - 1) / 2;
    // Not in the state dict: it follows from the type, and checkpoints stay PyTorch's Conv2d names.
    this.registerBuffer('mask', T.tensor(kernelMask(type, kh, kw), { shape: [1, 1, kh, kw], device }), false);
  }

  forward(x: Tensor): Tensor {
    const { weight, bias } = this.conv;
    return T.conv2d(x, T.mul(weight, this.mask), bias, { padding: this.conv.padding as [number, number] });
  }
}
