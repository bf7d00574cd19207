// roiAlign: values and input gradients against torchvision's semantics as written out in
// scripts/torch-ops-reference.py (PyTorch 2.13, float64: equal to torchvision's pure-PyTorch
// roi_align for boxes inside the image, with the C++ kernel's out-of-image rule), for aligned,
// fixed and adaptive sampling and spatial scales; per-image box lists; a float64 gradient check;
// typed errors; wasm and WebGPU parity.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { getBackend } from '../src/backend/registry.js';
import type { WasmBackend } from '../src/backend/wasm/index.js';
import { gradcheck, randomF64 } from './setup/gradcheck.js';
import { expectClose } from './setup/parity.js';
import { TOL } from './setup/tolerance.js';
import { fill, gradsOf, torchRef } from './setup/torch-fill.js';

const values = (t: Tensor) => Array.from(t.dataSync(), Number);
const boxes = () => T.tensor(torchRef.roi_align.boxes, { shape: [5, 5], dtype: 'float64' });

describe('roiAlign', () => {
  it('matches torchvision semantics: aligned, fixed and adaptive sampling, spatial scale; input gradients', () => {
    for (const c of torchRef.roi_align.cases) {
      const x = fill([2, 3, 10, 12], 7, 2).requiresGrad_();
      const out = T.roiAlign(x, boxes(), [3, 4], { spatialScale: c.spatial_scale, samplingRatio: c.sampling_ratio, aligned: c.aligned });
      expect(out.shape).toEqual([5, 3, 3, 4]);
      values(out).forEach((v, i) => expect(v, `out ${i}`).toBeCloseTo(c.out[i], 12));
      values(gradsOf(out, [x], 8)[0]!).forEach((v, i) => expect(v, `grad ${i}`).toBeCloseTo(c.grad[i], 12));
    }
  });
  it('per-image box lists equal [K, 5] rows; float64 gradient check', () => {
    const x = randomF64([2, 2, 6, 5]);
    const rows = T.tensor([[0, 0.5, 1, 4, 5], [1, 1, 0.2, 3.3, 2.9], [1, 2, 2, 4.5, 5.5]], { dtype: 'float64' });
    const lists = [T.tensor([[0.5, 1, 4, 5]], { dtype: 'float64' }), T.tensor([[1, 0.2, 3.3, 2.9], [2, 2, 4.5, 5.5]], { dtype: 'float64' })];
    expect(values(T.roiAlign(x, lists, 2, { samplingRatio: 2 }))).toEqual(values(T.roiAlign(x, rows, 2, { samplingRatio: 2 })));
    gradcheck((t) => T.roiAlign(t, rows, [2, 3], { aligned: true }), [x]);
  });
  it('bad calls are typed errors naming the op, the argument and the shapes', () => {
    const x = T.zeros([1, 2, 4, 4]);
    expect(() => T.roiAlign(T.zeros([2, 4, 4]), T.zeros([1, 5]), 2)).toThrow(/roiAlign: input must be \[N, C, H, W\], got \[2, 4, 4\]/);
    expect(() => T.roiAlign(x, T.zeros([2, 4]), 2)).toThrow(/roiAlign: boxes must be \[K, 5\] .* got \[2, 4\]/);
    expect(() => T.roiAlign(x, T.tensor([[1, 0, 0, 1, 1]]), 2)).toThrow(/roiAlign: box 0 has batch index 1, outside \[0, 1\) for input \[1, 2, 4, 4\]/);
    expect(() => T.roiAlign(x, T.zeros([1, 5]), 0)).toThrow(/roiAlign: outputSize must be a positive integer/);
  });
});

describe('roiAlign on wasm and WebGPU matches the CPU', () => {
  beforeAll(async () => {
    await T.initWasm({ threads: 1 });
    await T.initWebGPU();
  });
  afterAll(() => (getBackend('wasm') as WasmBackend).rt.pool.stop());

  it.each(['wasm', 'webgpu'] as const)('%s', async (device) => {
    const run = async (dev: T.DeviceName) => {
      const x = (await T.cast(fill([2, 3, 5, 7], 2), 'float32').to(dev)).requiresGrad_();
      const out = T.roiAlign(x, T.tensor([[1, 0.3, 0.5, 5.5, 4.1], [0, 2, 1, 3, 3.5]]), [2, 3], { samplingRatio: -1, aligned: true });
      T.sum(T.mul(out, await T.cast(fill([...out.shape], 4), 'float32').to(dev))).backward();
      return [out, x.grad!];
    };
    const [[o, g], [oc, gc]] = [await run(device), await run('cpu')];
    await expectClose(o!, oc!, TOL.f32Reduce, 'roiAlign', device);
    await expectClose(g!, gc!, TOL.f32Reduce, 'roiAlign gradient', device);
  });
});
