/**
 * The Row LSTM layer of PixelRNN (van den Oord et al. 2016a, §3.1): an LSTM that runs down the
 * image one row at a time, computing a whole row of states at once. The four gates of row r are
 *   [o, f, i, g] = K_ss ⊛ h_{r-1} + K_is ⊛ x_r,
 *   c_r = σ(f) ⊙ c_{r-1} + σ(i) ⊙ tanh(g),   h_r = σ(o) ⊙ tanh(c_r),
 * where K_is is a 1x3 input-to-state convolution masked (mask B) so that position c reads the
 * layer's input at columns ≤ c of its own row, and K_ss a 1x3 state-to-state convolution of the
 * row above's states (all known). Its receptive field is a triangle above the pixel. The layer is
 * residual: its output is x + a 1x1 convolution of h.
 *
 * `forward` runs the recurrence over a whole image (training, likelihoods); `stepRow` advances
 * one row from a given state, which is all the sampler needs once the rows above are drawn.
 */
import * as T from '../../src/index.js';
import { nn } from '../../src/index.js';
import type { DeviceName, Tensor } from '../../src/index.js';
import { MaskedConv2d } from './masked-conv.js';

/** The LSTM's state for one row: h and c, [N, width, 1, W]. */
export interface RowState {
  h: Tensor;
  c: Tensor;
}

export class RowLstm extends nn.Module {
  inputToState: MaskedConv2d;
  stateToState: nn.Conv2d;
  out: nn.Conv2d;

  constructor(readonly width: number, device?: DeviceName) {
    super();
    this.inputToState = new MaskedConv2d('B', width, 4 * width, [1, 3], device);
    // The row above is fully known: no mask.
    this.stateToState = new nn.Conv2d(width, 4 * width, [1, 3], { padding: [0, 1], device });
    this.out = new nn.Conv2d(width, width, 1, { device });
  }

  /** The zero state before the first row, for inputs [N, width, H, W]. */
  initialState(x: Tensor): RowState {
    const zero = T.zeros([x.shape[0]!, this.width, 1, x.shape[3]!], { device: x.device, dtype: x.dtype });
    return { h: zero, c: zero };
  }

  /** One LSTM update from the input-to-state gates of a row [N, 4·width, 1, W] and the row above's state. */
  private cell(inputGates: Tensor, { h, c }: RowState): RowState {
    const [o, f, i, g] = T.chunk(T.add(inputGates, this.stateToState.forward(h)), 4, 1);
    const cNext = T.add(T.mul(T.sigmoid(f!), c), T.mul(T.sigmoid(i!), T.tanh(g!)));
    return { h: T.mul(T.sigmoid(o!), T.tanh(cNext)), c: cNext };
  }

  /** The layer's output [N, width, H, W] for its input [N, width, H, W]. */
  forward(x: Tensor): Tensor {
    // The input-to-state convolution reads one row only, so it runs on all rows at once.
    const gates = this.inputToState.forward(x);
    let state = this.initialState(x);
    const rows: Tensor[] = [];
    for (let r = 0; r < x.shape[2]!; r++) {
      state = this.cell(T.slice(gates, [null, null, { start: r, stop: r + 1 }]), state);
      rows.push(state.h);
    }
    return T.add(x, this.out.forward(T.cat(rows, 2)));
  }

  /** The output of one row [N, width, 1, W] of the layer's input, and the state it leaves, given the state above it. */
  stepRow(xRow: Tensor, state: RowState): { y: Tensor; state: RowState } {
    const next = this.cell(this.inputToState.forward(xRow), state);
    return { y: T.add(xRow, this.out.forward(next.h)), state: next };
  }
}
