// WebGPU parity for softmax, attention, indexing, sequence ops, losses and the LSTM cell: the same
// computation through the public API on WebGPU and on the CPU reference, forward and backward, on
// odd shapes (sequence lengths that are not multiples of the attention kernel's 4 x 4 tiles, head
// dims that are not multiples of 4, value dims over one thread's 32). SwiftShader: shapes stay small.
import { beforeAll, describe, expect, it } from 'vitest';
import { heldBytes, heldTensors } from './setup/memory.js';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { expectClose, parity as parityOn, type ParityInput } from './setup/parity.js';
import { TOL, type Tolerance } from './setup/tolerance.js';

const parity = (what: string, inputs: ParityInput[], fn: (...xs: Tensor[]) => Tensor, tol: Tolerance) =>
  parityOn(what, inputs, fn, tol, undefined, 9);

beforeAll(async () => {
  await T.initWebGPU();
});


const ints = (values: number[], shape?: number[]) => T.tensor(new Int32Array(values), { shape: shape ?? [values.length] });

describe('softmax on WebGPU', () => {
  it('short and long rows, any axis', async () => {
    await parity('softmax [3, 37]', [{ shape: [3, 37], scale: 3 }], (x) => T.softmax(x), TOL.f32Transcendental);
    await parity('logSoftmax axis 0', [{ shape: [5, 7, 3] }], (x) => T.logSoftmax(x, 0), TOL.f32Transcendental);
    await parity('softmax [4, 1000]', [{ shape: [4, 1000], scale: 4 }], (x) => T.softmax(x, -1), TOL.f32Reduce);
    await parity('logSoftmax [2, 1000]', [{ shape: [2, 1000], scale: 4 }], (x) => T.logSoftmax(x), TOL.f32Reduce);
  });
  it('a few very long rows (a workgroup per row on every adapter)', async () => {
    await parity('softmax [2, 9000]', [{ shape: [2, 9000], scale: 4 }], (x) => T.softmax(x), TOL.f32Reduce);
    await parity('logSoftmax [3, 8200]', [{ shape: [3, 8200], scale: 4 }], (x) => T.logSoftmax(x), TOL.f32Reduce);
  });
  it('is finite and correct at magnitude 1e4; -inf entries carry no mass', async () => {
    const x = await T.tensor([[1e4, 0, -1e4], [-1e4, -1e4, -1e4], [-Infinity, 0, 0]]).to('webgpu');
    expect(Array.from(await T.softmax(x).data())).toEqual([1, 0, 0, 1 / 3, 1 / 3, 1 / 3, 0, 0.5, 0.5].map(Math.fround));
    const logs = Array.from(await T.logSoftmax(x).data());
    expect(logs.slice(0, 3)).toEqual([0, -1e4, -2e4]);
    expect(logs[3]).toBeCloseTo(-Math.log(3), 6);
    expect(logs[6]).toBe(-Infinity);
    expect(Array.from(await T.logsumexp(x, 1).data())[0]).toBe(1e4);
  });
});

