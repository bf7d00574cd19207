/**
 * Recurrent layers as PyTorch has them: `RNN` (tanh or ReLU), `LSTM` and `GRU` over a sequence,
 * with stacked layers, both directions, batch-first input and dropout between layers, and the
 * one-step cells `RNNCell`, `LSTMCell` and `GRUCell`. Parameter names, shapes, gate order (LSTM
 * i, f, g, o; GRU r, z, n) and the initialisation U(−1/√H, 1/√H) are PyTorch's, so a state dict
 * moves between the two unchanged. The LSTM step is the fused `lstmCell` op.
 */
import { ArgumentError, ShapeError, fmtShape } from '../errors.js';
import { add, batchedMatmul, cat, dropout, lstmCell, mul, relu, reshape, sigmoid, split, stack, sub, tanh, transpose, unsqueeze, zeros } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { uniform_ } from './init.js';
import type { LayerOptions } from './linear.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

type Mode = 'tanh' | 'relu' | 'lstm' | 'gru';
const GATES: Record<Mode, number> = { tanh: 1, relu: 1, lstm: 4, gru: 3 };

/** x [B, I] W[G, I]ᵀ (+ b) as [B, G], reading W transposed in place. */
function project(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  const [batch, inputs] = x.shape as [number, number];
  const y = reshape(batchedMatmul(reshape(x, [1, batch, inputs]), reshape(w, [1, ...w.shape]), false, true), [batch, w.shape[0]!]);
  return b ? add(y, b) : y;
}

/** One layer-direction's weights, as the cells and the sequence layers hold them. */
interface Weights { wIh: Tensor; wHh: Tensor; bIh: Tensor | null; bHh: Tensor | null }

/** The LSTM cell's one bias, b_ih + b_hh: summed once per sequence, not at every step. */
const lstmBias = (w: Weights): Tensor | null => (w.bIh && w.bHh ? add(w.bIh, w.bHh) : w.bIh ?? w.bHh);

/** One step of `mode` from state (h, c); c and `bias` (lstmBias(w)) are used by the LSTM only. */
function step(mode: Mode, x: Tensor, h: Tensor, c: Tensor | null, w: Weights, bias: Tensor | null): [Tensor, Tensor | null] {
  if (mode === 'lstm') return lstmCell(x, h, c!, w.wIh, w.wHh, bias);
  const xi = project(x, w.wIh, w.bIh);
  const hh = project(h, w.wHh, w.bHh);
  if (mode !== 'gru') return [(mode === 'tanh' ? tanh : relu)(add(xi, hh)), null];
  // r and z gate the candidate n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)); h' = (1 − z) ⊙ n + z ⊙ h.
  const [xr, xz, xn] = split(xi, h.shape[1]!, 1) as [Tensor, Tensor, Tensor];
  const [hr, hz, hn] = split(hh, h.shape[1]!, 1) as [Tensor, Tensor, Tensor];
  const r = sigmoid(add(xr, hr));
  const z = sigmoid(add(xz, hz));
  const n = tanh(add(xn, mul(r, hn)));
  return [add(n, mul(z, sub(h, n))), null];
}

/** Creates the parameters of one layer-direction under PyTorch's names (suffix: `_l0`, `_l1_reverse`, or '' for a cell). */
function addWeights(owner: Module, mode: Mode, inputSize: number, hiddenSize: number, bias: boolean, suffix: string, opts: LayerOptions): Weights {
  const rows = GATES[mode] * hiddenSize;
  const bound = 1 / Math.sqrt(hiddenSize);
  const make = (shape: number[]) => {
    const p = Parameter.create(() => zeros(shape, { device: opts.device, dtype: opts.dtype }));
    uniform_(p, -bound, bound);
    return p;
  };
  const w: Weights = { wIh: make([rows, inputSize]), wHh: make([rows, hiddenSize]), bIh: bias ? make([rows]) : null, bHh: bias ? make([rows]) : null };
  owner.registerParameter(`weight_ih${suffix}`, w.wIh as Parameter);
  owner.registerParameter(`weight_hh${suffix}`, w.wHh as Parameter);
  if (bias) {
    owner.registerParameter(`bias_ih${suffix}`, w.bIh as Parameter);
    owner.registerParameter(`bias_hh${suffix}`, w.bHh as Parameter);
  }
  return w;
}

