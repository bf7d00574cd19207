/**
 * Matmul variants and the choice between them.
 *
 * naive:    one output per thread; the reference the others are checked against.
 * register: per-thread 8x16 register tiles, vec4 loads, no barriers; fastest on CPU adapters.
 * shared:   64x64 workgroup-memory tiles, 4x4 per thread; what hardware GPUs prefer.
 * splitk:   partial products over k-chunks, summed by the reduce kernel; for small m*n, long k.
 */
import type { MatmulArgs, MatmulVariant } from '../backend.js';
import type { KernelRegistry } from './kernels.js';
import type { PooledBuffer } from './buffer-pool.js';
import type { CommandQueue } from './queue.js';

/** The per-thread tile of kernels/matmul_register.wgsl (8 x 16 measured best on SwiftShader) and its workgroup. */
const REGISTER_TILE = { rows: 8, cols: 16, wgX: 8, wgY: 8 };
const SHARED_TILE = 64;
const NAIVE_WG = 16;
/** On hardware GPUs, split-K pays off when the output alone cannot fill the device but k is long. */
const SPLITK_MAX_OUTPUTS = 4096;
const SPLITK_MIN_K = 1024;

export interface MatmulContext {
  kernels: KernelRegistry;
  queue: CommandQueue;
  isSoftware: boolean;
  scratch(bytes: number): PooledBuffer;
  releaseScratch(entry: PooledBuffer): void;
  /** Sums `rows` consecutive blocks of `width` floats of `src` into `dst`. */
  sumRows(src: PooledBuffer, dst: PooledBuffer, rows: number, width: number): void;
}

export function chooseMatmulVariant(args: MatmulArgs, isSoftware: boolean): Exclude<MatmulVariant, 'auto'> {
  const requested = args.variant ?? 'auto';
  if (requested !== 'auto') return requested;
  // On a CPU adapter a few output tiles already keep every core busy: register wins at every shape
  // measured, split-K included (16x16384x16: 12 ms register vs 37 ms splitk on SwiftShader).
  if (isSoftware) return 'register';
  if (args.batch * args.m * args.n <= SPLITK_MAX_OUTPUTS && args.k >= SPLITK_MIN_K) return 'splitk';
  return 'shared';
}

/** Element strides of A's (i, p) and B's (p, j), which is all the kernels know about transposes. */
function operandParams(args: MatmulArgs) {
  return {
    m: args.m,
    n: args.n,
    k: args.k,
    a_batch: args.aBatchStride,
    b_batch: args.bBatchStride,
    a_row: args.transA ? 1 : args.k,
    a_col: args.transA ? args.m : 1,
    b_row: args.transB ? 1 : args.n,
    b_col: args.transB ? args.k : 1,
  };
}

export function encodeMatmul(ctx: MatmulContext, a: PooledBuffer, b: PooledBuffer, out: PooledBuffer, args: MatmulArgs): void {
  const { m, n, k, batch } = args;
  const variant = chooseMatmulVariant(args, ctx.isSoftware);
  const params = operandParams(args);
  switch (variant) {
    case 'naive': {
      const grid = [Math.ceil(n / NAIVE_WG), Math.ceil(m / NAIVE_WG), batch] as const;
      ctx.queue.checkGrid('matmulNaive', grid);
      ctx.queue.dispatch(ctx.kernels.get('matmulNaive'), {}, [a, b, out], params, grid);
      return;
    }
    case 'register': {
      // vec4 loads need the operand's contiguous dimension and batch stride to be multiples of 4.
      const vecA = (args.transA ? m : k) % 4 === 0 && args.aBatchStride % 4 === 0;
      const vecB = (args.transB ? k : n) % 4 === 0 && args.bBatchStride % 4 === 0;
      const grid = [
        Math.ceil(n / (REGISTER_TILE.cols * REGISTER_TILE.wgX)),
        Math.ceil(m / (REGISTER_TILE.rows * REGISTER_TILE.wgY)),
        batch,
      ] as const;
      ctx.queue.checkGrid('matmulRegister', grid);
      const constants = {
        TRANS_A: Number(args.transA), TRANS_B: Number(args.transB), VEC_A: Number(vecA), VEC_B: Number(vecB),
        WG_X: REGISTER_TILE.wgX, WG_Y: REGISTER_TILE.wgY,
      };
      ctx.queue.dispatch(ctx.kernels.get('matmulRegister'), constants, [a, a, b, b, out], params, grid);
      return;
    }
    case 'shared': {
      const grid = [Math.ceil(n / SHARED_TILE), Math.ceil(m / SHARED_TILE), batch] as const;
      ctx.queue.checkGrid('matmulShared', grid);
      ctx.queue.dispatch(ctx.kernels.get('matmulShared'), { TRANS_A: Number(args.transA), TRANS_B: Number(args.transB) }, [a, b, out], params, grid);
      return;
    }
    case 'splitk': {
      // Enough chunks to give ~64 chunks of work, but no chunk shorter than 256 products.
      const kChunk = Math.max(256, Math.ceil(k / 64));
      const chunks = Math.ceil(k / kChunk);
      const outputs = batch * m * n;
      const partial = ctx.scratch(chunks * outputs * 4);
      const grid = [Math.ceil(n / NAIVE_WG), Math.ceil(m / NAIVE_WG), chunks * batch] as const;
      ctx.queue.checkGrid('matmulSplitk', grid);
      ctx.queue.dispatch(ctx.kernels.get('matmulSplitk'), {}, [a, b, partial], { ...params, batch, k_chunk: kChunk }, grid);
      ctx.sumRows(partial, out, chunks, outputs);
      ctx.releaseScratch(partial);
      return;
    }
  }
}