describe('attention on WebGPU', () => {
  const cases: [string, number[], number[], number[], T.AttentionOptions?][] = [
    ['self, 4 heads, L = 13 (not a multiple of 4)', [2, 4, 13, 8], [2, 4, 13, 8], [2, 4, 13, 8]],
    ['cross, Lq 7, Lk 17', [1, 2, 7, 16], [1, 2, 17, 16], [1, 2, 17, 16]],
    ['head dims 5 and 3 (zero-padded to 8 and 4)', [2, 9, 5], [2, 6, 5], [2, 6, 3]],
    ['value dim 40 (two thread slices), D 36', [1, 2, 6, 36], [1, 2, 11, 36], [1, 2, 11, 40]],
    ['causal, L 10', [2, 2, 10, 4], [2, 2, 10, 4], [2, 2, 10, 4], { causal: true }],
    ['causal cross, Lq 9 > Lk 6, custom scale', [3, 9, 8], [3, 6, 8], [3, 6, 8], { causal: true, scale: 0.3 }],
    ['single head [L, D]', [5, 12], [5, 12], [5, 12]],
  ];
  for (const [name, q, k, v, opts] of cases) {
    it(name, async () => {
      await parity(name, [{ shape: q }, { shape: k }, { shape: v }], (a, b, c) => T.scaledDotProductAttention(a, b, c, opts), TOL.f32Matmul);
    });
  }
  it('bool and float masks, broadcast over heads and queries', async () => {
    const keep = T.tensor([[[[true, false, true, true, false, true, true]]], [[[false, true, true, true, true, true, false]]]]);
    await parity('bool key mask', [{ shape: [2, 3, 5, 8] }, { shape: [2, 3, 7, 8] }, { shape: [2, 3, 7, 8] }, keep],
      (a, b, c, m) => T.scaledDotProductAttention(a, b, c, { mask: m }), TOL.f32Matmul);
    await parity('float mask [H, Lq, Lk] with its gradient', [{ shape: [2, 3, 5, 4] }, { shape: [2, 3, 6, 4] }, { shape: [2, 3, 6, 4] }, { shape: [3, 5, 6] }],
      (a, b, c, m) => T.scaledDotProductAttention(a, b, c, { mask: m, causal: true }), TOL.f32Matmul);
  });
  it('a fully masked query row gives zeros on both devices', async () => {
    const mask = T.tensor([[true, true, false], [false, false, false], [true, false, true], [false, true, false], [true, true, true]]);
    await parity('fully masked row', [{ shape: [5, 4] }, { shape: [3, 4] }, { shape: [3, 4] }, mask],
      (a, b, c, m) => T.scaledDotProductAttention(a, b, c, { mask: m }), TOL.f32Matmul);
  });
  it('a training step holds live memory flat (lse, padding and backward scratch are freed)', async () => {
    T.manualSeed(3);
    const [q, k, v] = await Promise.all([[2, 6, 5], [2, 7, 5], [2, 7, 3]].map((s) => T.randn(s).to('webgpu')));
    const params = [q!, k!, v!].map((t) => t.requiresGrad_());
    const step = () => {
      T.tidy(() => T.sum(T.square(T.scaledDotProductAttention(params[0]!, params[1]!, params[2]!, { causal: true }))).backward());
      for (const p of params) {
        p.grad?.dispose();
        p.grad = null;
      }
    };
    step();
    await T.sync('webgpu');
    const allocated = () => T.getBackend('webgpu').memory().allocatedBytes;
    const before = { ...T.memory(), heldBytes: heldBytes(), heldTensors: heldTensors(), allocated: allocated() };
    for (let i = 0; i < 3; i++) step();
    await T.sync('webgpu');
    expect(heldBytes()).toBe(before.heldBytes);
    expect(heldTensors()).toBe(before.heldTensors);
    // Storages that never become tensors (padded copies, unused outputs) count here.
    expect(allocated()).toBe(before.allocated);
  });
  it('matches the reference composition at scores of magnitude 1e4', async () => {
    T.manualSeed(4);
    const [q, k, v] = await Promise.all([[1, 2, 9, 8], [1, 2, 11, 8], [1, 2, 11, 8]].map((s) => T.mul(T.randn(s), 60).to('webgpu')));
    const fused = T.scaledDotProductAttention(q!, k!, v!);
    expect((await fused.toArray()).every(Number.isFinite)).toBe(true);
    await expectClose(fused, T.attentionReference(q!, k!, v!), { rtol: 1e-3, atol: 1e-2 }, 'fused vs reference');
  });
});

