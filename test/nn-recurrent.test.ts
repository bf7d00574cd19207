// RNN, LSTM and GRU layers and cells against PyTorch: test/fixtures/recurrent-torch.json holds
// PyTorch 2.13's float64 outputs and final states for parameters and inputs set by one formula
// (scripts/recurrent-reference.py), which this test repeats. So names, gate order, directions,
// batch-first layout and stacking are checked against PyTorch itself; then gradients (float64
// gradcheck), unbatched input, typed errors and the wasm backend.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { nn } from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { getBackend } from '../src/backend/registry.js';
import type { WasmBackend } from '../src/backend/wasm/index.js';
import { gradcheck, randomF64 } from './setup/gradcheck.js';

interface Case { layer: string; options: Record<string, number | boolean | string>; names: string[]; out_shape: number[]; out: number[]; states: number[][] }
const { cases } = JSON.parse(readFileSync(new URL('./fixtures/recurrent-torch.json', import.meta.url), 'utf8')) as { cases: Case[] };

/** Element j of the k-th tensor: 0.5 sin(0.7 j + 1.3 k + 0.1), as the script fills PyTorch's. */
const formula = (shape: readonly number[], k: number, device: T.DeviceName = 'cpu', dtype: 'float64' | 'float32' = 'float64') => {
  const n = shape.reduce((a, b) => a * b, 1);
  return T.tensor(Float64Array.from({ length: n }, (_, j) => 0.5 * Math.sin(0.7 * j + 1.3 * k + 0.1)), { shape, dtype, device });
};

/** The layer of a case with its parameters set by the formula. */
function build(c: Case, device: T.DeviceName = 'cpu', dtype: 'float64' | 'float32' = 'float64'): nn.Module {
  const o = c.options;
  const opts = {
    numLayers: o.num_layers as number | undefined, bidirectional: o.bidirectional as boolean | undefined, batchFirst: o.batch_first as boolean | undefined,
    bias: o.bias as boolean | undefined, nonlinearity: o.nonlinearity as 'tanh' | 'relu' | undefined, dtype, device,
  };
  const layers: Record<string, () => nn.Module> = {
    RNN: () => new nn.RNN(3, 4, opts), LSTM: () => new nn.LSTM(3, 4, opts), GRU: () => new nn.GRU(3, (o.hidden_size as number) ?? 4, opts),
    RNNCell: () => new nn.RNNCell(3, 4, { dtype, device }), LSTMCell: () => new nn.LSTMCell(3, 4, { dtype, device }), GRUCell: () => new nn.GRUCell(3, 4, { dtype, device }),
  };
  const m = layers[c.layer]!();
  const state = Object.fromEntries(m.namedParameters().map(([name, p], k) => [name, formula(p.shape, k, device, dtype)]));
  m.loadStateDict(state);
  return m;
}

function run(c: Case, m: nn.Module, device: T.DeviceName = 'cpu', dtype: 'float64' | 'float32' = 'float64'): Tensor[] {
  const o = c.options;
  const cell = c.layer.endsWith('Cell');
  const hidden = (o.hidden_size as number) ?? 4;
  const d = o.bidirectional ? 2 : 1;
  const x = formula(cell ? [2, 3] : o.batch_first ? [2, 5, 3] : [5, 2, 3], 100, device, dtype);
  const stateShape = cell ? [2, 4] : [((o.num_layers as number) ?? 1) * d, 2, hidden];
  const h0 = formula(stateShape, 101, device, dtype);
  const c0 = formula(stateShape, 102, device, dtype);
  const call = (m as unknown as { forward: (...a: unknown[]) => unknown }).forward.bind(m);
  if (c.layer === 'LSTM') {
    const [out, [h, cn]] = call(x, [h0, c0]) as [Tensor, [Tensor, Tensor]];
    return [out, h, cn];
  }
  if (c.layer === 'LSTMCell') return call(x, [h0, c0]) as Tensor[];
  if (cell) return [call(x, h0) as Tensor];
  const [out, h] = call(x, h0) as [Tensor, Tensor];
  return [out, h];
}

