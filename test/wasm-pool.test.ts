// The wasm thread pool when a kernel traps: the call throws, every worker checks out, and the pool
// keeps working. Before the pool caught traps, a worker that trapped died without checking out and
// the next parallel kernel waited for it for ever (the process hung with every thread in a futex
// wait, deaf to SIGTERM). And the race that hung long training runs: a notify arriving after a worker
// had already taken its job on "not-equal" woke it a second time for the same generation.
import { afterAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { getBackend } from '../src/backend/registry.js';
import type { WasmBackend } from '../src/backend/wasm/index.js';
import { CONTROL_ADDR } from '../src/backend/wasm/runtime.js';
import { CONTROL_BYTES, COUNT, GEN, NEXT, PENDING } from '../src/backend/wasm/threads.js';

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

  it('a late notify of a generation a worker already served does not check it out twice', async () => {
    await T.initWasm({ threads: 2 });
    const rt = (getBackend('wasm') as WasmBackend).rt;
    const c = new Int32Array(rt.memory.buffer, CONTROL_ADDR, CONTROL_BYTES / 4);
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    // The caller's side of a job with no tasks, as ThreadPool.run writes it, but with the notify
    // coming twice: once to start the job, once more after the worker has checked out and gone back
    // to sleep (what a caller descheduled between bumping GEN and notifying does).
    c[COUNT] = 0;
    Atomics.store(c, NEXT, 0);
    Atomics.store(c, PENDING, 1);
    Atomics.add(c, GEN, 1);
    Atomics.notify(c, GEN);
    for (let i = 0; i < 500 && Atomics.load(c, PENDING) !== 0; i++) await sleep(10);
    expect(Atomics.load(c, PENDING)).toBe(0);
    await sleep(100);
    Atomics.notify(c, GEN);
    await sleep(200);
    expect(Atomics.load(c, PENDING)).toBe(0);
    // And the pool still runs threaded kernels.
    T.manualSeed(2);
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
