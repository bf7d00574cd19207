// Op-level WebGPU parity: the same computation, forward and backward, through the public API on
// WebGPU and on the CPU reference, from the same seed.
import { expect } from 'vitest';
import * as T from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import type { Tolerance } from './tolerance.js';

export async function expectClose(gpu: Tensor, cpu: Tensor, tol: Tolerance, what: string): Promise<void> {
  expect(gpu.shape, what).toEqual(cpu.shape);
  expect(gpu.dtype, what).toBe(cpu.dtype);
  const g = await gpu.toArray();
  const c = await cpu.toArray();
  g.forEach((v, i) => {
    const ok = Math.abs(v - c[i]!) <= tol.atol + tol.rtol * Math.abs(c[i]!) || (Number.isNaN(v) && Number.isNaN(c[i]!)) || v === c[i];
    if (!ok) expect.fail(`${what}: element ${i}: webgpu ${v} vs cpu ${c[i]} (atol ${tol.atol}, rtol ${tol.rtol})`);
  });
}

/**
 * Run `fn` on both devices on identical standard-normal inputs of `shapes` (mapped through
 * `prepare` when given, e.g. into an op's domain); compare outputs and the gradients of the inputs.
 */
export async function parity(what: string, shapes: number[][], fn: (...xs: Tensor[]) => Tensor, tol: Tolerance, prepare?: (x: Tensor, i: number) => Tensor): Promise<void> {
  T.manualSeed(5);
  const inputs = shapes.map((s, i) => (prepare ? T.noGrad(() => prepare(T.randn(s), i)) : T.randn(s)));
  const run = async (device: T.DeviceName) => {
    const xs = await Promise.all(inputs.map(async (x) => (await x.to(device)).requiresGrad_()));
    const out = fn(...xs);
    if (out.requiresGrad) {
      T.manualSeed(6);
      const weight = await T.randn([...out.shape]).to(device);
      T.sum(T.mul(out, weight)).backward();
    }
    return { out, grads: xs.map((x) => x.grad) };
  };
  const gpu = await run('webgpu');
  const cpu = await run('cpu');
  await expectClose(gpu.out, cpu.out, tol, `${what} (forward)`);
  for (let i = 0; i < shapes.length; i++) {
    if (cpu.grads[i]) await expectClose(gpu.grads[i]!, cpu.grads[i]!, tol, `${what} (grad of input ${i})`);
  }
}
