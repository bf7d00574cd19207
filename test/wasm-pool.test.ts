// The wasm thread pool when a kernel traps: the call throws, every worker checks out, and the pool
// keeps working. Before the pool caught traps, a worker that trapped died without checking out and
// the next parallel kernel waited for it for ever (the process hung with every thread in a futex
// wait, deaf to SIGTERM).
import { afterAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { getBackend } from '../src/backend/registry.js';
import type { WasmBackend } from '../src/backend/wasm/index.js';

afterAll(() => (getBackend('wasm') as WasmBackend).rt.pool.stop());

describe('wasm thread pool', () => {
  it('a kernel that traps on every thread throws, and the pool runs the next kernels', async () => {
    await T.initWasm({ threads: 2 });
    const rt = (getBackend('wasm') as WasmBackend).rt;
    expect(rt.pool.threads).toBe(2);
    // GEMM tasks reading and writing 1 MiB below 4 GiB: out of bounds on the first load, on every thread.
    const outside = -0x100000;
    const args = [outside, 0, 0, 0, outside, 0, 0, 0, outside, 8, 8, 8, 8, 0];
    for (let i = 0; i < 3; i++) {
      expect(() => rt.pool.run(rt.kernels.gemmTask!, 'gemmTask', 64, rt.scratch[0]!, args)).toThrow();
    }
    // A threaded matmul afterwards matches the CPU backend.
    T.manualSeed(1);
    const a = T.randn([96, 80]);
    const b = T.randn([80, 112]);
    const want = Array.from(T.matmul(a, b).dataSync());
    const got = Array.from(await T.matmul(await a.to('wasm'), await b.to('wasm')).data());
    got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-3));
  });

  it('initWasm() without a count keeps the count asked for before (genlab --threads 1)', async () => {
    const info = await T.initWasm({ threads: 1 });
    expect(info.adapter).toContain('1 thread');
    expect((await T.initWasm()).adapter).toContain('1 thread');
    expect((await T.initWasm({ threads: 2 })).adapter).toContain('2 threads');
  });
});
