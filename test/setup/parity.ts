// Op-level parity: the same computation, forward and backward, through the public API on WebGPU
// and on the CPU reference from identical inputs. Shared by the WebGPU op test files.
import { expect } from 'vitest';
import * as T from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { firstMismatch, type Tolerance } from './tolerance.js';

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/** Same shape and dtype, every element within `tol` (or the same NaN / infinity). */
export async function expectClose(gpu: Tensor, cpu: Tensor, tol: Tolerance, what: string, device = 'webgpu'): Promise<void> {
  expect(gpu.shape, what).toEqual(cpu.shape);
  expect(gpu.dtype, what).toBe(cpu.dtype);
  const g = await gpu.data();
  const c = await cpu.data();
  const i = firstMismatch(g, c, tol);
  if (i >= 0) expect.fail(`${what}: element ${i} of ${fmt(cpu.shape)}: ${device} ${g[i]} vs cpu ${c[i]} (atol ${tol.atol}, rtol ${tol.rtol})`);
}

/** An input: a shape of standard normals, scaled normals, or a given tensor (any dtype). */
export type ParityInput = number[] | { shape: number[]; scale?: number } | Tensor;

/**
 * Runs `fn` on both devices on the same inputs (drawn from `seed`, mapped through `prepare` when
 * given, e.g. into an op's domain), compares the outputs, then backpropagates a random output
 * gradient (from `seed + 1`) and compares the float inputs' gradients. `device` is WebGPU unless
 * another backend (wasm) is checked.
 */
export async function parity(
  what: string, inputs: ParityInput[], fn: (...xs: Tensor[]) => Tensor, tol: Tolerance,
  prepare?: (x: Tensor, i: number) => Tensor, seed = 5, device: T.DeviceName = 'webgpu',
): Promise<void> {
  T.manualSeed(seed);
  const drawn = inputs.map((s) => {
    if (s instanceof T.Tensor) return s;
    if (Array.isArray(s)) return T.randn(s);
    return T.mul(T.randn(s.shape), s.scale ?? 1);
  });
  const host = prepare ? drawn.map((x, i) => T.noGrad(() => prepare(x, i))) : drawn;
  const run = async (device: T.DeviceName) => {
    const xs = await Promise.all(host.map(async (x) => {
      const moved = await x.to(device);
      return x.dtype === 'float32' ? moved.detach().requiresGrad_() : moved;
    }));
    const out = fn(...xs);
    if (out.requiresGrad) {
      T.manualSeed(seed + 1);
      T.sum(T.mul(out, await T.randn([...out.shape]).to(device))).backward();
    }
    return { out, grads: xs.map((x) => x.grad) };
  };
  const gpu = await run(device);
  const cpu = await run('cpu');
  await expectClose(gpu.out, cpu.out, tol, `${what} (forward)`, device);
  for (let i = 0; i < inputs.length; i++) {
    if (cpu.grads[i]) await expectClose(gpu.grads[i]!, cpu.grads[i]!, tol, `${what} (grad of input ${i})`, device);
  }
}