/** Options of RNN, LSTM and GRU (PyTorch's, in camelCase); device and dtype place the weights. */
export interface RecurrentOptions extends LayerOptions {
  /** Stacked layers, each reading the previous one's output sequence (default 1). */
  numLayers?: number;
  /** Add biases (PyTorch's `bias`, default true). */
  bias?: boolean;
  /** Input and output as [batch, time, features] instead of [time, batch, features]. */
  batchFirst?: boolean;
  /** Dropout on every layer's output but the last, in training. */
  dropout?: number;
  /** Also run every layer from the last step to the first and concatenate both directions' outputs (default false). */
  bidirectional?: boolean;
}

/** The sequence layers: each layer runs every direction over the whole sequence, then feeds the next. */
abstract class Recurrent extends Module {
  readonly numLayers: number;
  readonly batchFirst: boolean;
  readonly bidirectional: boolean;
  readonly dropout: number;
  readonly #weights: Weights[] = [];

  constructor(private readonly mode: Mode, readonly inputSize: number, readonly hiddenSize: number, opts: RecurrentOptions) {
    super();
    this.numLayers = opts.numLayers ?? 1;
    this.batchFirst = opts.batchFirst ?? false;
    this.bidirectional = opts.bidirectional ?? false;
    this.dropout = opts.dropout ?? 0;
    const name = this.constructor.name;
    for (const [k, v] of [['inputSize', inputSize], ['hiddenSize', hiddenSize], ['numLayers', this.numLayers]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ArgumentError(`${name}: ${k} must be a positive integer, got ${v}`);
    }
    if (!(this.dropout >= 0 && this.dropout < 1)) throw new ArgumentError(`${name}: dropout must be in [0, 1), got ${this.dropout}`);
    const directions = this.bidirectional ? 2 : 1;
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let d = 0; d < directions; d++) {
        const inputs = layer === 0 ? inputSize : hiddenSize * directions;
        this.#weights.push(addWeights(this, mode, inputs, hiddenSize, opts.bias ?? true, `_l${layer}${d ? '_reverse' : ''}`, opts));
      }
    }
  }

  /** Runs the layers; `h0` / `c0` are [layers × directions, B, H] (zeros when absent). */
  protected run(input: Tensor, h0: Tensor | null, c0: Tensor | null): [Tensor, Tensor, Tensor | null] {
    const name = this.constructor.name;
    const unbatched = input.shape.length === 2;
    if (!unbatched && input.shape.length !== 3) throw new ShapeError(`${name}: input must be [T, B, ${this.inputSize}] (or 2-D unbatched), got ${fmtShape(input.shape)}`);
    let x = unbatched ? unsqueeze(input, 1) : this.batchFirst ? transpose(input, 0, 1) : input;
    if (x.shape[2] !== this.inputSize) throw new ShapeError(`${name}: the input's feature dim must be ${this.inputSize}, got shape ${fmtShape(input.shape)}`);
    const [time, batch] = x.shape as [number, number];
    const directions = this.bidirectional ? 2 : 1;
    const stateShape = [this.numLayers * directions, batch, this.hiddenSize];
    const initial = (s: Tensor | null, what: string) => {
      if (!s) return null;
      const t = unbatched && s.shape.length === 2 ? unsqueeze(s, 1) : s;
      if (t.shape.join() !== stateShape.join()) throw new ShapeError(`${name}: ${what} must have shape ${fmtShape(stateShape)}, got ${fmtShape(s.shape)}`);
      return split(t, 1, 0).map((u) => reshape(u, [batch, this.hiddenSize]));
    };
    const hs = initial(h0, 'h0');
    const cs = initial(c0, 'c0');
    const zero = () => zeros([batch, this.hiddenSize], { device: x.device, dtype: x.dtype });
    const hOut: Tensor[] = [];
    const cOut: Tensor[] = [];
    for (let layer = 0; layer < this.numLayers; layer++) {
      const steps = split(x, 1, 0).map((u) => reshape(u, [batch, x.shape[2]!]));
      const outputs: Tensor[] = [];
      for (let d = 0; d < directions; d++) {
        const k = layer * directions + d;
        let h = hs?.[k] ?? zero();
        let c = this.mode === 'lstm' ? cs?.[k] ?? zero() : null;
        const weights = this.#weights[k]!;
        const bias = this.mode === 'lstm' ? lstmBias(weights) : null;
        const ys: Tensor[] = new Array(time);
        for (let i = 0; i < time; i++) {
          const t = d ? time - 1 - i : i;
          [h, c] = step(this.mode, steps[t]!, h, c, weights, bias);
          ys[t] = h;
        }
        outputs.push(stack(ys, 0));
        hOut.push(h);
        if (c) cOut.push(c);
      }
      x = directions === 2 ? cat(outputs, 2) : outputs[0]!;
      if (this.dropout > 0 && layer < this.numLayers - 1) x = dropout(x, this.dropout, this.training);
    }
    let out = this.batchFirst && !unbatched ? transpose(x, 0, 1) : x;
    const states = (list: Tensor[]) => (unbatched ? reshape(stack(list, 0), [list.length, this.hiddenSize]) : stack(list, 0));
    if (unbatched) out = reshape(out, [time, out.shape[2]!]);
    return [out, states(hOut), cOut.length ? states(cOut) : null];
  }

  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}, numLayers=${this.numLayers}, batchFirst=${this.batchFirst}, bidirectional=${this.bidirectional}`;
  }
}

/** Elman RNN: h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or ReLU). Returns [output, h_n]. */
export class RNN extends Recurrent {
  constructor(inputSize: number, hiddenSize: number, opts: RecurrentOptions & { nonlinearity?: 'tanh' | 'relu' } = {}) {
    if (opts.nonlinearity !== undefined && opts.nonlinearity !== 'tanh' && opts.nonlinearity !== 'relu') {
      throw new ArgumentError(`RNN: nonlinearity must be 'tanh' or 'relu', got '${opts.nonlinearity}'`);
    }
    super(opts.nonlinearity ?? 'tanh', inputSize, hiddenSize, opts);
  }

  /**
   * @param input [T, B, inputSize] ([B, T, inputSize] with batchFirst), or [T, inputSize] unbatched.
   * @param h0 Initial hidden states [numLayers·D, B, hiddenSize] (zeros when null).
   * @returns [output [T, B, D·hiddenSize] (D = 2 when bidirectional: both directions' h side by side), h_n [numLayers·D, B, hiddenSize]]. Throws ShapeError on other shapes.
   */
  forward(input: Tensor, h0: Tensor | null = null): [Tensor, Tensor] {
    const [out, h] = this.run(input, h0, null);
    return [out, h];
  }
}

/** LSTM: returns [output, [h_n, c_n]], as PyTorch does. */
export class LSTM extends Recurrent {
  constructor(inputSize: number, hiddenSize: number, opts: RecurrentOptions = {}) {
    super('lstm', inputSize, hiddenSize, opts);
  }

  /**
   * @param input [T, B, inputSize] ([B, T, inputSize] with batchFirst), or [T, inputSize] unbatched.
   * @param state Initial [h_0, c_0], each [numLayers·D, B, hiddenSize] (zeros when null).
   * @returns [output [T, B, D·hiddenSize] (D = 2 when bidirectional: both directions' h side by side), [h_n, c_n]]. Throws ShapeError on other shapes.
   */
  forward(input: Tensor, state: [Tensor, Tensor] | null = null): [Tensor, [Tensor, Tensor]] {
    const [out, h, c] = this.run(input, state?.[0] ?? null, state?.[1] ?? null);
    return [out, [h, c!]];
  }
}

/** GRU: returns [output, h_n]. */
export class GRU extends Recurrent {
  constructor(inputSize: number, hiddenSize: number, opts: RecurrentOptions = {}) {
    super('gru', inputSize, hiddenSize, opts);
  }

  /**
   * @param input [T, B, inputSize] ([B, T, inputSize] with batchFirst), or [T, inputSize] unbatched.
   * @param h0 Initial hidden states [numLayers·D, B, hiddenSize] (zeros when null).
   * @returns [output [T, B, D·hiddenSize] (D = 2 when bidirectional: both directions' h side by side), h_n [numLayers·D, B, hiddenSize]]. Throws ShapeError on other shapes.
   */
  forward(input: Tensor, h0: Tensor | null = null): [Tensor, Tensor] {
    const [out, h] = this.run(input, h0, null);
    return [out, h];
  }
}

/** The one-step cells: input [B, I] (or [I]) and state [B, H]. */
abstract class Cell extends Module {
  readonly #weights: Weights;

  constructor(private readonly mode: Mode, readonly inputSize: number, readonly hiddenSize: number, opts: LayerOptions & { bias?: boolean }) {
    super();
    for (const [k, v] of [['inputSize', inputSize], ['hiddenSize', hiddenSize]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ArgumentError(`${this.constructor.name}: ${k} must be a positive integer, got ${v}`);
    }
    this.#weights = addWeights(this, mode, inputSize, hiddenSize, opts.bias ?? true, '', opts);
  }

  protected cell(x: Tensor, h: Tensor | null, c: Tensor | null): [Tensor, Tensor | null] {
    const name = this.constructor.name;
    const unbatched = x.shape.length === 1;
    const xx = unbatched ? unsqueeze(x, 0) : x;
    if (xx.shape.length !== 2 || xx.shape[1] !== this.inputSize) throw new ShapeError(`${name}: input must be [B, ${this.inputSize}], got ${fmtShape(x.shape)}`);
    const batch = xx.shape[0]!;
    const state = (s: Tensor | null) => {
      const t = s ? (unbatched ? unsqueeze(s, 0) : s) : zeros([batch, this.hiddenSize], { device: x.device, dtype: x.dtype });
      if (t.shape.join() !== [batch, this.hiddenSize].join()) throw new ShapeError(`${name}: the state must be [${batch}, ${this.hiddenSize}], got ${fmtShape(s!.shape)}`);
      return t;
    };
    const [hNext, cNext] = step(this.mode, xx, state(h), this.mode === 'lstm' ? state(c) : null, this.#weights, this.mode === 'lstm' ? lstmBias(this.#weights) : null);
    const back = (t: Tensor) => (unbatched ? reshape(t, [this.hiddenSize]) : t);
    return [back(hNext), cNext ? back(cNext) : null];
  }
}

/** One step of an Elman RNN: h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or ReLU), as torch.nn.RNNCell. */
export class RNNCell extends Cell {
  constructor(inputSize: number, hiddenSize: number, opts: LayerOptions & { bias?: boolean; nonlinearity?: 'tanh' | 'relu' } = {}) {
    super(opts.nonlinearity ?? 'tanh', inputSize, hiddenSize, opts);
  }

  /** x [B, inputSize] (or [inputSize]) and h [B, hiddenSize] (zeros when null) → h' [B, hiddenSize]. */
  forward(x: Tensor, h: Tensor | null = null): Tensor {
    return this.cell(x, h, null)[0];
  }
}

/** One LSTM step with PyTorch's gate order (input, forget, cell, output), as torch.nn.LSTMCell. */
export class LSTMCell extends Cell {
  constructor(inputSize: number, hiddenSize: number, opts: LayerOptions & { bias?: boolean } = {}) {
    super('lstm', inputSize, hiddenSize, opts);
  }

  /** x [B, inputSize] (or [inputSize]) and [h, c], each [B, hiddenSize] (zeros when null) → [h', c']. */
  forward(x: Tensor, state: [Tensor, Tensor] | null = null): [Tensor, Tensor] {
    const [h, c] = this.cell(x, state?.[0] ?? null, state?.[1] ?? null);
    return [h, c!];
  }
}

/** One GRU step with PyTorch's gate order (reset, update, new), as torch.nn.GRUCell. */
export class GRUCell extends Cell {
  constructor(inputSize: number, hiddenSize: number, opts: LayerOptions & { bias?: boolean } = {}) {
    super('gru', inputSize, hiddenSize, opts);
  }

  /** x [B, inputSize] (or [inputSize]) and h [B, hiddenSize] (zeros when null) → h' [B, hiddenSize]. */
  forward(x: Tensor, h: Tensor | null = null): Tensor {
    return this.cell(x, h, null)[0];
  }
}
