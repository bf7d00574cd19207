/**
 * The wasm backend: float32, int32 and bool tensors in one WebAssembly.Memory, kernels emitted as
 * wasm SIMD at start-up (emit.ts). Synchronous like the CPU backend (`readSync` exists).
 *
 * Which primitives run which code (honestly):
 * - wasm SIMD: matmul (float32; the packed GEMM of gemm.ts, threaded), conv2d / conv2dGradInput /
 *   conv2dGradWeight (im2col / col2im wasm kernels + that GEMM), binary add / sub / mul / div /
 *   maximum / minimum (float32) and add / sub / mul (int32) over contiguous or broadcast rows,
 *   comparisons (float32, int32) and where (4-byte dtypes) over such rows, the float32 unary ops
 *   of WASM_UNARY (relu, leakyRelu, neg, abs, square, sqrt, ...), fill, and float32 sums
 *   (reduce.ts: float64 accumulation, rows of 16 or more), Adam and AdamW updates (optimizer.ts:
 *   float64 lanes, bit-for-bit the reference's).
 * - TypeScript loops over typed-array views of the wasm memory, reusing the CPU reference's kernel
 *   functions (float64 arithmetic, rounded once into the float32 output; no copy, no JS-side
 *   tensor memory): the other unary and binary ops (exp, tanh, sigmoid, pow, mod, bool logic,
 *   any op whose innermost operand strides are not 0 or 1), bool where, cast, the other reduce
 *   ops and short rows, argReduce, int32 matmul, stridedCopy, random, moments, softmax, pool2d and
 *   its gradient, gather, scatterAdd, cumsum, sort, attention and its backward, lstmCell and the
 *   SGD and RMSprop updates (reference.ts).
 */
import type {
  Backend, BackendMemory, BinaryOp, Conv2dArgs, DType, Epilogue, HostArray, MatmulArgs, OptimizerHyper, OptimizerKind, ReduceOp, Storage,
  TensorRef, UnaryOp,
} from '../backend';
import { DTYPE_BYTES } from '../backend';
import { DeviceError } from '../../errors';
import { binary as referenceBinary, binaryOutputDType } from '../cpu/binary';
import { scalarFor } from '../cpu/cast';
import { broadcastStrides, contiguousStrides, forEachRow, numel, simplifyLoop } from '../cpu/iterate';
import { unary as referenceUnary, unaryOutputDType } from '../cpu/unary';
import { WASM_UNARY, type WasmUnaryOp } from './elementwise';
import { WasmConv } from './conv';
import { ReferenceKernels, type WasmStorage } from './reference';
import { createRuntime, defaultThreads, startThreads, type WasmRuntime } from './runtime';
import { WasmMatmul } from './matmul';
import { wasmOptimizerUpdate } from './optimizer';
import { wasmSum } from './reduce';

export type { WasmStorage };

const wasmUnary: ReadonlySet<UnaryOp> = new Set<UnaryOp>(WASM_UNARY);
const f32Bits = new Float32Array(1);
const bitsOf = new Int32Array(f32Bits.buffer);

export class WasmBackend extends ReferenceKernels implements Backend {
  readonly name = 'wasm' as const;
  readonly supportsFloat64 = false;
  readonly rt: WasmRuntime;
  private readonly gemm: WasmMatmul;
  private readonly conv: WasmConv;
  private threadChange: Promise<unknown> = Promise.resolve();

  constructor(opts: { shared?: boolean } = {}) {
    super();
    this.rt = createRuntime(opts);
    this.gemm = new WasmMatmul(this.rt);
    this.conv = new WasmConv(this, this.gemm);
  }

  private requestedThreads: number | undefined;

  /** Worker threads in use, the calling thread included (1 without a shared memory). */
  get threads(): number {
    return this.rt.pool.threads;
  }

  /**
   * Start worker threads up to `threads` participants in all. Without a count: the count asked for
   * earlier, else the logical cores (so `initWasm()` after `initWasm({ threads: 1 })` keeps one).
   */
  setThreads(threads?: number): Promise<number> {
    if (threads !== undefined) this.requestedThreads = threads;
    const asked = this.requestedThreads;
    // One change at a time: two overlapping calls would both start the missing workers.
    const next = this.threadChange.then(async () => {
      const want = Math.max(1, Math.floor(asked ?? (await defaultThreads())));
      if (want < this.threads) this.rt.pool.stop();
      await startThreads(this.rt, want);
      return this.threads;
    });
    this.threadChange = next.catch(() => undefined);
    return next;
  }

