// conv3d, nn.Conv3d and localResponseNorm: values and gradients against PyTorch 2.13
// (test/fixtures/torch-ops-reference.json), float64 gradient checks on odd shapes, typed errors,
// and the same results on wasm and WebGPU.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { getBackend } from '../src/backend/registry.js';
import type { WasmBackend } from '../src/backend/wasm/index.js';
import { gradcheck, randomF64 } from './setup/gradcheck.js';
import { parity } from './setup/parity.js';
import { TOL } from './setup/tolerance.js';
import { fill, gradsOf, torchRef } from './setup/torch-fill.js';

const values = (t: Tensor) => Array.from(t.dataSync(), Number);
function expectValues(t: Tensor, expected: number[], digits = 10): void {
  const v = values(t);
  expect(v.length).toBe(expected.length);
  v.forEach((x, i) => expect(x, `element ${i}`).toBeCloseTo(expected[i]!, digits));
}

describe('conv3d', () => {
  it('matches PyTorch (groups, uneven stride, padding and dilation), values and gradients', () => {
    const ref = torchRef.conv3d;
    const [x, w, b] = [fill([2, 4, 5, 6, 7], 3), fill([6, 2, 3, 2, 3], 4), fill([6], 5)].map((t) => t.requiresGrad_());
    const out = T.conv3d(x!, w!, b!, { stride: [2, 1, 2], padding: [1, 0, 1], dilation: [1, 2, 1], groups: 2 });
    expect(out.shape).toEqual(ref.out_shape);
    expectValues(out, ref.out);
    gradsOf(out, [x!, w!, b!], 6).forEach((g, i) => expectValues(g, ref.grads[i]));
  });
  it('equals a loop over the taps, with same / valid padding', () => {
    const x = randomF64([1, 2, 4, 3, 5]);
    const w = randomF64([3, 2, 2, 3, 2]);
    const out = T.conv3d(x, w, null, { padding: 'same' });
    expect(out.shape).toEqual([1, 3, 4, 3, 5]);
    const xv = values(x);
    const wv = values(w);
    const expected: number[] = [];
    for (let o = 0; o < 3; o++) for (let d = 0; d < 4; d++) for (let h = 0; h < 3; h++) for (let ww = 0; ww < 5; ww++) {
      let s = 0;
      // 'same' with even kernels pads (0, 1) in depth and width, (1, 1) in height.
      for (let c = 0; c < 2; c++) for (let a = 0; a < 2; a++) for (let bb = 0; bb < 3; bb++) for (let e = 0; e < 2; e++) {
        const [zd, zh, zw] = [d + a, h + bb - 1, ww + e];
        if (zd < 4 && zh >= 0 && zh < 3 && zw < 5) s += xv[((c * 4 + zd) * 3 + zh) * 5 + zw]! * wv[(((o * 2 + c) * 2 + a) * 3 + bb) * 2 + e]!;
      }
      expected.push(s);
    }
    expectValues(out, expected, 12);
    expect(T.conv3d(x, w, null, { padding: 'valid' }).shape).toEqual([1, 3, 3, 1, 4]);
  });
  it('float64 gradient check', () => {
    gradcheck((x, w, b) => T.conv3d(x, w, b, { stride: [1, 2, 1], padding: 1, groups: 3 }), [randomF64([1, 3, 3, 4, 3]), randomF64([3, 1, 2, 2, 3]), randomF64([3])]);
  });
  it('nn.Conv3d has PyTorch names and shapes', () => {
    T.manualSeed(1);
    const m = new T.nn.Conv3d(4, 6, [3, 1, 2], { groups: 2, padding: 1 });
    expect(Object.keys(m.stateDict())).toEqual(['weight', 'bias']);
    expect(m.weight.shape).toEqual([6, 2, 3, 1, 2]);
    const bound = 1 / Math.sqrt(2 * 6);
    expect(values(m.weight).every((v) => Math.abs(v) <= bound)).toBe(true);
    expect(m.forward(T.zeros([1, 4, 3, 3, 3])).shape).toEqual([1, 6, 3, 5, 4]);
    expect(() => new T.nn.Conv3d(4, 6, 3, { groups: 4 })).toThrow(/Conv3d: groups \(4\) must divide/);
  });
  it('bad calls are typed errors naming the op and the shapes', () => {
    expect(() => T.conv3d(T.zeros([1, 4, 3, 3]), T.zeros([2, 4, 1, 1, 1]))).toThrow(/conv3d: input must be .*\[1, 4, 3, 3\]/);
    expect(() => T.conv3d(T.zeros([1, 4, 3, 3, 3]), T.zeros([2, 3, 1, 1, 1]))).toThrow(/conv3d: input channels must equal.*input \[1, 4, 3, 3, 3\], weight \[2, 3, 1, 1, 1\]/);
    expect(() => T.conv3d(T.zeros([1, 1, 2, 3, 3]), T.zeros([1, 1, 3, 1, 1]))).toThrow(/conv3d: the kernel \[3, 1, 1\].*larger than the padded input \[2, 3, 3\]/);
    expect(() => T.conv3d(T.zeros([1, 1, 3, 3, 3]), T.zeros([1, 1, 1, 1, 1]), null, { stride: 2, padding: 'same' })).toThrow(/conv3d: padding 'same' needs stride 1/);
    expect(() => T.conv3d(T.zeros([1, 1, 3, 3, 3]), T.zeros([2, 1, 1, 1, 1]), T.zeros([3]))).toThrow(/conv3d: bias must be \[2\], got \[3\]/);
  });
});

