// Primitive-level parity: every wasm kernel against the float64 CPU reference on fresh random inputs
// with odd, tile-unaligned shapes, on a threaded backend (shared memory, two threads) and on a
// single-threaded one (plain memory, as in a page without SharedArrayBuffer).
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cpuBackend } from '../src/backend/cpu/index.js';
import type { BinaryOp, DType, MatmulArgs, UnaryOp } from '../src/backend/backend.js';
import { WasmBackend } from '../src/backend/wasm/index.js';
import { GEMM } from '../src/backend/wasm/gemm.js';
import { DeviceError } from '../src/errors.js';
import { tensor } from '../src/index.js';
import { TOL } from './setup/tolerance.js';
import { input, parity, useWasmBackends, variants } from './setup/wasm-parity.js';

useWasmBackends();

for (const [label, wasm] of variants) {
  describe(`wasm backend (${label}): elementwise`, () => {
    const exact: UnaryOp[] = ['neg', 'abs', 'sign', 'square', 'relu', 'floor', 'ceil', 'round'];
    const rounded: UnaryOp[] = ['reciprocal', 'sqrt', 'rsqrt', 'leakyRelu'];
    const transcendental: UnaryOp[] = ['exp', 'log', 'log1p', 'expm1', 'sin', 'cos', 'tanh', 'sigmoid', 'erf', 'elu', 'gelu', 'silu', 'softplus'];
    const positive = new Set<UnaryOp>(['log', 'sqrt', 'rsqrt']);

    it('float32 unary ops, vector body and scalar tail', () => {
      for (const [ops, tol] of [[exact, TOL.exact], [rounded, TOL.f32Elementwise], [transcendental, TOL.f32Transcendental]] as const) {
        for (const op of ops) {
          const x = input([7, 13], 'float32', positive.has(op) ? 0.01 : -3, 3);
          parity(wasm, `unary ${op}`, [[x.shape, 'float32']], (b, ref) => b.unary(op, ref(x), 0.1), tol);
        }
      }
    });

    it('int32 and bool unary ops', () => {
      for (const op of ['neg', 'abs', 'sign', 'square', 'logicalNot'] as UnaryOp[]) {
        const x = input([5, 3], 'int32');
        parity(wasm, `int32 ${op}`, [[x.shape, op === 'logicalNot' ? 'bool' : 'int32']], (b, ref) => b.unary(op, ref(x)), TOL.exact);
      }
      const x = input([9], 'bool');
      parity(wasm, 'bool logicalNot', [[x.shape, 'bool']], (b, ref) => b.unary('logicalNot', ref(x)), TOL.exact);
    });

    const shapePairs: [number[], number[], number[]][] = [
      [[7, 13], [7, 13], [7, 13]], [[5, 1, 7], [3, 7], [5, 3, 7]], [[], [9, 5], [9, 5]], [[2, 3, 5], [3, 1], [2, 3, 5]], [[6, 1], [1, 11], [6, 11]],
      // Rows past the 16-wide comparison step, with a broadcast (step 0) operand on either side.
      [[3, 37], [37], [3, 37]], [[3, 1], [3, 37], [3, 37]],
    ];

    it('float32 and int32 binary ops with broadcasting', () => {
      const floatOps: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'mod', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'];
      const intOps: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'mod', 'eq', 'lt'];
      for (const [dtype, ops] of [['float32', floatOps], ['int32', intOps]] as const) {
        for (const op of ops) {
          for (const [sa, sb, so] of shapePairs) {
            const [a, b] = [input(sa, dtype, op === 'pow' ? 0.1 : -3), input(sb, dtype)];
            const outType = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'].includes(op) ? 'bool' : dtype;
            const tol = dtype === 'int32' || op !== 'pow' ? TOL.f32Elementwise : TOL.f32Transcendental;
            parity(wasm, `${dtype} ${op} ${sa}/${sb}`, [[so, outType]], (be, ref) => be.binary(op, ref(a), ref(b), so), tol);
          }
        }
      }
    });

    it('bool logic, where, cast and fill', () => {
      const [p, q] = [input([4, 6], 'bool'), input([6], 'bool')];
      for (const op of ['logicalAnd', 'logicalOr', 'eq'] as BinaryOp[]) parity(wasm, `bool ${op}`, [[[4, 6], 'bool']], (b, ref) => b.binary(op, ref(p), ref(q), [4, 6]), TOL.exact);
      const [c, a, b2] = [input([3, 1, 5], 'bool'), input([4, 5]), input([3, 4, 1])];
      parity(wasm, 'where', [[[3, 4, 5], 'float32']], (b, ref) => b.where(ref(c), ref(a), ref(b2), [3, 4, 5]), TOL.exact);
      // Rows of 37 through the 4-wide select: condition and operands contiguous or broadcast.
      const [c2, a2, b3] = [input([3, 1, 37], 'bool'), input([4, 37]), input([3, 4, 1])];
      parity(wasm, 'where rows', [[[3, 4, 37], 'float32']], (b, ref) => b.where(ref(c2), ref(a2), ref(b3), [3, 4, 37]), TOL.exact);
      const c3 = input([3, 4, 37], 'bool');
      parity(wasm, 'where rows, condition per element', [[[3, 4, 37], 'float32']], (b, ref) => b.where(ref(c3), ref(b3), ref(a2), [3, 4, 37]), TOL.exact);
      for (const from of ['float32', 'int32', 'bool'] as DType[]) {
        for (const to of ['float32', 'int32', 'bool'] as DType[]) {
          const x = input([11], from, -5, 5);
          parity(wasm, `cast ${from}->${to}`, [[[11], to]], (b, ref) => b.cast(ref(x), to), TOL.exact);
        }
      }
      for (const dtype of ['float32', 'int32', 'bool'] as DType[]) parity(wasm, `fill ${dtype}`, [[[13], dtype]], (b) => b.fill(13, dtype, 2.5), TOL.exact);
    });
  });

  describe(`wasm backend (${label}): matmul`, () => {
    const { mr, nr, kc, mc } = GEMM;
    // Edges of every blocking level: one below, at and above the register tile, a k slab and an A block.
    const shapes: [number, number, number][] = [
      [1, 1, 1], [mr - 1, 1, nr + 1], [mr, kc + 3, nr], [mr + 1, 17, nr - 1], [mc + 5, 9, 3 * nr + 2], [33, 2 * kc + 1, 70], [130, 300, 70], [7, 5, 1],
    ];
    function check(m: number, k: number, n: number, transA: boolean, transB: boolean, batch = 1, broadcast: 'none' | 'a' | 'b' = 'none') {
      const batchA = broadcast === 'a' ? 1 : batch;
      const batchB = broadcast === 'b' ? 1 : batch;
      const a = input([batchA, transA ? k : m, transA ? m : k], 'float32', -1, 1);
      const b = input([batchB, transB ? n : k, transB ? k : n], 'float32', -1, 1);
      const args: MatmulArgs = { batch, m, k, n, transA, transB, aBatchStride: batchA === 1 ? 0 : m * k, bBatchStride: batchB === 1 ? 0 : k * n };
      const tol = k > 256 ? { rtol: 1e-4, atol: 3e-4 } : TOL.f32Matmul;
      parity(wasm, `matmul m${m} k${k} n${n} tA${+transA} tB${+transB} batch ${batch} ${broadcast}`, [[[batch, m, n], 'float32']], (be, ref) => be.matmul(ref(a), ref(b), args), tol);
    }

    it('odd and block-edge shapes, every transpose combination', () => {
      for (const [m, k, n] of shapes) for (const tA of [false, true]) for (const tB of [false, true]) check(m, k, n, tA, tB);
    });

    it('batches with a broadcast operand, an empty k, int32', () => {
      check(17, 12, 9, false, false, 3);
      check(17, 12, 9, true, false, 3, 'a');
      check(40, 70, 60, false, true, 5, 'b');
      check(3, 0, 5, false, false, 2);
      const [a, b] = [input([2, 5, 3], 'int32'), input([1, 3, 4], 'int32')];
      const args: MatmulArgs = { batch: 2, m: 5, k: 3, n: 4, transA: false, transB: false, aBatchStride: 15, bBatchStride: 0 };
      parity(wasm, 'int32 matmul', [[[2, 5, 4], 'int32']], (be, ref) => be.matmul(ref(a), ref(b), args), TOL.exact);
    });
  });
}