  describe(): string {
    const { shared, relaxedSimd } = this.rt;
    const simd = relaxedSimd ? 'SIMD128 + relaxed-SIMD FMA' : 'SIMD128';
    const threads = shared ? `${this.threads} thread${this.threads === 1 ? '' : 's'}` : '1 thread (no SharedArrayBuffer: single-threaded)';
    return `WebAssembly ${simd}, ${threads}`;
  }

  maxElements(dtype: DType): number {
    return Math.min(2 ** 31 - 1, Math.floor((2 ** 32 - 2 ** 26) / DTYPE_BYTES[dtype]));
  }

  // ---- memory ----

  alloc(size: number, dtype: DType): WasmStorage {
    const ptr = this.rt.heap.alloc(size * DTYPE_BYTES[dtype], `alloc of ${size} ${dtype}`);
    return { backend: 'wasm', ptr, numel: size, dtype, live: true };
  }

  upload(data: HostArray, dtype: DType): WasmStorage {
    const s = this.alloc(data.length, dtype);
    const view = this.view(s);
    if (dtype === 'bool') for (let i = 0; i < data.length; i++) view[i] = data[i] !== 0 ? 1 : 0;
    else view.set(data);
    return s;
  }

  release(storage: Storage): void {
    const s = this.own(storage, 'release');
    if (!s.live) return;
    s.live = false;
    this.rt.heap.release(s.ptr, s.numel * DTYPE_BYTES[s.dtype]);
  }

  read(ref: TensorRef): Promise<HostArray> {
    return Promise.resolve(this.readSync(ref));
  }

  readSync(ref: TensorRef): HostArray {
    return this.view(this.own(ref.storage, 'read')).slice();
  }

  flush(): void {}

  sync(): Promise<void> {
    return Promise.resolve();
  }

  memory(): BackendMemory {
    return { pooledBytes: this.rt.heap.pooledBytes, allocatedBytes: this.rt.heap.allocatedBytes };
  }

  trimPool(): void {
    this.rt.heap.trim();
  }

  /** A typed array over a storage's bytes in the wasm memory (valid until the memory next grows). */
  view(storage: Storage, dtype?: DType): HostArray {
    const s = this.own(storage, 'view');
    const buffer = this.rt.memory.buffer;
    switch (dtype ?? s.dtype) {
      case 'float32': return new Float32Array(buffer, s.ptr, s.numel);
      case 'int32': return new Int32Array(buffer, s.ptr, s.numel);
      case 'bool': return new Uint8Array(buffer, s.ptr, s.numel);
      case 'float64': throw new DeviceError('wasm backend: float64 is not supported (use the cpu backend for float64)');
    }
  }

  own(storage: Storage, op: string): WasmStorage {
    if (storage.backend !== 'wasm') {
      throw new DeviceError(`wasm ${op}: got a storage of the ${storage.backend} backend; move the tensor to wasm first`);
    }
    return storage as WasmStorage;
  }

  // ---- elementwise ----

  fill(size: number, dtype: DType, value: number): WasmStorage {
    const out = this.alloc(size, dtype);
    if (dtype === 'bool') {
      this.view(out).fill(value !== 0 ? 1 : 0);
    } else {
      if (dtype === 'float32') f32Bits[0] = value;
      else bitsOf[0] = scalarFor(dtype, value);
      this.rt.kernels.fill32!(out.ptr, size, bitsOf[0]!);
    }
    return out;
  }

  unary(op: UnaryOp, x: TensorRef, param?: number): WasmStorage {
    const out = this.alloc(numel(x.shape), unaryOutputDType(op, x.dtype));
    const src = this.own(x.storage, op);
    if (x.dtype === 'float32' && wasmUnary.has(op)) {
      this.rt.kernels[`un_float32_${op as WasmUnaryOp}`]!(src.ptr, out.ptr, out.numel, param ?? 0);
    } else {
      referenceUnary(op, this.view(src), x.dtype, this.view(out), param);
    }
    return out;
  }

