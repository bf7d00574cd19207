// Max pooling with dilation, ceil mode and indices, max unpooling and adaptive max pooling: against
// a brute-force loop over the windows (float64, odd shapes), PyTorch 2.13's output sizes in ceil
// mode, float64 gradient checks, typed errors, and the same results on wasm and WebGPU.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { getBackend } from '../src/backend/registry.js';
import type { WasmBackend } from '../src/backend/wasm/index.js';
import { gradcheck, randomF64 } from './setup/gradcheck.js';
import { parity } from './setup/parity.js';
import { TOL } from './setup/tolerance.js';

const values = (t: Tensor) => Array.from(t.dataSync(), Number);

/** Max pooling by loops: for each window the largest in-range tap (the first of equal ones) and its flat index. */
function bruteForce(x: Tensor, k: [number, number], s: [number, number], p: [number, number], d: [number, number], oh: number, ow: number) {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const v = values(x);
  const out: number[] = [];
  const idx: number[] = [];
  for (let plane = 0; plane < n * c; plane++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        let best = -Infinity;
        let at = -1;
        for (let ky = 0; ky < k[0]; ky++) {
          for (let kx = 0; kx < k[1]; kx++) {
            const y = oy * s[0] - p[0] + ky * d[0];
            const xx = ox * s[1] - p[1] + kx * d[1];
            if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
            const val = v[plane * h * w + y * w + xx]!;
            if (val > best) [best, at] = [val, y * w + xx];
          }
        }
        out.push(best);
        idx.push(at);
      }
    }
  }
  return { out, idx };
}