describe('localResponseNorm', () => {
  it('matches PyTorch on 3-, 4- and 5-D inputs, odd and even sizes, values and gradients', () => {
    for (const c of torchRef.local_response_norm) {
      const x = fill(c.shape, 1, 3).requiresGrad_();
      const out = T.localResponseNorm(x, c.size, c.alpha, c.beta, c.k);
      expectValues(out, c.out, 12);
      expectValues(gradsOf(out, [x], 2)[0]!, c.grad, 12);
    }
  });
  it('float64 gradient check, module, typed errors', () => {
    gradcheck((x) => T.localResponseNorm(x, 3, 0.5, 0.75, 1.5), [randomF64([2, 5, 3])]);
    expect(new T.nn.LocalResponseNorm(2).forward(T.ones([1, 3, 2, 2])).shape).toEqual([1, 3, 2, 2]);
    expect(() => T.localResponseNorm(T.zeros([3, 4]), 2)).toThrow(/localResponseNorm: input must be \[N, C, \.\.\.\] with at least 3 dims, got \[3, 4\]/);
    expect(() => T.localResponseNorm(T.zeros([1, 3, 4]), 0)).toThrow(/localResponseNorm: size must be a positive integer, got 0 \(input \[1, 3, 4\]\)/);
  });
});

describe('conv3d and localResponseNorm on wasm and WebGPU match the CPU', () => {
  beforeAll(async () => {
    await T.initWasm({ threads: 1 });
    await T.initWebGPU();
  });
  afterAll(() => (getBackend('wasm') as WasmBackend).rt.pool.stop());

  it.each(['wasm', 'webgpu'] as const)('%s', async (device) => {
    const run = (what: string, shapes: number[][], fn: (...xs: Tensor[]) => Tensor) => parity(what, shapes, fn, TOL.f32Matmul, undefined, 5, device);
    await run('conv3d', [[1, 4, 3, 4, 3], [2, 2, 2, 3, 1], [2]], (x, w, b) => T.conv3d(x, w, b, { stride: [2, 1, 1], padding: [1, 1, 0], groups: 2 }));
    await run('localResponseNorm', [[2, 5, 3]], (x) => T.localResponseNorm(x, 3, 0.5, 0.75, 1));
  });
});