  binary(op: BinaryOp, a: TensorRef, b: TensorRef, outShape: readonly number[]): WasmStorage {
    const out = this.alloc(numel(outShape), binaryOutputDType(op, a.dtype));
    const kernel = this.rt.kernels[`bin_${a.dtype}_${op}`] ?? this.rt.kernels[`cmp_${a.dtype}_${op}`];
    const [sa, sb] = [this.own(a.storage, op), this.own(b.storage, op)];
    const fast = kernel && this.rows(outShape, out, [a, b], ([po, pa, pb], [as, bs], n) => kernel(pa!, as!, pb!, bs!, po!, n));
    if (!fast) referenceBinary(op, a.dtype, { data: this.view(sa), shape: a.shape }, { data: this.view(sb), shape: b.shape }, this.view(out), outShape);
    return out;
  }

  override where(cond: TensorRef, a: TensorRef, b: TensorRef, outShape: readonly number[]): WasmStorage {
    if (DTYPE_BYTES[a.dtype] !== 4) return super.where(cond, a, b, outShape);
    const out = this.alloc(numel(outShape), a.dtype);
    const where32 = this.rt.kernels.where32!;
    const fast = this.rows(outShape, out, [cond, a, b], ([po, pc, pa, pb], [cs, as, bs], n) => where32(pc!, cs!, pa!, as!, pb!, bs!, po!, n));
    if (fast) return out;
    this.release(out);
    return super.where(cond, a, b, outShape);
  }

  /**
   * Calls `row(pointers, steps, n)` once per innermost row of `out = f(inputs)` broadcast to
   * `outShape` (byte pointers: output first; input steps 0 or 1 element), when the simplified loop
   * nest has a contiguous output and such steps; returns false, having done nothing, otherwise.
   */
  private rows(outShape: readonly number[], out: WasmStorage, inputs: TensorRef[], row: (pointers: number[], steps: number[], n: number) => void): boolean {
    const nest = simplifyLoop(outShape, [contiguousStrides(outShape), ...inputs.map((x) => broadcastStrides(x.shape, outShape))]);
    const steps = nest.strides.map((st) => st.at(-1)!);
    if (steps[0] !== 1 || steps.slice(1).some((st) => st > 1)) return false;
    const storages = [out, ...inputs.map((x) => this.own(x.storage, 'elementwise'))];
    const sizes = storages.map((st) => DTYPE_BYTES[st.dtype]);
    const inner = nest.shape.at(-1)!;
    const pointers = storages.map(() => 0);
    forEachRow(nest, storages.map(() => 0), (offsets) => {
      for (let t = 0; t < offsets.length; t++) pointers[t] = storages[t]!.ptr + offsets[t]! * sizes[t]!;
      row(pointers, steps.slice(1), inner);
    });
    return true;
  }

  override reduce(op: ReduceOp, x: TensorRef, axes: readonly number[]): WasmStorage {
    return wasmSum(this, op, x, axes) ?? super.reduce(op, x, axes);
  }

  override optimizerUpdate(kind: OptimizerKind, param: Storage, grad: Storage, state: readonly Storage[], numel: number, dtype: DType, hyper: OptimizerHyper): void {
    if (!wasmOptimizerUpdate(this, kind, param, grad, state, hyper)) super.optimizerUpdate(kind, param, grad, state, numel, dtype, hyper);
  }

  // ---- matmul and convolution ----

  matmul(a: TensorRef, b: TensorRef, args: MatmulArgs): WasmStorage {
    return this.gemm.matmul(this, a, b, args);
  }

  conv2d(x: TensorRef, w: TensorRef, bias: TensorRef | null, args: Conv2dArgs, epilogue?: Epilogue): WasmStorage {
    return this.conv.forward(x, w, bias, args, epilogue);
  }

  conv2dGradInput(gy: TensorRef, w: TensorRef, inputShape: readonly [number, number, number, number], args: Conv2dArgs): WasmStorage {
    return this.conv.gradInput(gy, w, inputShape, args);
  }

  conv2dGradWeight(x: TensorRef, gy: TensorRef, weightShape: readonly [number, number, number, number], args: Conv2dArgs): WasmStorage {
    return this.conv.gradWeight(x, gy, weightShape, args);
  }
}
