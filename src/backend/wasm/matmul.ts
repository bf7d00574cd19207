/**
 * Driving the wasm GEMM (gemm.ts): batched matmul with transposes as strides, and the same entry
 * for the convolution kernels. Work is cut into tasks of (batch item, column chunk) for the thread
 * pool: one task per matrix when there are enough matrices, else column chunks (multiples of the
 * micro-kernel's width) so every thread has some. Small products stay on the calling thread, where
 * waking workers would cost more than the product.
 */
import type { MatmulArgs, TensorRef } from '../backend';
import { GEMM } from './gemm';
import type { WasmRuntime } from './runtime';
import type { WasmStorage } from './reference';

/** Multiply-adds under which a GEMM does not wake the workers. */
const PARALLEL_MIN_WORK = 1 << 18;

/** Operand geometry in elements: element (i, p) of A at ptr + i*rows + p*cols, matrix b at + b*batch. */
export interface Operand {
  ptr: number;
  rows: number;
  cols: number;
  batch: number;
}

export class WasmMatmul {
  constructor(private readonly rt: WasmRuntime) {}

  matmul(backend: { alloc(n: number, d: 'float32'): WasmStorage; own(s: TensorRef['storage'], op: string): WasmStorage; matmulInt32(a: TensorRef, b: TensorRef, args: MatmulArgs): WasmStorage }, a: TensorRef, b: TensorRef, args: MatmulArgs): WasmStorage {
    if (a.dtype !== 'float32') return backend.matmulInt32(a, b, args);
    const { batch, m, k, n, transA, transB } = args;
    const out = backend.alloc(batch * m * n, 'float32');
    const [sa, sb] = [backend.own(a.storage, 'matmul'), backend.own(b.storage, 'matmul')];
    this.gemm(
      { ptr: sa.ptr, rows: transA ? 1 : k, cols: transA ? m : 1, batch: args.aBatchStride },
      { ptr: sb.ptr, rows: transB ? 1 : n, cols: transB ? k : 1, batch: args.bBatchStride },
      out.ptr, batch, m, n, k, false,
    );
    return out;
  }

  /**
   * C[b] (+)= A[b] . B[b] for b < batch, C dense [batch, m, n] at byte address `c`; A is m x k and
   * B is k x n through their strides. Without `accumulate`, C is overwritten.
   */
  gemm(a: Operand, b: Operand, c: number, batch: number, m: number, n: number, k: number, accumulate: boolean): void {
    if (batch === 0 || m === 0 || n === 0) return;
    if (k === 0) {
      if (!accumulate) this.rt.kernels.fill32!(c, batch * m * n, 0);
      return;
    }
    const threads = this.rt.pool.threads;
    let chunk = n;
    if (threads > 1 && batch < 2 * threads && batch * m * n * k >= PARALLEL_MIN_WORK) {
      const perMatrix = Math.ceil((2 * threads) / batch);
      chunk = Math.max(GEMM.nr, Math.ceil(n / perMatrix / GEMM.nr) * GEMM.nr);
    }
    const tasks = batch * Math.ceil(n / chunk);
    const args = [
      a.ptr, a.rows * 4, a.cols * 4, a.batch * 4, b.ptr, b.rows * 4, b.cols * 4, b.batch * 4,
      c, m, n, k, chunk, accumulate ? 1 : 0,
    ];
    const run = batch * m * n * k >= PARALLEL_MIN_WORK ? tasks : 1;
    if (run === 1) {
      for (let t = 0; t < tasks; t++) this.rt.kernels.gemmTask!(t, this.rt.scratch[0]!, ...args);
    } else {
      this.rt.pool.run(this.rt.kernels.gemmTask!, 'gemmTask', tasks, this.rt.scratch[0]!, args);
    }
  }
}
