// Elementwise fusion on WebGPU (src/backend/webgpu/fusion.ts): chains of float32 unary and binary
// ops run as one kernel, match the unfused kernels and the CPU reference, write every output
// still alive, never let a buffer the chain reads be reused early, and keep autograd unchanged.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cpuBackend } from '../src/backend/cpu/index.js';
import type { Backend, Storage, TensorRef } from '../src/backend/backend.js';
import type { WebGPUBackend } from '../src/backend/webgpu/index.js';
import { HOT_AFTER, MAX_STEPS } from '../src/backend/webgpu/fusion.js';
import * as T from '../src/index.js';
import { parity } from './setup/parity.js';
import { TOL, firstMismatch } from './setup/tolerance.js';
import { webgpuBackend } from './setup/webgpu.js';

let gpu: WebGPUBackend;

beforeAll(async () => {
  gpu = await webgpuBackend();
  await T.initWebGPU();
});

afterEach(() => gpu.setFusion(true));

const ref = (storage: Storage, shape: readonly number[]): TensorRef => ({ storage, shape, dtype: 'float32' });

function data(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sin(seed * 12.9898 + i * 78.233) * 2;
  return out;
}

/** A chain mixing unary ops (with parameters), tensor-tensor and tensor-scalar binaries. */
function chain(backend: Backend, x: TensorRef, y: TensorRef, s: TensorRef): Storage[] {
  const shape = x.shape;
  const a = ref(backend.unary('tanh', x), shape);
  const b = ref(backend.binary('mul', a, y, shape), shape);
  const c = ref(backend.binary('add', b, s, shape), shape);
  const d = ref(backend.unary('leakyRelu', c, 0.2), shape);
  const e = ref(backend.binary('sub', s, d, shape), shape);
  const f = ref(backend.unary('exp', e), shape);
  const g = ref(backend.binary('maximum', f, x, shape), shape);
  // Released intermediates (as after a dispose) are never written: 3 inputs + 3 outputs to bind.
  for (const t of [b, c, e, f]) backend.release(t.storage);
  return [a.storage, d.storage, g.storage];
}

async function run(backend: Backend, n: number): Promise<Float32Array[]> {
  const shape = [n];
  const x = ref(backend.upload(data(n, 1), 'float32'), shape);
  const y = ref(backend.upload(data(n, 2), 'float32'), shape);
  const s = ref(backend.upload(new Float32Array([0.3]), 'float32'), [1]);
  const outs = chain(backend, x, y, s);
  return Promise.all(outs.map(async (o) => (await backend.read(ref(o, shape))) as Float32Array));
}