describe('indexing and sequence ops on WebGPU', () => {
  it('takeAlongAxis, scatterAdd, indexSelect, embedding', async () => {
    const index = ints([0, 5, 5, 2, 1, 3, 0, 0, 4, 4, 4, 1], [2, 6]);
    await parity('takeAlongAxis', [{ shape: [2, 6] }, index], (x, i) => T.takeAlongAxis(x, i, 1), TOL.f32Elementwise);
    await parity('scatterAdd', [{ shape: [2, 6] }, index, { shape: [2, 6] }], (x, i, s) => T.scatterAdd(x, 1, i, s), TOL.f32Elementwise);
    await parity('indexSelect', [{ shape: [4, 3, 5] }, ints([3, 0, 3])], (x, i) => T.indexSelect(x, 0, i), TOL.f32Elementwise);
    await parity('embedding with repeats', [ints([1, 7, 1, 1, 0, 6], [2, 3]), { shape: [8, 5] }], (i, w) => T.embedding(i, w), TOL.f32Elementwise);
    // int32 words: gathered raw, scattered with an integer atomic add.
    const xi = ints([7, -3, 2147483647, 0, 5, -8], [2, 3]);
    const ii = ints([2, 2, 0, 1, 1, 1], [2, 3]);
    const [gxi, gii] = [await xi.to('webgpu'), await ii.to('webgpu')];
    await expectClose(T.takeAlongAxis(gxi, gii, 1), T.takeAlongAxis(xi, ii, 1), TOL.exact, 'takeAlongAxis int32');
    await expectClose(T.scatterAdd(gxi, 1, gii, gxi), T.scatterAdd(xi, 1, ii, xi), TOL.exact, 'scatterAdd int32');
    const h = T.oneHot(await ints([2, 0, 1]).to('webgpu'), 3);
    expect(Array.from(await h.data())).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
  });
  it('out-of-range indices on WebGPU: a device-side assert at the next read; the rows read as zeros', async () => {
    const w = await T.add(T.reshape(T.arange(6), [3, 2]), 1).float().to('webgpu');
    const rows = T.embedding(await ints([1, 3, -1]).to('webgpu'), w);
    await expect(rows.data()).rejects.toThrow(/^embedding: index out of range \[0, 3\) at position 1 .*values include -1 and 3/);
    // Reported once; nothing was read or written out of bounds.
    expect(Array.from(await rows.data())).toEqual([3, 4, 0, 0, 0, 0]);
    const cpuWeight = await w.to('cpu');
    expect(() => T.embedding(ints([1, 3]), cpuWeight)).toThrow(T.ArgumentError);
  });
  it('cumsum: float, int, every axis', async () => {
    await parity('cumsum axis 1', [{ shape: [3, 50, 2] }], (x) => T.cumsum(x, 1), TOL.f32Reduce);
    await parity('cumsum axis -1', [{ shape: [4, 33] }], (x) => T.cumsum(x, -1), TOL.f32Reduce);
    const i = ints([5, -3, 7, 2147483647, 1, 0]);
    expect(Array.from(await T.cumsum(await i.to('webgpu'), 0).data())).toEqual(Array.from(T.cumsum(i, 0).dataSync()));
  });
  it('sort and topk: values, indices, stability, NaN', async () => {
    const x = T.tensor([[3, 1, NaN, 2, 1, -0, 0, 5], [2, 2, 2, -1, 9, NaN, NaN, 0]]);
    const gx = await x.to('webgpu');
    for (const descending of [false, true]) {
      const [g, c] = [T.sort(gx, -1, { descending }), T.sort(x, -1, { descending })];
      await expectClose(g.values, c.values, TOL.exact, `sort values (descending ${descending})`);
      await expectClose(g.indices, c.indices, TOL.exact, `sort indices (descending ${descending})`);
    }
    await parity('sort axis 0', [{ shape: [37, 3] }], (t) => T.sort(t, 0).values, TOL.exact);
    await parity('topk', [{ shape: [4, 50] }], (t) => T.topk(t, 5).values, TOL.exact);
    const ix = ints([4, -2, 9, 0, -2]);
    expect(Array.from(await T.argsort(await ix.to('webgpu')).data())).toEqual([1, 4, 3, 0, 2]);
  });
  it('masks, triangles, norms and distances', async () => {
    await parity('maskedFill', [{ shape: [3, 4] }, T.tensor([true, false, false, true])], (x, m) => T.maskedFill(x, m, -2), TOL.exact);
    await parity('triu / tril', [{ shape: [2, 5, 4] }], (x) => T.add(T.triu(x, 1), T.tril(x, -2)), TOL.exact);
    await parity('normalize', [{ shape: [4, 9] }], (x) => T.normalize(x), TOL.f32Reduce);
    await parity('cosineSimilarity', [{ shape: [5, 8] }, { shape: [5, 8] }], (a, b) => T.cosineSimilarity(a, b), TOL.f32Reduce);
    await parity('cdist p=2', [{ shape: [2, 6, 5] }, { shape: [2, 7, 5] }], (a, b) => T.cdist(a, b), { rtol: 1e-4, atol: 1e-4 });
    await parity('cdist p=1', [{ shape: [6, 3] }, { shape: [4, 3] }], (a, b) => T.cdist(a, b, 1), TOL.f32Reduce);
  });
  it('lstmCell, forward and backward over two steps', async () => {
    await parity('lstmCell', [{ shape: [3, 5] }, { shape: [3, 7] }, { shape: [3, 7] }, { shape: [28, 5] }, { shape: [28, 7] }, { shape: [28] }],
      (x, h, c, wi, wh, b) => {
        const [h1, c1] = T.lstmCell(x, h, c, wi, wh, b);
        const [h2, c2] = T.lstmCell(x, h1, c1, wi, wh, null);
        return T.add(h2, c2);
      }, TOL.f32Matmul);
  });
});