describe('maxPool2dWithIndices, maxUnpool2d, adaptiveMaxPool2d', () => {
  it('equal a loop over the windows, for dilation, uneven strides and ceil mode', () => {
    T.manualSeed(2);
    const x = randomF64([2, 3, 9, 8]);
    const cases: { k: [number, number]; s: [number, number]; p: [number, number]; d: [number, number]; ceilMode: boolean }[] = [
      { k: [3, 3], s: [2, 2], p: [1, 1], d: [1, 1], ceilMode: true },
      { k: [2, 3], s: [2, 1], p: [1, 0], d: [2, 1], ceilMode: false },
      { k: [3, 2], s: [3, 2], p: [0, 1], d: [1, 2], ceilMode: true },
    ];
    for (const { k, s, p, d, ceilMode } of cases) {
      const r = T.maxPool2dWithIndices(x, k, { stride: s, padding: p, dilation: d, ceilMode });
      const [, , oh, ow] = r.values.shape as [number, number, number, number];
      const ref = bruteForce(x, k, s, p, d, oh, ow);
      expect(values(r.values)).toEqual(ref.out);
      expect(values(r.indices)).toEqual(ref.idx);
      expect(values(T.maxPool2d(x, k, { stride: s, padding: p, dilation: d, ceilMode }))).toEqual(ref.out);
    }
  });

  it('ceil mode sizes as PyTorch: the last window must start inside the input or its left padding', () => {
    const size = (h: number, k: number, s: number, p: number, ceilMode: boolean) => T.maxPool2d(T.zeros([1, 1, h, h]), k, { stride: s, padding: p, ceilMode }).shape[3];
    expect([size(5, 2, 2, 1, true), size(7, 3, 2, 1, true), size(6, 3, 3, 0, true), size(8, 3, 2, 1, true), size(8, 3, 2, 1, false)]).toEqual([3, 4, 2, 5, 4]);
  });

  it('maxUnpool2d puts each maximum back where it was, zeros elsewhere', () => {
    const x = randomF64([1, 2, 6, 5]);
    const { values: v, indices } = T.maxPool2dWithIndices(x, 2, { stride: 2, ceilMode: true });
    const back = values(T.maxUnpool2d(v, indices, [6, 5]));
    const xs = values(x);
    const kept = new Set(values(T.add(indices, T.reshape(T.mul(T.arange(2, undefined, 1, { dtype: 'int32' }), 30), [1, 2, 1, 1]))));
    back.forEach((b, i) => expect(b).toBe(kept.has(i) ? xs[i] : 0));
  });

  it('adaptiveMaxPool2d uses PyTorch window bounds [⌊iL/o⌋, ⌈(i+1)L/o⌉)', () => {
    const x = randomF64([2, 2, 7, 5]);
    const got = values(T.adaptiveMaxPool2d(x, [3, 2]));
    const xs = values(x);
    const expected: number[] = [];
    for (let plane = 0; plane < 4; plane++) {
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 2; j++) {
          let m = -Infinity;
          for (let y = Math.floor((i * 7) / 3); y < Math.ceil(((i + 1) * 7) / 3); y++) for (let xx = Math.floor((j * 5) / 2); xx < Math.ceil(((j + 1) * 5) / 2); xx++) m = Math.max(m, xs[plane * 35 + y * 5 + xx]!);
          expected.push(m);
        }
      }
    }
    expect(got).toEqual(expected);
  });

  it('gradients reach the winners only (float64 gradcheck)', () => {
    gradcheck((x) => T.maxPool2dWithIndices(x, 3, { stride: 2, padding: 1, dilation: 1, ceilMode: true }).values, [randomF64([1, 2, 5, 6])]);
    gradcheck((x) => T.maxPool2d(x, 2, { dilation: 2 }), [randomF64([1, 1, 5, 5])]);
    gradcheck((x) => T.adaptiveMaxPool2d(x, [2, 3]), [randomF64([1, 2, 5, 7])]);
    const idx = T.maxPool2dWithIndices(randomF64([1, 1, 4, 4]), 2).indices;
    gradcheck((v) => T.maxUnpool2d(v, idx, [4, 4]), [randomF64([1, 1, 2, 2])]);
  });

  it('bad calls are typed errors naming the op and the shapes', () => {
    expect(() => T.maxPool2dWithIndices(T.zeros([1, 1, 4, 4]), 2, { padding: 2 })).toThrow(/maxPool2dWithIndices: padding must be at most half the kernel/);
    expect(() => T.maxPool2dWithIndices(T.zeros([1, 1, 2, 2]), 3, { dilation: 2 })).toThrow(/maxPool2dWithIndices: the kernel \(5 with dilation\) is larger than the padded input \(2\)/);
    expect(() => T.maxPool2d(T.zeros([4, 4]), 2, { ceilMode: true })).toThrow(/maxPool2d: input must be/);
    expect(() => T.maxUnpool2d(T.zeros([1, 1, 2, 2]), T.zeros([1, 1, 2, 3], { dtype: 'int32' }), 4)).toThrow(/maxUnpool2d: indices \[1, 1, 2, 3\] must have the input's shape \[1, 1, 2, 2\]/);
    expect(() => T.adaptiveMaxPool2d(T.zeros([1, 1, 0, 3]), 2)).toThrow(/adaptiveMaxPool2d: the input \[1, 1, 0, 3\] has an empty spatial axis/);
  });
});

describe('max pooling extras on wasm and WebGPU match the CPU', () => {
  beforeAll(async () => {
    await T.initWasm({ threads: 1 });
    await T.initWebGPU();
  });
  afterAll(() => (getBackend('wasm') as WasmBackend).rt.pool.stop());

  it.each(['wasm', 'webgpu'] as const)('%s', async (device) => {
    const run = (what: string, shapes: number[][], fn: (...xs: Tensor[]) => Tensor) => parity(what, shapes, fn, TOL.exact, undefined, 5, device);
    await run('maxPool2d ceil/dilation', [[1, 2, 7, 6]], (x) => T.maxPool2d(x, 3, { stride: 2, padding: 1, dilation: [1, 2], ceilMode: true }));
    await run('indices', [[1, 2, 5, 5]], (x) => T.maxPool2dWithIndices(x, 2, { stride: 2, ceilMode: true }).indices);
    await run('unpool', [[1, 2, 4, 4]], (x) => {
      const r = T.maxPool2dWithIndices(x, 2);
      return T.maxUnpool2d(r.values, r.indices, [4, 4]);
    });
    await run('adaptiveMaxPool2d', [[1, 2, 7, 5]], (x) => T.adaptiveMaxPool2d(x, [3, 2]));
  });
});