describe('elementwise fusion', () => {
  it('a chain seen HOT_AFTER times becomes one dispatch; every run matches the unfused kernels and the CPU', async () => {
    for (const n of [1, 7, 513, 4099]) {
      gpu.setFusion(false);
      const plain = await run(gpu, n);
      gpu.setFusion(true);
      const cpu = await run(cpuBackend, n);
      for (let time = 1; time <= HOT_AFTER; time++) {
        const before = gpu.dispatchCounts();
        const got = await run(gpu, n);
        const after = gpu.dispatchCounts();
        // Before it is hot the chain runs step by step (its released intermediates in scratch).
        // Kernels do not depend on n: 513 and 4099 reuse the one compiled for 7 (same scalar input).
        const fused = time === HOT_AFTER || n > 7;
        const what = `n = ${n}, run ${time}`;
        expect(after.fusedChains - before.fusedChains, what).toBe(fused ? 1 : 0);
        expect(after.dispatches - before.dispatches, what).toBe(fused ? 1 : 7);
        for (let k = 0; k < got.length; k++) {
          expect(firstMismatch(got[k]!, plain[k]!, TOL.f32Elementwise), `output ${k} vs unfused, ${what}`).toBe(-1);
          expect(firstMismatch(got[k]!, cpu[k]!, TOL.f32Transcendental), `output ${k} vs cpu, ${what}`).toBe(-1);
        }
      }
    }
  });

  it('outputs released before the chain runs are not written; a fully released chain dispatches nothing', async () => {
    const shape = [64];
    const x = ref(gpu.upload(data(64, 3), 'float32'), shape);
    let v = x;
    const before = gpu.dispatchCounts().dispatches;
    for (let i = 0; i < 10; i++) {
      const next = ref(gpu.unary('neg', v), shape);
      if (v !== x) gpu.release(v.storage);
      v = next;
    }
    gpu.release(v.storage);
    expect(gpu.dispatchCounts().dispatches).toBe(before);
    gpu.release(x.storage);
  });

  it('an input released while the chain is pending is not reused before the chain has read it', async () => {
    const shape = [300];
    const xs = data(300, 4);
    const x = ref(gpu.upload(xs, 'float32'), shape);
    const y = ref(gpu.unary('square', x), shape);
    const z = ref(gpu.unary('exp', y), shape);
    gpu.release(x.storage);
    // Same size: without the deferred release this upload would take x's buffer and overwrite it
    // before the chain (recorded earlier, dispatched later) reads it.
    const other = gpu.upload(new Float32Array(300).fill(100), 'float32');
    const got = (await gpu.read(z)) as Float32Array;
    const want = Float32Array.from(xs, (v) => Math.exp(Math.fround(v * v)));
    expect(firstMismatch(got, want, TOL.f32Transcendental)).toBe(-1);
    gpu.release(other);
  });

  it('chains longer than MAX_STEPS and with more inputs than bindings split, and stay correct', async () => {
    const n = 37;
    const inputs = Array.from({ length: 12 }, (_, k) => data(n, 10 + k));
    const compute = async (backend: Backend) => {
      let acc = ref(backend.upload(inputs[0]!, 'float32'), [n]);
      for (let k = 0; k < 3 * MAX_STEPS; k++) {
        const t = ref(backend.upload(inputs[k % inputs.length]!, 'float32'), [n]);
        acc = ref(backend.binary(k % 2 ? 'add' : 'sub', acc, t, [n]), [n]);
        acc = ref(backend.unary('sin', acc), [n]);
      }
      return (await backend.read(acc)) as Float32Array;
    };
    const got = await compute(gpu);
    const want = await compute(cpuBackend);
    expect(firstMismatch(got, want, { rtol: 1e-4, atol: 1e-4 })).toBe(-1);
  });

  it('a strided copy into a pending output lands after the chain writes it', async () => {
    const shape = [4, 5];
    const x = ref(gpu.upload(data(20, 5), 'float32'), shape);
    const y = gpu.unary('abs', x);
    const z = gpu.unary('neg', ref(y, shape));
    // Overwrite row 1 of z with row 0 of x while z's chain is still pending.
    gpu.stridedCopy(x.storage, z, 'float32', [5], [1], 0, [1], 5);
    const got = (await gpu.read(ref(z, shape))) as Float32Array;
    const xs = data(20, 5);
    for (let i = 0; i < 20; i++) {
      const want = i >= 5 && i < 10 ? xs[i - 5]! : -Math.abs(xs[i]!);
      expect(got[i], `element ${i}`).toBeCloseTo(want, 6);
    }
  });

  it('autograd through fused chains matches the CPU (forward and gradients)', async () => {
    // The ops run on the registered backend (not this file's primitive-level one).
    const registered = T.getBackend('webgpu') as unknown as WebGPUBackend;
    const before = registered.dispatchCounts().fusedChains;
    // Repeated until its chains are hot (the first run also creates the constant 0.5, which
    // splits its chains differently): the last runs are fused.
    for (let time = 0; time <= HOT_AFTER; time++) {
      await parity('fused chain', [[3, 41], [3, 41], [1]], (a, b, c) =>
        T.mul(T.sigmoid(T.add(T.mul(a, b), c)), T.sub(T.tanh(a), T.exp(T.mul(b, 0.5)))), TOL.f32Transcendental);
    }
    expect(registered.dispatchCounts().fusedChains).toBeGreaterThan(before);
    await parity('fused softplus / gelu / elu', [[5, 7]], (a) => T.add(T.softplus(a), T.mul(T.gelu(a), T.elu(a))), TOL.f32Transcendental);
  });
});
