// The activation, pooling and Bilinear modules: each module computes its op (so Sequential models
// port from PyTorch line by line), Bilinear against PyTorch 2.13's output for set weights, and
// typed errors.
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { nn } from '../src/index.js';
import type { Tensor } from '../src/index.js';

const values = (t: Tensor) => Array.from(t.dataSync(), Number);

describe('activation and pooling modules compute their ops', () => {
  it('activations', () => {
    const x = T.randn([3, 4]);
    const pairs: [nn.Module & { forward(x: Tensor): Tensor }, Tensor][] = [
      [new nn.Mish(), T.mish(x)], [new nn.Hardswish(), T.hardswish(x)], [new nn.Hardsigmoid(), T.hardsigmoid(x)], [new nn.ReLU6(), T.relu6(x)],
      [new nn.Hardtanh(-0.5, 0.5), T.hardtanh(x, -0.5, 0.5)], [new nn.SELU(), T.selu(x)], [new nn.CELU(0.7), T.celu(x, 0.7)],
      [new nn.Softsign(), T.softsign(x)], [new nn.LogSigmoid(), T.logsigmoid(x)], [new nn.GLU(1), T.glu(x, 1)], [new nn.Softmin(0), T.softmin(x, 0)],
    ];
    for (const [m, expected] of pairs) expect(values(m.forward(x)), m.constructor.name).toEqual(values(expected));
    expect(new nn.Hardtanh(0, 6).toString()).toContain('minVal=0, maxVal=6');
  });

  it('pooling, inside a Sequential', () => {
    const x = T.randn([2, 3, 7, 7]);
    const net = new nn.Sequential(new nn.MaxPool2d(3, { stride: 2, padding: 1 }), new nn.AvgPool2d(2), new nn.AdaptiveAvgPool2d(1));
    const expected = T.adaptiveAvgPool2d(T.avgPool2d(T.maxPool2d(x, 3, { stride: 2, padding: 1 }), 2), 1);
    expect(values(net.forward(x))).toEqual(values(expected));
    expect(net.parameters()).toEqual([]);
  });
});

describe('Bilinear', () => {
  it('y = x1ᵀ A x2 + b, as PyTorch computes it', () => {
    const m = new nn.Bilinear(2, 3, 2, { dtype: 'float64' });
    expect(m.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([['weight', [2, 2, 3]], ['bias', [2]]]);
    m.loadStateDict({ weight: T.div(T.reshape(T.arange(12, undefined, 1, { dtype: 'float64' }), [2, 2, 3]), 10), bias: T.tensor([0.5, -1], { dtype: 'float64' }) });
    const y = m.forward(T.tensor([[1, 2], [0.5, -1]], { dtype: 'float64' }), T.tensor([[1, 0, -1], [2, 1, 0]], { dtype: 'float64' }));
    const torch = [-0.09999999999999998, -1.6, -0.44999999999999996, -2.85];
    values(y).forEach((v, i) => expect(v).toBeCloseTo(torch[i]!, 12));
    expect(m.forward(T.zeros([4, 5, 2], { dtype: 'float64' }), T.zeros([4, 5, 3], { dtype: 'float64' })).shape).toEqual([4, 5, 2]);
    expect(() => m.forward(T.zeros([4, 2]), T.zeros([3, 3]))).toThrow(/Bilinear\(2, 3, 2\): inputs must be \[\.\.\., 2\] and \[\.\.\., 3\] with the same leading dims, got \[4, 2\] and \[3, 3\]/);
  });
});
