// A batch of 0 through the normalisations, adaptive pooling and interpolation gives an empty
// result of PyTorch's shape on every backend (shapes from PyTorch 2.13: F.layer_norm,
// F.group_norm, F.instance_norm, F.adaptive_avg_pool2d and F.interpolate of zeros(0, 2, 4, 4)),
// and the affine parameters' gradients are zeros, as PyTorch's are. They once failed with
// "conv2d: groups must be a positive integer, got 0" and reshape errors.
import { beforeAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';

const devices: T.DeviceName[] = ['cpu', 'wasm', 'webgpu'];

describe('empty batches', () => {
  beforeAll(async () => {
    await T.initWebGPU();
    await T.initWasm();
  });

  for (const device of devices) {
    it(`normalisations, adaptive pooling and interpolation (${device})`, async () => {
      const x = T.zeros([0, 2, 4, 4], { device }).requiresGrad_();
      const channel = T.ones([2], { device }).requiresGrad_();
      const plane = T.ones([4, 4], { device }).requiresGrad_();
      const cases: [string, () => T.Tensor, number[], T.Tensor[]][] = [
        ['layerNorm', () => T.layerNorm(x, [4, 4], plane, plane), [0, 2, 4, 4], [plane]],
        ['groupNorm', () => T.groupNorm(x, 2, channel, channel), [0, 2, 4, 4], [channel]],
        ['instanceNorm', () => T.instanceNorm(x, channel, channel), [0, 2, 4, 4], [channel]],
        ['adaptiveAvgPool2d', () => T.adaptiveAvgPool2d(x, [2, 2]), [0, 2, 2, 2], []],
        ['nearest', () => T.interpolate(x, { size: [8, 8] }), [0, 2, 8, 8], []],
        ['bilinear', () => T.interpolate(x, { size: [3, 5], mode: 'bilinear' }), [0, 2, 3, 5], []],
      ];
      for (const [name, f, shape, params] of cases) {
        const y = f();
        expect(y.shape, name).toEqual(shape);
        expect(y.device).toBe(device);
        const [gx, ...gp] = T.gradients(T.sum(y), [x, ...params]);
        expect(gx!.shape, name).toEqual([0, 2, 4, 4]);
        for (const [i, g] of gp.entries()) {
          expect(g!.shape).toEqual(params[i]!.shape);
          expect(Array.from(await g!.data()).every((v) => v === 0), name).toBe(true);
        }
      }
    });
  }

  it('a batch of 1 broadcasts against a batch of 0 in batched products', () => {
    const a = T.ones([1, 2, 3]).requiresGrad_();
    const y = T.matmul(a, T.ones([0, 3, 4]));
    expect(y.shape).toEqual([0, 2, 4]);
    const [g] = T.gradients(T.sum(y), [a]);
    expect(Array.from(g!.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
