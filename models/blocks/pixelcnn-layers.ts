/**
 * The two trunks of PixelCNN (models/pixelcnn.ts):
 * - `PixelCnnTrunk`: the PixelRNN paper's PixelCNN (van den Oord et al. 2016a): a 7x7 mask-A
 *   convolution, then residual blocks ReLU → 1x1 (2h → h) → ReLU → 3x3 mask-B (h → h) → ReLU →
 *   1x1 (h → 2h), added to their input. Its receptive field has a blind spot to the upper right.
 * - `GatedPixelCnnTrunk`: the gated PixelCNN (van den Oord et al. 2016b): a vertical stack whose
 *   kernels see the rows above and the current row, shifted down one row before the horizontal
 *   stack reads it, and a horizontal stack of 1 x k kernels that see the pixels to the left. Every
 *   layer's units are gated, tanh(a) ⊙ σ(b); the horizontal stack is residual. Together the two
 *   stacks cover every earlier pixel: no blind spot.
 * Both map an image [N, C, H, W] to features [N, width, H, W] whose pixel i depends only on the
 * image's pixels before i in raster order, and say how many rows above its own a row reads
 * (`rowsAbove`), which the sampler uses to run on a window of rows instead of the whole image.
 */
import * as T from '../../src/index.js';
import { nn } from '../../src/index.js';
import type { DeviceName, Tensor } from '../../src/index.js';
import { MaskedConv2d } from './masked-conv.js';

export interface PixelCnnTrunk extends nn.Module {
  forward(x: Tensor): Tensor;
  readonly rowsAbove: number;
}

/** ReLU → 1x1 → ReLU → 3x3 mask-B → ReLU → 1x1, plus the input. */
class ResidualBlock extends nn.Module {
  reduce: nn.Conv2d;
  masked: MaskedConv2d;
  expand: nn.Conv2d;

  constructor(width: number, device?: DeviceName) {
    super();
    const half = Math.max(1, width >> 1);
    this.reduce = new nn.Conv2d(width, half, 1, { device });
    this.masked = new MaskedConv2d('B', half, half, [3, 3], device);
    this.expand = new nn.Conv2d(half, width, 1, { device });
  }

  forward(x: Tensor): Tensor {
    const h = this.masked.forward(T.relu(this.reduce.forward(T.relu(x))));
    return T.add(x, this.expand.forward(T.relu(h)));
  }
}

export class PlainTrunk extends nn.Module implements PixelCnnTrunk {
  first: MaskedConv2d;
  blocks: nn.ModuleList<ResidualBlock>;
  readonly rowsAbove: number;

  constructor(channels: number, width: number, blocks: number, device?: DeviceName) {
    super();
    this.first = new MaskedConv2d('A', channels, width, [7, 7], device);
    this.blocks = new nn.ModuleList(Array.from({ length: blocks }, () => new ResidualBlock(width, device)));
    this.rowsAbove = this.first.rowsAbove + blocks;
  }

  forward(x: Tensor): Tensor {
    let h = this.first.forward(x);
    for (const block of this.blocks) h = block.forward(h);
    return h;
  }
}

/** tanh(a) ⊙ σ(b) for the two halves of the channels. */
const gate = (x: Tensor): Tensor => {
  const [a, b] = T.chunk(x, 2, 1);
  return T.mul(T.tanh(a!), T.sigmoid(b!));
};

/** Move features down one row (zeros enter at the top), so row r holds what row r - 1 computed. */
const shiftDown = (x: Tensor): Tensor => T.slice(T.pad(x, [0, 0, 1, 0]), [null, null, { stop: x.shape[2]! }]);

/** One gated layer: both stacks, with the vertical one feeding the horizontal one shifted down. */
class GatedLayer extends nn.Module {
  vertical: MaskedConv2d;
  horizontal: MaskedConv2d;
  verticalToHorizontal: nn.Conv2d;
  out: nn.Conv2d | null;

  constructor(readonly first: boolean, cin: number, width: number, kernel: number, device?: DeviceName) {
    super();
    this.vertical = new MaskedConv2d('rows-above', cin, 2 * width, [kernel, kernel], device);
    this.horizontal = new MaskedConv2d(first ? 'A' : 'B', cin, 2 * width, [1, kernel], device);
    this.verticalToHorizontal = new nn.Conv2d(2 * width, 2 * width, 1, { device });
    // The first layer's input is the image: no residual connection to add its output to.
    this.out = first ? null : new nn.Conv2d(width, width, 1, { device });
  }

  forward(v: Tensor, h: Tensor): [Tensor, Tensor] {
    const vPre = this.vertical.forward(v);
    const hPre = T.add(this.horizontal.forward(h), this.verticalToHorizontal.forward(shiftDown(vPre)));
    const hGated = gate(hPre);
    return [gate(vPre), this.out ? T.add(h, this.out.forward(hGated)) : hGated];
  }
}

export class GatedTrunk extends nn.Module implements PixelCnnTrunk {
  layers: nn.ModuleList<GatedLayer>;
  readonly rowsAbove: number;

  constructor(channels: number, width: number, blocks: number, device?: DeviceName) {
    super();
    // A 7-wide first layer as in the plain trunk, then 3-wide ones.
    const layers = [new GatedLayer(true, channels, width, 7, device)];
    for (let i = 0; i < blocks; i++) layers.push(new GatedLayer(false, width, width, 3, device));
    this.layers = new nn.ModuleList(layers);
    // Each vertical kernel reads its rows above; each shift into the horizontal stack one more.
    this.rowsAbove = layers.reduce((sum, l) => sum + l.vertical.rowsAbove, 0) + 1;
  }

  forward(x: Tensor): Tensor {
    let [v, h] = [x, x];
    for (const layer of this.layers) [v, h] = layer.forward(v, h);
    return h;
  }
}