describe('wasm backend: memory and errors', () => {
  it('is started by initWasm(), not implicitly (its code is loaded then)', () => {
    expect(() => tensor([1, 2], { device: 'wasm' })).toThrow(DeviceError);
    expect(() => tensor([1, 2], { device: 'wasm' })).toThrow(/wasm backend is not started; call `await initWasm\(\)` first/);
  });

  it('reuses released blocks, trims the pool and reports both', () => {
    const b = new WasmBackend({ shared: false });
    const before = b.memory();
    const s = b.alloc(1000, 'float32');
    expect(b.memory().allocatedBytes - before.allocatedBytes).toBeGreaterThanOrEqual(4000);
    b.release(s);
    b.release(s);
    expect(b.memory().pooledBytes).toBeGreaterThanOrEqual(4000);
    const again = b.alloc(1000, 'int32');
    expect(again.ptr).toBe(s.ptr);
    b.release(again);
    b.trimPool();
    expect(b.memory().pooledBytes).toBe(0);
    expect(b.memory().allocatedBytes).toBe(before.allocatedBytes);
  });

  it('typed errors for float64, foreign storages and oversized allocations', () => {
    const b = new WasmBackend({ shared: false });
    expect(() => b.upload(new Float64Array(3), 'float64')).toThrow(DeviceError);
    const cpu = cpuBackend.upload(new Float32Array(3), 'float32');
    expect(() => b.unary('neg', { storage: cpu, shape: [3], dtype: 'float32' })).toThrow(DeviceError);
    expect(() => b.alloc(2 ** 31, 'float32')).toThrow(DeviceError);
  });
});

