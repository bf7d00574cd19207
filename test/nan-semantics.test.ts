// PyTorch's semantics where values are infinite, NaN or absent, on both backends: logsumexp of
// infinities, cross-entropy with every target ignored (NaN loss, zero gradients), and float64
// gradients that stay float64 through scalar slopes (leakyRelu, conv2d's fused leakyRelu).
import { beforeAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';

const devices: T.DeviceName[] = ['cpu', 'webgpu'];

describe('PyTorch NaN / inf semantics', () => {
  beforeAll(async () => {
    await T.initWebGPU();
  });

  for (const device of devices) {
    it(`logsumexp of infinities (${device})`, async () => {
      const x = T.tensor([[Infinity, Infinity], [-Infinity, -Infinity], [Infinity, 1]], { device });
      expect(Array.from(await T.logsumexp(x, 1).data())).toEqual([Infinity, -Infinity, Infinity]);
    });

    it(`cross-entropy with every target ignored: NaN loss, zero gradients (${device})`, async () => {
      const logits = T.tensor([[1, 2, 3], [0, 1, 0]], { device }).requiresGrad_();
      const target = T.tensor([-100, -100], { device, dtype: 'int32' });
      const loss = T.crossEntropy(logits, target);
      expect(Number.isNaN(await loss.item())).toBe(true);
      loss.backward();
      expect(Array.from(await logits.grad!.data())).toEqual([0, 0, 0, 0, 0, 0]);
      // One target kept: the mean is over it alone, and the gradients are finite.
      const some = T.crossEntropy(logits, T.tensor([2, -100], { device, dtype: 'int32' }));
      expect(await some.item()).toBeCloseTo(-Math.log(Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3))), 5);
    });
  }

  it('float64 gradients stay float64 through leakyRelu slopes', () => {
    const x = T.tensor([-1, 2, -3], { dtype: 'float64' }).requiresGrad_();
    const [g] = T.gradients(T.sum(T.leakyRelu(x, 0.2)), [x]);
    expect(Array.from(g!.dataSync())).toEqual([0.2, 1, 0.2]);
    const img = T.tensor([-1, 2, -3, 4], { shape: [1, 1, 2, 2], dtype: 'float64' }).requiresGrad_();
    const w = T.ones([1, 1, 1, 1], { dtype: 'float64' });
    const [gc] = T.gradients(T.sum(T.conv2d(img, w, null, { activation: 'leakyRelu', negativeSlope: 0.2 })), [img]);
    expect(Array.from(gc!.dataSync())).toEqual([0.2, 1, 0.2, 1]);
  });
});