describe('losses on WebGPU', () => {
  it('every loss, forward and backward', async () => {
    const target = ints([0, 4, 2, 4, 1, 3]);
    await parity('crossEntropy', [{ shape: [6, 5] }, target], (x, t) => T.crossEntropy(x, t), TOL.f32Reduce);
    await parity('crossEntropy smoothing, ignoreIndex, weight', [{ shape: [6, 5] }, ints([0, -100, 2, 4, -100, 3]), T.tensor([1, 2, 0.5, 1, 3])],
      (x, t, w) => T.crossEntropy(x, t, { labelSmoothing: 0.1, weight: w }), TOL.f32Reduce);
    await parity('crossEntropy spatial, probabilities', [{ shape: [2, 3, 4, 5] }, T.softmax(T.randn([2, 3, 4, 5]), 1)],
      (x, p) => T.crossEntropy(x, p, { reduction: 'sum' }), TOL.f32Reduce);
    await parity('nllLoss', [{ shape: [6, 5] }, target], (x, t) => T.nllLoss(T.logSoftmax(x), t, { reduction: 'none' }), TOL.f32Reduce);
    await parity('bceWithLogits', [{ shape: [4, 6], scale: 3 }, T.rand([4, 6])], (x, t) => T.bceWithLogits(x, t), TOL.f32Reduce);
    await parity('bce', [T.rand([4, 6]), T.rand([4, 6])], (p, t) => T.bce(p, t), TOL.f32Reduce);
    await parity('mse and l1', [{ shape: [3, 7] }, { shape: [3, 7] }], (a, b) => T.add(T.mseLoss(a, b), T.l1Loss(a, b)), TOL.f32Reduce);
    await parity('klDivGaussian', [{ shape: [4, 6] }, { shape: [4, 6] }], (m, l) => T.klDivGaussian(m, l), TOL.f32Reduce);
  });
  it('stable at logits of magnitude 1e4', async () => {
    const x = await T.tensor([[1e4, 0, -1e4], [-1e4, -1e4, -1e4]]).to('webgpu');
    const ce = T.crossEntropy(x, await ints([2, 1]).to('webgpu'), { reduction: 'none' });
    const got = Array.from(await ce.data());
    expect(got[0]).toBe(2e4);
    expect(got[1]).toBeCloseTo(Math.log(3), 5);
    const bce = T.bceWithLogits(await T.tensor([1e4, -1e4, 1e4]).to('webgpu'), await T.tensor([0, 1, 1]).to('webgpu'), { reduction: 'none' });
    expect(Array.from(await bce.data())).toEqual([1e4, 1e4, 0]);
  });
});

describe('sampling on WebGPU', () => {
  it('same seed, same samples as the CPU', async () => {
    const probs = T.softmax(T.mul(T.randn([4, 10]), 2));
    const draw = async (device: T.DeviceName) => {
      const p = await probs.to(device);
      T.manualSeed(21);
      return Array.from(await T.multinomial(p, 50, { replacement: true }).data());
    };
    expect(await draw('webgpu')).toEqual(await draw('cpu'));
  });
  it('categorical and draws without replacement agree, gumbelSoftmax rows sum to 1', async () => {
    const logits = T.randn([3, 6]);
    const sample = async (device: T.DeviceName) => {
      const l = await logits.to(device);
      T.manualSeed(22);
      const c = Array.from(await T.categorical(l, { temperature: 0.8, numSamples: 20 }).data());
      const w = Array.from(await T.multinomial(T.softmax(l), 4).data());
      return [c, w];
    };
    expect(await sample('webgpu')).toEqual(await sample('cpu'));
    T.manualSeed(23);
    const g = T.gumbelSoftmax(await logits.to('webgpu'), { tau: 0.5, hard: true });
    expect(Array.from(await T.sum(g, -1).data())).toEqual([1, 1, 1]);
  });
});