const values = (t: Tensor) => Array.from(t.dataSync(), Number);

describe('recurrent layers against PyTorch', () => {
  it.each(cases.map((c) => [`${c.layer} ${JSON.stringify(c.options)}`, c] as const))('%s', (_, c) => {
    const m = build(c);
    expect(m.namedParameters().map(([n]) => n)).toEqual(c.names);
    const [out, ...states] = run(c, m);
    expect(out!.shape).toEqual(c.out_shape);
    const expected = [c.out, ...c.states];
    [out!, ...states].forEach((t, i) => values(t).forEach((v, j) => expect(Math.abs(v - expected[i]![j]!), `output ${i} element ${j}`).toBeLessThan(1e-12)));
  });
});

describe('recurrent layers: gradients, shapes and errors', () => {
  it('gradients through a bidirectional 2-layer GRU and an LSTM (float64 gradcheck)', () => {
    T.manualSeed(3);
    const gru = new nn.GRU(2, 3, { numLayers: 2, bidirectional: true, dtype: 'float64' });
    gradcheck((x) => gru.forward(x)[0], [randomF64([3, 2, 2])]);
    const lstm = new nn.LSTM(2, 3, { batchFirst: true, dtype: 'float64' });
    gradcheck((x, h) => lstm.forward(x, [h, T.mul(h, 0.5)])[1][1], [randomF64([2, 3, 2]), randomF64([1, 2, 3])]);
  });

  it('unbatched input, the default zero state, dropout only in training', () => {
    T.manualSeed(4);
    const rnn = new nn.LSTM(3, 4, { numLayers: 2, dropout: 0.5 });
    rnn.eval();
    const x = T.randn([6, 3]);
    const [out, [h, c]] = rnn.forward(x);
    expect([out.shape, h.shape, c.shape]).toEqual([[6, 4], [2, 4], [2, 4]]);
    const [batched] = rnn.forward(T.unsqueeze(x, 1));
    expect(values(out)).toEqual(values(T.reshape(batched, [6, 4])));
    expect(new nn.GRUCell(3, 4).forward(T.randn([3])).shape).toEqual([4]);
  });

  it('bad calls are typed errors naming the layer and the shapes', () => {
    expect(() => new nn.GRU(3, 0)).toThrow(/GRU: hiddenSize must be a positive integer, got 0/);
    expect(() => new nn.RNN(3, 4, { nonlinearity: 'sigmoid' as never })).toThrow(/RNN: nonlinearity must be 'tanh' or 'relu'/);
    expect(() => new nn.LSTM(3, 4).forward(T.zeros([5, 2, 2]))).toThrow(/LSTM: the input's feature dim must be 3, got shape \[5, 2, 2\]/);
    expect(() => new nn.GRU(3, 4).forward(T.zeros([5, 2, 3]), T.zeros([2, 2, 4]))).toThrow(/GRU: h0 must have shape \[1, 2, 4\], got \[2, 2, 4\]/);
    expect(() => new nn.LSTMCell(3, 4).forward(T.zeros([2, 5]))).toThrow(/LSTMCell: input must be \[B, 3\], got \[2, 5\]/);
  });
});

describe('recurrent layers on wasm', () => {
  afterAll(() => (getBackend('wasm') as WasmBackend).rt.pool.stop());
  it('match the float64 PyTorch outputs to float32 precision', async () => {
    await T.initWasm({ threads: 1 });
    for (const c of cases.filter((k) => ['LSTM', 'GRU'].includes(k.layer))) {
      const outs = run(c, build(c, 'wasm', 'float32'), 'wasm', 'float32');
      const expected = [c.out, ...c.states];
      for (const [i, t] of outs.entries()) (await t.data()).forEach((v, j) => expect(Math.abs(v - expected[i]![j]!), `${c.layer} ${i}:${j}`).toBeLessThan(1e-5));
    }
  });
});
