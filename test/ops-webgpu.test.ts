// The composite ops of src/ops (trig, elementwise-extra, activations, shape-extra, scans,
// reductions, losses) on WebGPU against the CPU reference, forward and backward. Shapes stay
// small: on a machine without a GPU this runs on SwiftShader.
import { beforeAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { TOL, type Tolerance } from './setup/tolerance.js';
import { expectClose, parity } from './setup/parity.js';

beforeAll(async () => {
  await T.initWebGPU();
});

/** Inputs squeezed into (-0.9, 0.9) for the functions defined on [-1, 1]. */
const unit = (x: Tensor) => T.mul(T.tanh(x), 0.9);
const above1 = (x: Tensor) => T.add(T.abs(x), 1.1);
const positive = (x: Tensor) => T.add(T.abs(x), 0.2);

describe('elementwise composites match the CPU', () => {
  it('trigonometric, hyperbolic and erfinv', async () => {
    const fns: [string, (x: Tensor) => Tensor, ((x: Tensor) => Tensor)?][] = [
      ['atan', T.atan], ['asin', T.asin, unit], ['acos', T.acos, unit], ['tan', T.tan, unit], ['sinh', T.sinh], ['cosh', T.cosh],
      ['asinh', T.asinh], ['acosh', T.acosh, above1], ['atanh', T.atanh, unit], ['erfinv', T.erfinv, unit],
    ];
    for (const [name, fn, prepare] of fns) await parity(name, [[3, 7]], fn, TOL.f32Transcendental, prepare);
    await parity('atan2', [[4, 5], [5]], T.atan2, TOL.f32Transcendental);
  });
  it('logs, rounding and binary math', async () => {
    await parity('log2/log10/exp2', [[3, 5]], (x) => T.add(T.add(T.log2(x), T.log10(x)), T.exp2(x)), TOL.f32Transcendental, positive);
    await parity('trunc/frac', [[11]], (x) => T.add(T.trunc(T.mul(x, 3)), T.frac(T.mul(x, 3))), TOL.f32Elementwise);
    await parity('fmod', [[4, 3], [3]], T.fmod, TOL.f32Elementwise, (x, i) => (i === 1 ? T.add(T.abs(x), 0.5) : T.mul(x, 4)));
    await parity('hypot', [[3, 4], [4]], T.hypot, TOL.f32Elementwise);
    await parity('logaddexp', [[2, 5], [2, 1]], T.logaddexp, TOL.f32Transcendental);
    await parity('xlogy', [[6], [6]], T.xlogy, TOL.f32Transcendental, (x, i) => (i === 1 ? positive(x) : x));
    await parity('lerp', [[3, 4], [4], [3, 1]], T.lerp, TOL.f32Elementwise);
    await parity('clamp tensor bounds', [[4, 5], [5], [4, 1]], (x, lo, hi) => T.clamp(x, lo, hi), TOL.exact);
  });
  it('NaN and infinity tests', async () => {
    const values = [NaN, Infinity, -Infinity, 0, -1.5, 3];
    const cpu = T.tensor(values);
    const gpu = await cpu.to('webgpu');
    for (const fn of [T.isnan, T.isinf, T.isfinite, (x: Tensor) => T.nanToNum(x, { nan: 7 })]) {
      await expectClose(fn(gpu), fn(cpu), TOL.exact, 'nan/inf tests');
    }
    expect(await T.isnan(gpu).toArray()).toEqual([1, 0, 0, 0, 0, 0]);
  });
  it('activations', async () => {
    const fns: [string, (x: Tensor) => Tensor][] = [
      ['selu', T.selu], ['celu', (x) => T.celu(x, 0.7)], ['mish', T.mish], ['hardtanh', T.hardtanh], ['relu6', (x) => T.relu6(T.mul(x, 4))],
      ['hardsigmoid', (x) => T.hardsigmoid(T.mul(x, 3))], ['hardswish', (x) => T.hardswish(T.mul(x, 3))], ['softsign', T.softsign],
      ['logsigmoid', T.logsigmoid], ['softplus beta', (x) => T.softplus(x, { beta: 3, threshold: 2 })],
      ['gelu tanh', (x) => T.gelu(x, { approximate: 'tanh' })], ['glu', (x) => T.glu(x, 0)], ['softmin', T.softmin],
    ];
    for (const [name, fn] of fns) await parity(name, [[4, 7]], fn, TOL.f32Transcendental);
    await parity('prelu', [[2, 3, 5], [3]], T.prelu, TOL.f32Elementwise);
  });
});

describe('shape composites match the CPU', () => {
  it('reordering, repetition, products and diagonals', async () => {
    await parity('flip', [[3, 4, 2]], (x) => T.flip(x, [0, 2]), TOL.exact);
    await parity('roll', [[3, 5]], (x) => T.roll(x, [2, -1], [0, 1]), TOL.exact);
    await parity('rot90', [[3, 4]], (x) => T.rot90(x, 1), TOL.exact);
    await parity('repeat', [[2, 3]], (x) => T.repeat(x, [2, 1, 2]), TOL.f32Reduce);
    await parity('repeatInterleave', [[3, 2]], (x) => T.repeatInterleave(x, [2, 0, 1], 0), TOL.f32Reduce);
    await parity('kron', [[2, 3], [2, 2]], T.kron, TOL.f32Elementwise);
    await parity('diagonal', [[2, 4, 3]], (x) => T.diagonal(x, 1, 1, 2), TOL.exact);
    await parity('diagEmbed', [[2, 3]], (x) => T.diagEmbed(x, -1), TOL.exact);
  });
  it('einsum (three operands, a diagonal, an ellipsis) and tensordot', async () => {
    await parity('einsum chain', [[3, 4], [4, 5], [5, 2]], (a, b, c) => T.einsum('ij,jk,kl->il', a, b, c), TOL.f32Matmul);
    await parity('einsum diagonal', [[3, 3, 2], [2, 4]], (a, b) => T.einsum('iij,jk->ik', a, b), TOL.f32Matmul);
    await parity('einsum ellipsis', [[2, 3, 4], [4, 5]], (a, b) => T.einsum('...ij,jk->...ik', a, b), TOL.f32Matmul);
    await parity('tensordot', [[3, 2, 4], [2, 5, 3]], (a, b) => T.tensordot(a, b, [[1, 0], [0, 2]]), TOL.f32Matmul);
  });
});

describe('reductions and scans match the CPU', () => {
  it('logical reductions, norms and statistics', async () => {
    const x = T.tensor([[1, 0, 2], [3, 4, 5]]);
    const g = await x.to('webgpu');
    await expectClose(T.all(g, 1), T.all(x, 1), TOL.exact, 'all');
    await expectClose(T.any(g, 0), T.any(x, 0), TOL.exact, 'any');
    await expectClose(T.countNonzero(g, 1), T.countNonzero(x, 1), TOL.exact, 'countNonzero');
    for (const ord of [2, 1, 3, Infinity]) await parity(`vectorNorm ${ord}`, [[3, 5]], (t) => T.vectorNorm(t, ord, 1), TOL.f32Reduce);
    await parity('matrixNorm 1', [[2, 3, 4]], (t) => T.matrixNorm(t, 1), TOL.f32Reduce);
    await parity('varMean', [[3, 7]], (t) => T.add(...T.varMean(t, 1)), TOL.f32Reduce);
  });
  it('cumprod, logcumsumexp, cummax', async () => {
    await parity('cumprod', [[3, 9]], (t) => T.cumprod(t, 1), TOL.f32Reduce);
    await parity('logcumsumexp', [[9, 2]], (t) => T.logcumsumexp(t, 0), TOL.f32Transcendental);
    await parity('cummax', [[2, 11]], (t) => T.cummax(t, 1).values, TOL.exact);
    const x = T.tensor([4, 2, 5, 1, 1, 7, NaN, 0]);
    await expectClose(T.cummin(await x.to('webgpu'), 0).indices, T.cummin(x, 0).indices, TOL.exact, 'cummin indices');
  });
});

describe('losses match the CPU', () => {
  it('every loss of losses-extra', async () => {
    await parity('smoothL1', [[3, 4], [3, 4]], (a, b) => T.smoothL1Loss(a, b, { beta: 0.5 }), TOL.f32Reduce);
    await parity('huber', [[3, 4], [3, 4]], (a, b) => T.huberLoss(a, b, { delta: 0.5 }), TOL.f32Reduce);
    await parity('klDiv', [[3, 4], [3, 4]], (a, b) => T.klDiv(T.logSoftmax(a, 1), T.softmax(b, 1), { reduction: 'batchmean' }), TOL.f32Reduce);
    await parity('poissonNll', [[3, 4]], (a) => T.poissonNllLoss(a, T.abs(a).detach()), TOL.f32Reduce);
    await parity('gaussianNll', [[3, 4], [3, 4], [3]], (a, b, v) => T.gaussianNllLoss(a, b, v), TOL.f32Reduce, (t, i) => (i === 2 ? T.add(T.abs(t), 0.5) : t));
    await parity('marginRanking', [[5], [5]], (a, b) => T.marginRankingLoss(a, b, T.sign(T.sub(b, a)).detach(), { margin: 0.5 }), TOL.f32Reduce);
    await parity('cosineEmbedding', [[3, 4], [3, 4]], (a, b) => T.cosineEmbeddingLoss(a, b, T.tensor([1, -1, 1], { device: a.device }), { margin: -1 }), TOL.f32Reduce);
    await parity('tripletMargin', [[2, 4], [2, 4], [2, 4]], (a, b, c) => T.tripletMarginLoss(a, b, c, { margin: 3 }), TOL.f32Reduce);
  });
});

describe('spatial composites match the CPU', () => {
  it('gridSample, affineGrid, unfold/fold, 1-D conv and pools, rmsNorm, bicubic, circular padding', async () => {
    const grid = (t: Tensor) => T.mul(T.tanh(t), 1.1);
    for (const paddingMode of ['zeros', 'border', 'reflection'] as const) {
      await parity(`gridSample ${paddingMode}`, [[1, 2, 4, 5], [1, 3, 2, 2]], (x, g) => T.gridSample(x, g, { paddingMode }), TOL.f32Reduce, (t, i) => (i === 1 ? grid(t) : t));
    }
    await parity('gridSample nearest', [[1, 2, 4, 5], [1, 3, 2, 2]], (x, g) => T.gridSample(x, g, { mode: 'nearest', alignCorners: true }), TOL.f32Reduce, (t, i) => (i === 1 ? grid(t) : t));
    await parity('affineGrid', [[2, 2, 3]], (th) => T.affineGrid(th, [2, 1, 3, 4]), TOL.f32Matmul);
    await parity('unfold', [[1, 2, 4, 5]], (x) => T.unfold(x, [2, 3], { padding: 1, stride: [2, 1] }), TOL.f32Matmul);
    await parity('fold', [[1, 8, 12]], (c) => T.fold(c, [4, 5], 2), TOL.f32Matmul);
    await parity('conv1d', [[2, 3, 9], [4, 3, 3]], (x, w) => T.conv1d(x, w, null, { stride: 2, padding: 1 }), TOL.f32Matmul);
    await parity('convTranspose1d', [[1, 2, 5], [2, 3, 3]], (x, w) => T.convTranspose1d(x, w, null, { stride: 2 }), TOL.f32Matmul);
    await parity('maxPool1d', [[2, 3, 7]], (x) => T.maxPool1d(x, 3, { stride: 2, padding: 1 }), TOL.exact);
    await parity('rmsNorm', [[3, 7], [7]], (x, w) => T.rmsNorm(x, [7], w), TOL.f32Reduce);
    await parity('bicubic', [[1, 2, 3, 5]], (x) => T.interpolate(x, { size: [5, 7], mode: 'bicubic' }), TOL.f32Matmul);
    await parity('circular pad', [[1, 2, 3, 4]], (x) => T.pad(x, [2, 1, 1, 2], { mode: 'circular' }), TOL.f32Matmul);
  });
});

describe('host-path linear algebra on WebGPU', () => {
  it('says to move the input to the CPU instead of reading back inside a step', async () => {
    const a = await T.eye(3).to('webgpu');
    for (const fn of [T.inv, T.det, (x: Tensor) => T.cholesky(x), (x: Tensor) => T.slogdet(x).logabsdet]) {
      expect(() => fn(a)).toThrow(T.DeviceError);
    }
    expect(() => T.solve(a, a)).toThrow(/solve: runs on the host in float64; move the input \[3, 3\] to the CPU first/);
  });
});

describe('random ops draw the same numbers on WebGPU', () => {
  it('bernoulli, normal, randperm, dropout2d', async () => {
    const same = async (what: string, make: (device: T.DeviceName) => Promise<Tensor>, tol: Tolerance = TOL.exact) => {
      T.manualSeed(21);
      const gpu = await make('webgpu');
      T.manualSeed(21);
      const cpu = await make('cpu');
      await expectClose(gpu, cpu, tol, what);
    };
    await same('bernoulli', async (d) => T.bernoulli(await T.full([7, 5], 0.4).to(d)));
    await same('normal', async (d) => T.normal(await T.tensor([[1], [-2]]).to(d), await T.tensor([0.5, 3]).to(d)), TOL.f32Transcendental);
    await same('randperm', async (d) => T.randperm(37, { device: d }));
    await same('dropout2d', async (d) => T.dropout2d(await T.ones([2, 9, 2, 3]).to(d), 0.3));
  });
});
