// ctcLoss: losses and gradients (through a log-softmax) against PyTorch 2.13 for every reduction,
// a non-zero blank, zeroInfinity and infeasible targets; a float64 gradient check; the forward
// recursion against a brute-force sum over alignments; typed errors; wasm parity.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { getBackend } from '../src/backend/registry.js';
import type { WasmBackend } from '../src/backend/wasm/index.js';
import { gradcheck, randomF64 } from './setup/gradcheck.js';
import { expectClose } from './setup/parity.js';
import { TOL } from './setup/tolerance.js';
import { fill, torchRef } from './setup/torch-fill.js';

const values = (t: Tensor) => Array.from(t.dataSync(), Number);

describe('ctcLoss', () => {
  it('matches PyTorch: mean / sum / none, blank 4, zeroInfinity, gradients through logSoftmax', () => {
    for (const c of torchRef.ctc_loss) {
      const logits = fill([12, 3, 5], 8, 3).requiresGrad_();
      const targets = T.tensor(Int32Array.from(c.targets), { shape: [3, 4] });
      const loss = T.ctcLoss(T.logSoftmax(logits, -1), targets, c.input_lengths, c.target_lengths, { blank: c.blank, reduction: c.reduction, zeroInfinity: c.zero_infinity });
      const got = values(loss);
      got.forEach((v, i) => expect(v, `${c.reduction} loss ${i}`).toBeCloseTo(c.loss[i], 10));
      const w = fill([...loss.shape], 9);
      const [g] = T.gradients(T.sum(T.mul(loss, w)), [logits]);
      values(g!).forEach((v, i) => expect(v, `${c.reduction} grad ${i}`).toBeCloseTo(c.grad[i], 10));
    }
  });
  it('concatenated targets, infinity without zeroInfinity, and a brute-force sum over alignments', () => {
    const lp = T.logSoftmax(fill([5, 2, 3], 1, 2), -1);
    const padded = T.ctcLoss(lp, T.tensor(new Int32Array([1, 2, 2, 0])).reshape([2, 2]), [5, 4], [2, 1], { reduction: 'none' });
    const concatenated = T.ctcLoss(lp, [1, 2, 2], [5, 4], [2, 1], { reduction: 'none' });
    expect(values(concatenated)).toEqual(values(padded));
    expect(values(T.ctcLoss(lp, [1, 1, 2], [2, 5], [2, 1], { reduction: 'none' }))[0]).toBe(Infinity);
    // Every path of 5 frames over {0, 1, 2} that collapses to [1, 2] (blank 0).
    const p = values(lp);
    let total = 0;
    for (let code = 0; code < 3 ** 5; code++) {
      const path = Array.from({ length: 5 }, (_, t) => Math.floor(code / 3 ** t) % 3);
      const collapsed = path.filter((c, t) => c !== 0 && (t === 0 || c !== path[t - 1]));
      if (collapsed.join() === '1,2') total += Math.exp(path.reduce((s, c, t) => s + p[t * 6 + c]!, 0));
    }
    expect(values(padded)[0]).toBeCloseTo(-Math.log(total), 12);
  });
  it('float64 gradient check with respect to the log-probabilities', () => {
    gradcheck((x) => T.ctcLoss(x, [1, 2, 1], [5, 3], [2, 1], { reduction: 'sum' }), [randomF64([5, 2, 3], -2, 0)]);
  });
  it('bad calls are typed errors naming the op, the argument and the shapes', () => {
    const lp = T.zeros([4, 2, 3]);
    expect(() => T.ctcLoss(T.zeros([4, 3]), [1], [4], [1])).toThrow(/ctcLoss: logProbs must be \[T, N, C\], got \[4, 3\]/);
    expect(() => T.ctcLoss(lp, [1, 2], [4], [1, 1])).toThrow(/ctcLoss: inputLengths \(1\) and targetLengths \(2\) need one entry per batch element of logProbs \[4, 2, 3\]/);
    expect(() => T.ctcLoss(lp, [1, 0], [4, 4], [1, 1])).toThrow(/ctcLoss: target 0 of sample 1 is not a non-blank class/);
    expect(() => T.ctcLoss(lp, [1, 2], [5, 4], [1, 1])).toThrow(/ctcLoss: inputLengths\[0\] = 5 is outside \[0, 4\]/);
    expect(() => T.ctcLoss(lp, [1, 2, 1], [4, 4], [1, 1])).toThrow(/ctcLoss: targets \[3\] must be \[N, S\] or the concatenation/);
    expect(() => T.ctcLoss(lp, [1, 2], [4, 4], [1, 1], { blank: 3 })).toThrow(/ctcLoss: blank must be a class index in \[0, 3\)/);
  });
});

// WebGPU also matches (checked by hand: 111 s on SwiftShader, where the per-frame recursion's many
// small kernels are slow), so the suite runs the wasm comparison only.
describe('ctcLoss on wasm matches the CPU', () => {
  beforeAll(async () => {
    await T.initWasm({ threads: 1 });
  });
  afterAll(() => (getBackend('wasm') as WasmBackend).rt.pool.stop());

  it.each(['wasm'] as const)('%s', async (device) => {
    const run = async (dev: T.DeviceName) => {
      const logits = (await T.cast(fill([5, 2, 4], 3, 2), 'float32').to(dev)).requiresGrad_();
      const loss = T.ctcLoss(T.logSoftmax(logits, -1), [1, 2, 3], [5, 3], [2, 1]);
      loss.backward();
      return [loss, logits.grad!];
    };
    const [[l, g], [lc, gc]] = [await run(device), await run('cpu')];
    await expectClose(l!, lc!, TOL.f32Reduce, 'ctcLoss', device);
    await expectClose(g!, gc!, TOL.f32Reduce, 'ctcLoss gradient', device);
  });
});
