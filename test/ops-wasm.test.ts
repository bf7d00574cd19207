// The ops built on other ops run unchanged on the wasm backend: a sample from every family, forward
// and backward, against the CPU reference (the full per-op parity runs on WebGPU in ops-webgpu).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { getBackend } from '../src/backend/registry.js';
import type { WasmBackend } from '../src/backend/wasm/index.js';
import { TOL } from './setup/tolerance.js';
import { parity } from './setup/parity.js';

beforeAll(async () => {
  await T.initWasm({ threads: 1 });
});
afterAll(() => (getBackend('wasm') as WasmBackend).rt.pool.stop());

const onWasm = (what: string, shapes: number[][], fn: (...xs: Tensor[]) => Tensor, tol = TOL.f32Reduce as { rtol: number; atol: number }, prepare?: (x: Tensor, i: number) => Tensor) =>
  parity(what, shapes, fn, tol, prepare, 5, 'wasm');

describe('composite ops on wasm match the CPU', () => {
  it('elementwise, activations, shape ops, scans, norms, losses, spatial', async () => {
    await onWasm('atan2', [[3, 4], [4]], T.atan2, TOL.f32Transcendental);
    await onWasm('erfinv', [[9]], T.erfinv, TOL.f32Transcendental, (x) => T.mul(T.tanh(x), 0.9));
    await onWasm('logaddexp', [[2, 5], [5]], T.logaddexp, TOL.f32Transcendental);
    await onWasm('mish/hardswish', [[3, 5]], (x) => T.add(T.mish(x), T.hardswish(T.mul(x, 3))), TOL.f32Transcendental);
    await onWasm('flip/roll', [[3, 4]], (x) => T.roll(T.flip(x, 1), 1, 0), TOL.exact);
    await onWasm('einsum', [[3, 4], [4, 5], [5, 2]], (a, b, c) => T.einsum('ij,jk,kl->il', a, b, c), TOL.f32Matmul);
    await onWasm('diagonal', [[3, 4]], (x) => T.diagonal(x, 1), TOL.exact);
    await onWasm('cumprod/cummax', [[2, 7]], (x) => T.add(T.cumprod(x, 1), T.cummax(x, 1).values));
    await onWasm('logcumsumexp', [[6]], (x) => T.logcumsumexp(x, 0), TOL.f32Transcendental);
    await onWasm('vectorNorm', [[3, 5]], (x) => T.vectorNorm(x, 2, 1));
    await onWasm('tripletMargin', [[2, 4], [2, 4], [2, 4]], (a, b, c) => T.tripletMarginLoss(a, b, c, { margin: 3 }));
    await onWasm('gridSample', [[1, 2, 4, 5], [1, 3, 2, 2]], (x, g) => T.gridSample(x, g, { paddingMode: 'reflection' }), TOL.f32Reduce, (t, i) => (i === 1 ? T.tanh(t) : t));
    await onWasm('unfold', [[1, 2, 4, 5]], (x) => T.unfold(x, 2), TOL.f32Matmul);
    await onWasm('conv1d', [[2, 3, 8], [4, 3, 3]], (x, w) => T.conv1d(x, w, null, { padding: 1 }), TOL.f32Matmul);
  });
  it('host linear algebra runs on wasm too (it reads synchronously)', async () => {
    await onWasm('slogdet', [[2, 3, 3]], (a) => T.slogdet(T.add(a, T.mul(T.eye(3, undefined, { device: a.device }), 4))).logabsdet, TOL.f32Matmul);
    const a = await T.tensor([[2, 1], [1, 3]]).to('wasm');
    expect(await T.det(a).toArray()).toEqual([5]);
  });
});