describe('wasm backend: relaxed SIMD', () => {
  // Node 20 validates relaxed SIMD only behind a flag, so the FMA micro-kernel runs in a child process.
  const script = `
    import { WasmBackend } from './src/backend/wasm/index.ts';
    import { cpuBackend } from './src/backend/cpu/index.ts';
    const b = new WasmBackend({ shared: false });
    let err = 0;
    for (const [m, k, n] of [[7, 300, 13], [130, 257, 70], [1, 1, 1], [5, 3, 9]]) {
      const A = Float32Array.from({ length: m * k }, () => Math.random() - 0.5);
      const B = Float32Array.from({ length: k * n }, () => Math.random() - 0.5);
      const args = { batch: 1, m, k, n, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
      const run = (be) => be.readSync({ storage: be.matmul({ storage: be.upload(A, 'float32'), shape: [m, k], dtype: 'float32' }, { storage: be.upload(B, 'float32'), shape: [k, n], dtype: 'float32' }, args), shape: [m, n], dtype: 'float32' });
      const [w, c] = [run(b), run(cpuBackend)];
      for (let i = 0; i < c.length; i++) err = Math.max(err, Math.abs(w[i] - c[i]));
    }
    console.log(JSON.stringify({ describe: b.describe(), err }));`;

  it('the fused multiply-add micro-kernel matches the reference where the engine has it', () => {
    const out = execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    const { describe: text, err } = JSON.parse(out.trim().split('\n').at(-1)!) as { describe: string; err: number };
    expect(text).toContain('relaxed-SIMD FMA');
    expect(err).toBeLessThan(1e-4);
  });
});
