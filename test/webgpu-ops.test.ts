// Op-level parity: the same computation, forward and backward, through the public API on WebGPU
// and on the CPU reference, from the same seed. (Primitive-level parity of every kernel variant
// lives in webgpu-backend.test.ts.)
import { beforeAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { TOL } from './setup/tolerance.js';
import { expectClose, parity } from './setup/parity.js';

beforeAll(async () => {
  await T.initWebGPU();
});

describe('WebGPU ops match the CPU reference, forward and backward', () => {
  it('unary functions', async () => {
    const fns: [string, (x: Tensor) => Tensor][] = [
      ['exp', T.exp], ['log(|x|+0.1)', (x) => T.log(T.add(T.abs(x), 0.1))], ['tanh', T.tanh], ['sigmoid', T.sigmoid],
      ['gelu', T.gelu], ['silu', T.silu], ['softplus', T.softplus], ['elu', T.elu], ['leakyRelu', (x) => T.leakyRelu(x, 0.2)],
      ['relu', T.relu], ['erf', T.erf], ['sqrt(|x|+0.5)', (x) => T.sqrt(T.add(T.abs(x), 0.5))], ['sin', T.sin], ['cos', T.cos],
      ['rsqrt', (x) => T.rsqrt(T.add(T.square(x), 1))], ['log1p', (x) => T.log1p(T.abs(x))], ['expm1', T.expm1],
      ['reciprocal', (x) => T.reciprocal(T.add(T.abs(x), 1))],
    ];
    for (const [name, fn] of fns) await parity(name, [[3, 37]], fn, TOL.f32Transcendental);
  });
  it('broadcasting binary ops, where and clamp', async () => {
    await parity('add/mul/div', [[4, 1, 5], [3, 1]], (a, b) => T.div(T.mul(T.add(a, b), a), T.add(T.square(b), 1)), TOL.f32Elementwise);
    await parity('maximum/minimum', [[7, 3], [3]], (a, b) => T.add(T.maximum(a, b), T.minimum(a, 0.5)), TOL.f32Elementwise);
    await parity('pow', [[5, 4]], (a) => T.pow(T.add(T.abs(a), 0.5), 2.5), TOL.f32Transcendental);
    await parity('where/clamp', [[6, 5], [5]], (a, b) => T.where(T.gt(a, b), T.clamp(a, -0.5, 0.5), b), TOL.f32Elementwise);
  });
  it('reductions over any axes', async () => {
    await parity('sum', [[3, 33, 5]], (x) => T.sum(x, [0, 2]), TOL.f32Reduce);
    await parity('mean keepdim', [[2, 3, 67]], (x) => T.mean(x, -1, true), TOL.f32Reduce);
    await parity('var', [[4, 129]], (x) => T.variance(x, 1), TOL.f32Reduce);
    await parity('max', [[5, 17, 3]], (x) => T.max(x, 1), TOL.f32Reduce);
    await parity('logsumexp', [[3, 300]], (x) => T.logsumexp(x, 1), TOL.f32Reduce);
    await parity('sum all', [[1031]], (x) => T.sum(x), TOL.f32Reduce);
    T.manualSeed(2);
    const x = T.randn([6, 35]);
    await expectClose(T.argmax(await x.to('webgpu'), 1), T.argmax(x, 1), TOL.exact, 'argmax');
    await expectClose(T.argmin(await x.to('webgpu'), 0), T.argmin(x, 0), TOL.exact, 'argmin');
  });
  it('prod backward with zeros: one zero gets the product of the rest, two zeros give zeros', async () => {
    // Each case has a slice with no zeros, one with one zero and one with two (flat indices).
    const cases: [string, number[], number[], (x: Tensor) => Tensor][] = [
      ['[3,5] over axis 1', [3, 5], [7, 10, 14], (x) => T.prod(x, 1)],
      ['[2,3,4] over axes [0,2], keepdim', [2, 3, 4], [19, 8, 22], (x) => T.prod(x, [0, 2], true)],
      ['all, one zero', [2, 3], [4], (x) => T.prod(x)],
      ['all, two zeros', [2, 3], [1, 4], (x) => T.prod(x)],
    ];
    for (const [what, shape, zeroAt, fn] of cases) {
      T.manualSeed(9);
      const values = await T.randn(shape).toArray();
      for (const i of zeroAt) values[i] = 0;
      const run = async (device: T.DeviceName) => {
        const x = T.tensor(values, { shape, device }).requiresGrad_();
        const out = fn(x);
        T.manualSeed(10);
        const weight = await T.randn([...out.shape]).to(device);
        const [gx] = T.gradients(T.sum(T.mul(out, weight)), [x], { createGraph: true });
        // Second order: d/dx of sum(gx^2).
        const [ggx] = T.gradients(T.sum(T.square(gx!)), [x]);
        return { out, gx: gx!, ggx: ggx! };
      };
      const gpu = await run('webgpu');
      const cpu = await run('cpu');
      await expectClose(gpu.out, cpu.out, TOL.f32Reduce, `prod ${what} (forward)`);
      await expectClose(gpu.gx, cpu.gx, TOL.f32Reduce, `prod ${what} (grad)`);
      await expectClose(gpu.ggx, cpu.ggx, TOL.f32Reduce, `prod ${what} (second order)`);
      for (const t of [gpu.gx, gpu.ggx]) expect((await t.toArray()).every(Number.isFinite), `prod ${what}: finite gradients`).toBe(true);
    }
  });
  it('matmul, batched and broadcast, on tile-unaligned shapes', async () => {
    await parity('matmul 33x65 @ 65x17', [[33, 65], [65, 17]], (a, b) => T.matmul(a, b), TOL.f32Matmul);
    await parity('batched broadcast', [[3, 1, 9, 13], [2, 13, 7]], (a, b) => T.matmul(a, b), TOL.f32Matmul);
    await parity('vector', [[19], [19, 5]], (a, b) => T.matmul(a, b), TOL.f32Matmul);
  });
  it('shape ops: permute, slice, cat, pad, expand, split', async () => {
    await parity('permute', [[3, 4, 5]], (x) => T.permute(x, [2, 0, 1]), TOL.exact);
    await parity('slice', [[7, 9]], (x) => T.slice(x, [{ start: 1, step: 3 }, { start: -5, stop: -1, step: 2 }]), TOL.exact);
    await parity('cat', [[2, 3], [2, 5]], (a, b) => T.cat([a, b, a], 1), TOL.exact);
    await parity('pad', [[2, 3, 4]], (x) => T.pad(x, [1, 2, 3, 0], -1), TOL.exact);
    await parity('expand', [[3, 1]], (x) => T.expand(x, [2, 3, 5]), TOL.f32Reduce);
    await parity('split/stack', [[5, 4]], (x) => T.stack(T.split(x, 2, 0).map((p) => T.sum(p, 0)), 0), TOL.f32Reduce);
  });
  it('int32 and bool tensors', async () => {
    const a = T.tensor(new Int32Array([7, -7, 2147483647, 5, 0]));
    const b = T.tensor(new Int32Array([2, 2, 1, -3, 4]));
    const [ga, gb] = [await a.to('webgpu'), await b.to('webgpu')];
    for (const op of [T.add, T.sub, T.mul, T.div, T.mod, T.maximum] as const) {
      await expectClose(op(ga, gb), op(a, b), TOL.exact, `int32 ${op.name}`);
    }
    await expectClose(T.logicalAnd(T.gt(ga, 0), T.lt(gb, 3)), T.logicalAnd(T.gt(a, 0), T.lt(b, 3)), TOL.exact, 'bool ops');
    await expectClose(T.sum(T.gt(ga, 0)), T.sum(T.gt(a, 0)), TOL.exact, 'sum of bool');
    await expectClose(T.cast(T.tensor([1.7, -1.7, 0]), 'int32'), T.cast(await T.tensor([1.7, -1.7, 0]).to('webgpu'), 'int32'), TOL.exact, 'cast');
  });
});
