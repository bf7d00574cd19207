// PyTorch's semantics where values are infinite, NaN or absent, on every backend: logsumexp of
// infinities, cross-entropy with every target ignored (NaN loss, zero gradients), softmax of rows
// holding NaN or +inf, comparisons with NaN, sorting bools, bceWithLogits at +-inf, and float64
// gradients that stay float64 through scalar slopes (leakyRelu, conv2d's fused leakyRelu).
// Expected values are PyTorch 2.13's (CPU), except the two documented differences at the end.
import { beforeAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';

const devices: T.DeviceName[] = ['cpu', 'wasm', 'webgpu'];
const values = async (t: T.Tensor) => Array.from(await t.data(), Number);

describe('PyTorch NaN / inf semantics', () => {
  beforeAll(async () => {
    await T.initWebGPU();
    await T.initWasm();
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

    it(`softmax, logSoftmax and crossEntropy of rows holding NaN or +inf are NaN (${device})`, async () => {
      // torch.softmax([1, nan, 3]) and torch.softmax([inf, 0, 1]) are all NaN (exp(inf - inf) poisons the sum).
      for (const variant of device === 'webgpu' ? (['thread', 'workgroup'] as const) : (['auto'] as const)) {
        const rows = [[1, NaN, 3], [Infinity, 0, 1], [1, 2, 3], [-Infinity, 0, 1]];
        const x = T.tensor(rows, { device });
        const soft = await values(T.softmax(x, -1, { variant }));
        const logSoft = await values(T.logSoftmax(x, -1, { variant }));
        expect(soft.slice(0, 6).every(Number.isNaN), variant).toBe(true);
        expect(logSoft.slice(0, 6).every(Number.isNaN), variant).toBe(true);
        // Unpoisoned rows are untouched, -inf included (it only adds nothing).
        expect(soft[8]).toBeCloseTo(Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3)), 5);
        expect(soft.slice(9)).toEqual([0, expect.closeTo(1 / (1 + Math.E), 5), expect.closeTo(Math.E / (1 + Math.E), 5)]);
        expect(logSoft[9]).toBe(-Infinity);
      }
      // A NaN far along a long row (past one workgroup's lanes).
      const long = Array.from({ length: 300 }, (_, i) => Math.sin(i));
      long[250] = NaN;
      expect((await values(T.softmax(T.tensor([long], { device }), -1))).every(Number.isNaN)).toBe(true);
      const ce = T.crossEntropy(T.tensor([[1, NaN, 3], [1, 2, 3]], { device }), T.tensor([0, 1], { device, dtype: 'int32' }), { reduction: 'none' });
      const losses = await values(ce);
      expect(Number.isNaN(losses[0])).toBe(true);
      expect(losses[1]).toBeCloseTo(Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 2, 5);
    });

    it(`comparisons with NaN: only ne is true (${device})`, async () => {
      const a = T.tensor([NaN, 1, NaN, 2], { device });
      const b = T.tensor([1, 1, NaN, NaN], { device });
      expect(await values(T.ne(a, b))).toEqual([1, 0, 1, 1]);
      expect(await values(T.eq(a, b))).toEqual([0, 1, 0, 0]);
      for (const cmp of [T.lt, T.le, T.gt, T.ge]) expect(await values(cmp(a, b))).toEqual(cmp === T.lt || cmp === T.gt ? [0, 0, 0, 0] : [0, 1, 0, 0]);
    });

    it(`sorting a bool tensor (${device})`, async () => {
      const x = T.tensor([1, 0, 1, 0, 0], { device, dtype: 'bool' });
      const up = T.sort(x);
      expect(await values(up.values)).toEqual([0, 0, 0, 1, 1]);
      expect(await values(up.indices)).toEqual([1, 3, 4, 0, 2]);
      const down = T.sort(x, -1, { descending: true });
      expect(await values(down.values)).toEqual([1, 1, 0, 0, 0]);
      expect(await values(down.indices)).toEqual([0, 2, 1, 3, 4]);
    });

    it(`bceWithLogits at +-inf: PyTorch's values and finite gradients (${device})`, async () => {
      const x = T.tensor([Infinity, -Infinity, Infinity, -Infinity, 3], { device }).requiresGrad_();
      const loss = T.bceWithLogits(x, T.tensor([1, 0, 0, 1, 1], { device }), { reduction: 'none' });
      const got = await values(loss);
      expect(got.slice(0, 4)).toEqual([NaN, NaN, Infinity, NaN]);
      expect(got[4]).toBeCloseTo(Math.log1p(Math.exp(-3)), 6);
      const [g] = T.gradients(T.sum(loss), [x]);
      const grads = await values(g!);
      expect(grads.slice(0, 4)).toEqual([0, 0, 1, -1]);
      expect(grads[4]).toBeCloseTo(1 / (1 + Math.exp(-3)) - 1, 6);
      const half = T.bceWithLogits(T.tensor([Infinity, -Infinity], { device }), T.tensor([0.5, 0.5], { device }), { reduction: 'none' });
      expect(await values(half)).toEqual([Infinity, NaN]);
    });

    it(`documented differences from PyTorch: float -> int32 saturates, sign(NaN) is NaN (${device})`, async () => {
      // PyTorch on x86 gives -2147483648 for all five out-of-range inputs; here every backend saturates alike.
      const x = T.tensor([1e10, -1e10, NaN, Infinity, -Infinity, 2147483648, 2.7, -2.7], { device });
      expect(await values(T.cast(x, 'int32'))).toEqual([2147483647, -2147483648, 0, 2147483647, -2147483648, 2147483647, 2, -2]);
      // torch.sign(nan) is 0.
      expect(await values(T.sign(T.tensor([NaN, -2, 0, 3, Infinity], { device })))).toEqual([NaN, -1, 0, 1, 1]);
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
