// The wasm parity harness: runs one primitive on the float64 CPU reference and on a wasm backend
// with the same fresh random inputs and compares every output within a named tolerance. Two wasm
// backends: threaded (shared memory, two threads) and single-threaded (plain memory, as in a page
// without SharedArrayBuffer).
import { afterAll, beforeAll, expect } from 'vitest';
import { cpuBackend } from '../../src/backend/cpu/index.js';
import type { Backend, DType, HostArray, Storage, TensorRef } from '../../src/backend/backend.js';
import { hostArrayFor } from '../../src/backend/backend.js';
import { WasmBackend } from '../../src/backend/wasm/index.js';
import { firstMismatch, type Tolerance } from './tolerance.js';

export const SEED = Number(process.env.GENLAB_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));
let state = SEED;
function random(): number {
  state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
  return (state >>> 8) / 16777216;
}
export const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export function values(dtype: DType, n: number, lo = -3, hi = 3): HostArray {
  const out = hostArrayFor(dtype, n);
  for (let i = 0; i < n; i++) {
    const v = lo + random() * (hi - lo);
    out[i] = dtype === 'bool' ? Number(v > (lo + hi) / 2) : dtype === 'int32' ? Math.round(v) : v;
  }
  return out;
}

/** An input: host data uploaded to whichever backend a case runs on. */
export interface Input { data: HostArray; shape: readonly number[]; dtype: DType }
export const input = (shape: readonly number[], dtype: DType = 'float32', lo = -3, hi = 3): Input => ({ data: values(dtype, numel(shape), lo, hi), shape, dtype });

export type Case = (b: Backend, ref: (x: Input) => TensorRef) => Storage | Storage[];

const threaded = new WasmBackend();
const single = new WasmBackend({ shared: false });
export const variants: [string, WasmBackend][] = [['threaded', threaded], ['single-threaded', single]];

/** Call once per test file: starts the threaded backend's workers and stops them after. */
export function useWasmBackends(): void {
  beforeAll(async () => {
  await threaded.setThreads(2);
});
  afterAll(() => threaded.rt.pool.stop());
}

/** Runs `run` on the CPU reference and on `wasm`; compares each output (shape, dtype) within `tol`. */
export function parity(wasm: WasmBackend, what: string, outs: [readonly number[], DType][], run: Case, tol: Tolerance): void {
  const results = ([cpuBackend, wasm] as Backend[]).map((b) => {
    const refs: Storage[] = [];
    const got = run(b, (x) => {
      const storage = b.upload(x.data, x.dtype);
      refs.push(storage);
      return { storage, shape: x.shape, dtype: x.dtype };
    });
    const list = Array.isArray(got) ? got : [got];
    const data = list.map((s, i) => b.readSync!({ storage: s, shape: outs[i]![0], dtype: outs[i]![1] }));
    for (const s of [...new Set([...list, ...refs])]) b.release(s);
    return data;
  });
  const [expected, actual] = results as [HostArray[], HostArray[]];
  expected.forEach((e, i) => {
    expect(actual[i]!.constructor, what).toBe(e.constructor);
    const at = firstMismatch(actual[i]!, e, tol);
    if (at >= 0) expect.fail(`${what} output ${i} (seed ${SEED}): element ${at} of ${e.length}: wasm ${actual[i]![at]} vs cpu ${e[at]} (rtol ${tol.rtol}, atol ${tol.atol})`);
  });
}

