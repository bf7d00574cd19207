// Conv1d, PReLU, Unfold/Fold and PixelShuffle/PixelUnshuffle modules: PyTorch's state-dict names
// and shapes, the same results as the functional ops, gradients reaching the parameters.
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { nn } from '../src/index.js';
import type { Tensor } from '../src/index.js';

const values = (t: Tensor) => Array.from(t.dataSync(), Number);
const shapes = (m: T.nn.Module) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, v.shape]));

describe('layers for the new ops', () => {
  it('Conv1d: state dict, default init bounds, forward, circular padding', () => {
    T.manualSeed(0);
    const conv = new nn.Conv1d(4, 6, 3, { padding: 1, groups: 2 });
    expect(shapes(conv)).toEqual({ weight: [6, 2, 3], bias: [6] });
    const bound = 1 / Math.sqrt(2 * 3);
    expect(values(conv.weight).every((w) => Math.abs(w) <= bound)).toBe(true);
    const x = T.randn([2, 4, 7]);
    expect(values(conv.forward(x))).toEqual(values(T.conv1d(x, conv.weight, conv.bias, { padding: 1, groups: 2 })));
    const circular = new nn.Conv1d(1, 1, 3, { padding: 1, paddingMode: 'circular', bias: false });
    circular.weight.assign_(T.tensor([[[1, 0, 0]]]));
    expect(values(circular.forward(T.tensor([[[1, 2, 3, 4]]])))).toEqual([4, 1, 2, 3]);
    expect(shapes(circular)).toEqual({ weight: [1, 1, 3] });
    T.sum(conv.forward(x)).backward();
    expect(conv.weight.grad!.shape).toEqual([6, 2, 3]);
  });
  it('PReLU: weight [numParameters] initialised to 0.25, learnable', () => {
    const act = new nn.PReLU(3);
    expect(shapes(act)).toEqual({ weight: [3] });
    expect(values(act.weight)).toEqual([0.25, 0.25, 0.25]);
    const x = T.tensor([[[-4], [2], [-8]]]);
    expect(values(act.forward(x))).toEqual([-1, 2, -2]);
    T.sum(act.forward(x)).backward();
    expect(values(act.weight.grad!)).toEqual([-4, 0, -8]);
    expect(() => new nn.PReLU(0)).toThrow(T.ArgumentError);
  });
  it('Unfold, Fold, PixelShuffle and PixelUnshuffle have no parameters and match the ops', () => {
    const x = T.randn([1, 2, 4, 4]);
    const cols = new nn.Unfold(2, { stride: 2 }).forward(x);
    expect(cols.shape).toEqual([1, 8, 4]);
    expect(values(new nn.Fold(4, 2, { stride: 2 }).forward(cols))).toEqual(values(x));
    const up = new nn.PixelShuffle(2);
    expect(shapes(up)).toEqual({});
    expect(values(new nn.PixelUnshuffle(2).forward(up.forward(T.reshape(x, [1, 8, 2, 2]))))).toEqual(values(x));
  });
});
