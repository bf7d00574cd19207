/**
 * The WebGPU backend: every primitive of the kernel contract as a WGSL dispatch (no CPU fallback).
 *
 * All dtypes live on the GPU as 32-bit words (bool as one 0/1 word per element), so one kernel
 * file serves float32, int32 and bool through bitcasts. Work is queued on a shared command encoder
 * (see queue.ts) and only submitted on flush, on read, or when a batch grows large.
 */
import { DeviceError } from '../../errors.js';
import { COMPARISON_OPS, hostArrayFor } from '../backend.js';
import type {
  ArgReduceOp, Backend, BackendMemory, BinaryOp, DType, HostArray, MatmulArgs, RandomArgs, ReduceOp,
  MomentsVariant, OptimizerHyper, OptimizerKind, RowVariant,
  Conv2dArgs, Epilogue, Pool2dArgs,
  Storage, TensorRef, UnaryOp,
} from '../backend.js';
import { BINARY_OPS, REDUCE_OPS, UNARY_OPS, dtypeCode, opCode } from './codes.js';
import { BufferUsage, DeviceHealth, MAP_MODE_READ, acquireDevice, numericLimits } from './device.js';
import type { AcquireOptions, AcquiredDevice, AdapterDescription } from './device.js';
import { KernelRegistry } from './kernels.js';
import type { KernelLayout } from './pipelines.js';
import { binaryMode, broadcastStrides, contiguousStrides, isContiguous, mergeDims, numel as numelOf, packDims } from './layout.js';
import { encodeMatmul } from './matmul.js';
import type { MatmulContext } from './matmul.js';
import { BufferPool } from './buffer-pool.js';
import type { PooledBuffer } from './buffer-pool.js';
import { CommandQueue } from './queue.js';
import { encodeReduce } from './reduce.js';
import * as conv from './conv.js';
import * as moments from './moments.js';
import * as pooling from './pool2d.js';
import type { SpatialContext } from './spatial.js';
import { attentionBackward, attentionForward, type AttentionContext } from './attention.js';
import { encodeGather, encodeScatterAdd } from './indexing.js';
import { DeviceAsserts, type CapturedFlags, type IndexSite } from './asserts.js';
import { encodeCumsum } from './cumsum.js';
import { encodeLstmCell } from './lstm.js';
import { encodeSort } from './sort.js';
import { encodeSoftmax } from './softmax.js';
import { encodeOptimizerUpdate } from './optimizer.js';
import { ElementwiseFusion } from './fusion.js';
import type { ChainInput, FusedStep } from './fusion.js';

export type { AdapterDescription } from './device.js';

/** Threads per workgroup of the elementwise kernels: the `WG` override's default in their WGSL. */
const WG = 256;
/**
 * Elements per workgroup of the streaming kernels (fill, unary, binary, where, cast, copy): their
 * `WG` override's default (64) times the 8 elements each invocation handles.
 */
const STREAM_BLOCK = 64 * 8;
const WORD_BYTES = 4;

export interface WebGPUStorage extends Storage {
  readonly backend: 'webgpu';
  readonly entry: PooledBuffer;
  readonly numel: number;
  released: boolean;
}

function asGPU(storage: Storage): WebGPUStorage {
  if (storage.backend !== 'webgpu') throw new DeviceError(`a ${storage.backend} storage was passed to the WebGPU backend`);
  return storage as WebGPUStorage;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

export class WebGPUBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly supportsFloat64 = false;
  readonly adapterInfo: AdapterDescription;
  readonly device: GPUDevice;
  private readonly health: DeviceHealth;
  private readonly queue: CommandQueue;
  private readonly asserts: DeviceAsserts;
  private readonly kernels: KernelRegistry;
  private readonly storagePool: BufferPool;
  private readonly stagingPool: BufferPool;
  private readonly maxBindingBytes: number;
  private readonly matmulContext: MatmulContext;
  private spatialContext: SpatialContext | undefined;
  private optimizerPlaceholders: [PooledBuffer, PooledBuffer, PooledBuffer] | undefined;
  private readonly fusion: ElementwiseFusion;
  /** Bound in place of an optional input that a kernel variant never reads (no mask, no bias). */
  private unusedInput: PooledBuffer | undefined;

  /**
   * `acquired` keeps the GPU instance and adapter reachable: in Node, Dawn tears the device down
   * (hangs, futex aborts) once the instance that created it is garbage collected.
   */
  constructor(private readonly acquired: AcquiredDevice) {
    const { device, info } = acquired;
    this.device = device;
    this.adapterInfo = info;
    this.health = new DeviceHealth(device);
    this.queue = new CommandQueue(device, this.health);
    this.asserts = new DeviceAsserts(device);
    this.kernels = new KernelRegistry(device);
    this.maxBindingBytes = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    this.storagePool = new BufferPool(device, BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST, this.maxBindingBytes);
    this.stagingPool = new BufferPool(device, BufferUsage.MAP_READ | BufferUsage.COPY_DST, device.limits.maxBufferSize);
    this.fusion = new ElementwiseFusion({
      kernels: this.kernels,
      queue: this.queue,
      // Up to 16: enough for long chains with their intermediates saved for the backward pass.
      maxBindings: Math.min(device.limits.maxStorageBuffersPerShaderStage, 16),
      acquire: (words) => this.acquire(words, 'float32'),
      releaseBuffer: (entry) => this.storagePool.release(entry, this.queue.batch),
      dispatchAlone: (step, operands, out, n) => this.dispatchAlone(step, operands, out, n),
    });
    this.queue.beforeCommand = () => this.fusion.flush();
    this.matmulContext = {
      kernels: this.kernels,
      queue: this.queue,
      isSoftware: info.isSoftware,
      scratch: (bytes) => this.acquire(bytes / WORD_BYTES, 'float32'),
      releaseScratch: (entry) => this.storagePool.release(entry, this.queue.batch),
      sumRows: (src, dst, rows, width) =>
        encodeReduce(this.kernels, this.queue, opCode(REDUCE_OPS, 'sum'), 0, src, dst,
          { shape: [width], strides: [1] }, { shape: [rows], strides: [width] }),
    };
  }

  maxElements(_dtype: DType): number {
    return Math.floor(this.maxBindingBytes / WORD_BYTES);
  }

  // ---- memory ----

  upload(data: HostArray, dtype: DType): Storage {
    dtypeCode(dtype);
    const storage = this.allocStorage(data.length, dtype);
    if (data.length === 0) return storage;
    let words: Float32Array | Int32Array | Uint32Array;
    if (dtype === 'bool') words = Uint32Array.from(data as Uint8Array);
    else if (dtype === 'int32') words = data instanceof Int32Array ? data : Int32Array.from(data);
    else words = data instanceof Float32Array ? data : Float32Array.from(data);
    // writeBuffer runs before commands not yet submitted; if those may still read this recycled
    // buffer, submit them first.
    if (storage.entry.releasedInBatch === this.queue.batch && this.queue.hasPendingWork) this.queue.flush();
    this.device.queue.writeBuffer(storage.entry.buffer, 0, words.buffer, words.byteOffset, words.byteLength);
    return storage;
  }

  alloc(numel: number, dtype: DType): Storage {
    dtypeCode(dtype);
    return this.allocStorage(numel, dtype);
  }

  release(storage: Storage): void {
    const gpuStorage = asGPU(storage);
    // A second release would put one buffer in the pool twice, and two storages would share it.
    if (gpuStorage.released) return;
    gpuStorage.released = true;
    // A pending fused chain still reads it: back to the pool once the chain is recorded.
    if (this.fusion.reads(gpuStorage)) this.fusion.deferRelease(gpuStorage.entry);
    else this.storagePool.release(gpuStorage.entry, this.queue.batch);
  }

  async read(ref: TensorRef): Promise<HostArray> {
    const src = asGPU(ref.storage);
    dtypeCode(ref.dtype);
    const numel = numelOf(ref.shape);
    const out = hostArrayFor(ref.dtype, numel);
    if (numel === 0) return out;
    const bytes = numel * WORD_BYTES;
    const staging = this.stagingPool.acquire(bytes);
    let flags: CapturedFlags | null = null;
    let flagWords: Int32Array | null = null;
    try {
      this.queue.copy(src.entry.buffer, staging.buffer, bytes);
      flags = this.asserts.capture(this.queue, this.stagingPool);
      this.queue.flush();
      await Promise.all([staging.buffer.mapAsync(MAP_MODE_READ, 0, bytes), DeviceAsserts.map(flags), this.queue.settle(), this.kernels.settle()]);
      this.health.raiseRecorded();
      const words = staging.buffer.getMappedRange(0, bytes);
      if (ref.dtype === 'bool') (out as Uint8Array).set(new Uint32Array(words));
      else new Uint8Array(out.buffer, out.byteOffset, bytes).set(new Uint8Array(words));
    } catch (err) {
      await Promise.all([this.queue.settle(), this.kernels.settle()]);
      this.health.raiseRecorded();
      throw err instanceof DeviceError ? err : new DeviceError(`reading a WebGPU buffer failed: ${(err as Error).message}`);
    } finally {
      // A pooled staging buffer must go back unmapped, or the next copy into it is invalid.
      if (staging.buffer.mapState === 'mapped') staging.buffer.unmap();
      this.stagingPool.release(staging, this.queue.batch);
      flagWords = DeviceAsserts.release(flags, this.stagingPool, this.queue.batch);
    }
    DeviceAsserts.raise(flags, flagWords);
    return out;
  }

  flush(): void {
    this.kernels.raiseKnown();
    this.queue.flush();
  }

  async sync(): Promise<void> {
    const flags = this.asserts.capture(this.queue, this.stagingPool);
    let flagWords: Int32Array | null = null;
    try {
      this.flush();
      await Promise.all([this.device.queue.onSubmittedWorkDone(), DeviceAsserts.map(flags), this.queue.settle(), this.kernels.settle()]);
      this.health.raiseRecorded();
    } finally {
      flagWords = DeviceAsserts.release(flags, this.stagingPool, this.queue.batch);
    }
    DeviceAsserts.raise(flags, flagWords);
  }

  /** Checks on the device that `index`'s entries lie in [0, site.size) (or equal `ignore`); see asserts.ts. */
  assertIndexRange(index: TensorRef, site: IndexSite, ignore?: number): void {
    this.asserts.checkIndices(this.kernels, this.queue, asGPU(index.storage).entry, numelOf(index.shape), site, ignore);
  }

  memory(): BackendMemory {
    this.fusion.flush();
    return {
      pooledBytes: this.storagePool.pooledBytes + this.stagingPool.pooledBytes,
      allocatedBytes: this.storagePool.allocatedBytes,
    };
  }

  trimPool(): void {
    // Queued commands may still use pooled buffers; they must be submitted before destruction.
    this.queue.flush();
    this.kernels.dropBindGroups();
    this.storagePool.trim();
    this.stagingPool.trim();
  }

  /** What `deviceInfo()` reports: the adapter, whether it is a CPU implementation, limits, features. */
  describe(): { adapter: string; isSoftware: boolean; limits: Record<string, number>; features: string[] } {
    const { vendor, architecture, description, isSoftware } = this.adapterInfo;
    const adapter = [vendor, architecture, description].filter((s) => s !== '').join(' / ');
    return { adapter, isSoftware, limits: numericLimits(this.device.limits), features: [...this.device.features] };
  }

  /** Releases the GPU device; the backend is unusable afterwards. */
  /** Whether the device was lost or destroyed (initWebGPU then makes a fresh one). */
  get lost(): boolean {
    return this.health.lost;
  }

  destroy(): void {
    this.acquired.device.destroy();
  }

  // ---- kernels ----

  fill(numel: number, dtype: DType, value: number): Storage {
    dtypeCode(dtype);
    const out = this.allocStorage(numel, dtype);
    let bits: number;
    if (dtype === 'float32') bits = new Uint32Array(new Float32Array([value]).buffer)[0]!;
    else if (dtype === 'int32') bits = value >>> 0;
    else bits = value !== 0 ? 1 : 0;
    this.stream('fill', {}, [out.entry], { n: numel, bits }, numel);
    return out;
  }

  unary(op: UnaryOp, x: TensorRef, param?: number): Storage {
    const numel = numelOf(x.shape);
    const out = this.allocStorage(numel, op === 'logicalNot' ? 'bool' : x.dtype);
    const constants = { OP: opCode(UNARY_OPS, op), DTYPE: dtypeCode(x.dtype) };
    // Defaults as in PyTorch (and the CPU backend) when the ops layer passes no parameter.
    const p = param ?? (op === 'elu' ? 1 : 0.01);
    if (this.fusion.enabled && x.dtype === 'float32' && op !== 'logicalNot' && numel > 0) {
      this.fusion.record(true, constants.OP, p, [{ storage: asGPU(x.storage), scalar: false }], out, numel);
      return out;
    }
    this.stream('unary', constants, [asGPU(x.storage).entry, out.entry], { n: numel, param: p }, numel);
    return out;
  }

  binary(op: BinaryOp, a: TensorRef, b: TensorRef, outShape: readonly number[]): Storage {
    const numel = numelOf(outShape);
    const out = this.allocStorage(numel, COMPARISON_OPS.has(op) ? 'bool' : a.dtype);
    const buffers = [asGPU(a.storage).entry, asGPU(b.storage).entry, out.entry];
    const constants = { OP: opCode(BINARY_OPS, op), DTYPE: dtypeCode(a.dtype), MODE: 0, RANK: 1 };
    const operands = this.fusableOperands([a, b], numel);
    if (operands && !COMPARISON_OPS.has(op)) {
      this.fusion.record(false, constants.OP, 0, operands, out, numel);
      return out;
    }
    if (sameShape(a.shape, outShape) && sameShape(b.shape, outShape)) {
      this.stream('binary', constants, buffers, { n: numel }, numel);
      return out;
    }
    const merged = mergeDims(outShape, [broadcastStrides(a.shape, outShape), broadcastStrides(b.shape, outShape)], `binary ${op}`);
    constants.MODE = binaryMode(merged);
    // Pipelines are per (MODE, RANK); shapes stay in the uniform.
    if (constants.MODE === 3) constants.RANK = merged.shape.length;
    this.stream('binary', constants, buffers, { n: numel, dims: packDims(merged) }, numel);
    return out;
  }

  where(cond: TensorRef, a: TensorRef, b: TensorRef, outShape: readonly number[]): Storage {
    const numel = numelOf(outShape);
    dtypeCode(a.dtype);
    const out = this.allocStorage(numel, a.dtype);
    const strides = [cond, a, b].map((t) => broadcastStrides(t.shape, outShape));
    const merged = mergeDims(outShape, strides, 'where');
    const buffers = [cond, a, b].map((t) => asGPU(t.storage).entry);
    // RANK 0: all three read in output order.
    const constants = { RANK: isContiguous(merged) ? 0 : merged.shape.length };
    this.stream('where', constants, [...buffers, out.entry], { n: numel, dims: packDims(merged) }, numel);
    return out;
  }

  cast(x: TensorRef, dtype: DType): Storage {
    const numel = numelOf(x.shape);
    const constants = { FROM: dtypeCode(x.dtype), TO: dtypeCode(dtype) };
    const out = this.allocStorage(numel, dtype);
    this.stream('cast', constants, [asGPU(x.storage).entry, out.entry], { n: numel }, numel);
    return out;
  }

  reduce(op: ReduceOp, x: TensorRef, axes: readonly number[], args: { variant?: RowVariant } = {}): Storage {
    const dtype = dtypeCode(x.dtype);
    const outDtype: DType = x.dtype === 'bool' && (op === 'sum' || op === 'prod') ? 'int32' : x.dtype;
    const strides = contiguousStrides(x.shape);
    const reducedAxes = new Set(axes);
    const kept = { shape: [] as number[], strides: [] as number[] };
    const reduced = { shape: [] as number[], strides: [] as number[] };
    x.shape.forEach((size, d) => {
      const space = reducedAxes.has(d) ? reduced : kept;
      space.shape.push(size);
      space.strides.push(strides[d]!);
    });
    const out = this.allocStorage(numelOf(kept.shape), outDtype);
    encodeReduce(this.kernels, this.queue, opCode(REDUCE_OPS, op), dtype, asGPU(x.storage).entry, out.entry, kept, reduced, {
      acquire: (words) => this.acquire(words, 'float32'),
      release: (entry) => this.storagePool.release(entry, this.queue.batch),
    }, args.variant);
    return out;
  }

  argReduce(op: ArgReduceOp, x: TensorRef, axis: number): Storage {
    const dtype = dtypeCode(x.dtype);
    const len = x.shape[axis]!;
    const inner = numelOf(x.shape.slice(axis + 1));
    const nOut = numelOf(x.shape) / Math.max(len, 1);
    const out = this.allocStorage(nOut, 'int32');
    this.elementwise('argreduce', { ARGMIN: Number(op === 'argmin'), DTYPE: dtype },
      [asGPU(x.storage).entry, out.entry], { n_out: nOut, len, inner }, nOut);
    return out;
  }

  matmul(a: TensorRef, b: TensorRef, args: MatmulArgs): Storage {
    if (a.dtype !== 'float32' || b.dtype !== 'float32') {
      throw new DeviceError(`matmul on WebGPU takes float32 operands, got ${a.dtype} and ${b.dtype}`);
    }
    const numel = args.batch * args.m * args.n;
    // An empty inner dimension is a valid product: all zeros.
    if (args.k === 0) return this.fill(numel, 'float32', 0);
    const out = this.allocStorage(numel, 'float32');
    encodeMatmul(this.matmulContext, asGPU(a.storage).entry, asGPU(b.storage).entry, out.entry, args);
    return out;
  }

  stridedCopy(
    src: Storage, dst: Storage, dtype: DType, shape: readonly number[],
    srcStrides: readonly number[], srcOffset: number,
    dstStrides: readonly number[], dstOffset: number,
  ): void {
    dtypeCode(dtype);
    const numel = numelOf(shape);
    if (numel === 0) return;
    const merged = mergeDims(shape, [srcStrides, dstStrides], 'stridedCopy');
    const target = asGPU(dst).entry;
    let source = asGPU(src).entry;
    // A buffer cannot be bound both read-only and writable in one dispatch: read from a snapshot.
    const snapshot = source === target ? this.acquire(asGPU(src).numel, dtype) : undefined;
    if (snapshot) {
      this.queue.copy(source.buffer, snapshot.buffer, asGPU(src).numel * WORD_BYTES);
      source = snapshot;
    }
    const params = { n: numel, src_offset: srcOffset, dst_offset: dstOffset, dims: packDims(merged) };
    this.stream('copy', { RANK: Math.max(merged.shape.length, 1) }, [source, target], params, numel);
    if (snapshot) this.storagePool.release(snapshot, this.queue.batch);
  }

  random(numel: number, dtype: DType, args: RandomArgs): Storage {
    if (dtype !== 'float32') throw new DeviceError(`random on WebGPU produces float32, got ${dtype}`);
    const out = this.allocStorage(numel, dtype);
    const params = { n: numel, key0: args.key[0] >>> 0, key1: args.key[1] >>> 0, stream: args.stream >>> 0 };
    this.elementwise('random', { KIND: args.kind === 'uniform' ? 0 : 1 }, [out.entry], params, numel);
    return out;
  }

  optimizerUpdate(kind: OptimizerKind, param: Storage, grad: Storage, state: readonly Storage[], numel: number, dtype: DType, hyper: OptimizerHyper): void {
    if (dtype !== 'float32') throw new DeviceError(`optimizerUpdate on WebGPU takes float32 parameters, got ${dtype}`);
    // Kinds with fewer state buffers still bind three: never-read words, allocated once (three,
    // since writable bindings may not alias).
    this.optimizerPlaceholders ??= [this.acquire(1, 'float32'), this.acquire(1, 'float32'), this.acquire(1, 'float32')];
    const entries = state.map((s) => asGPU(s).entry);
    encodeOptimizerUpdate(this.kernels, this.queue, kind, asGPU(param).entry, asGPU(grad).entry, entries, this.optimizerPlaceholders, numel, hyper);
  }

  // ---- sequences, indexing, attention ----

  softmax(op: 'softmax' | 'logSoftmax', x: TensorRef, args: { variant?: RowVariant } = {}): Storage {
    const numel = numelOf(x.shape);
    const width = x.shape.at(-1) ?? 1;
    const out = this.allocStorage(numel, x.dtype);
    if (numel > 0) encodeSoftmax(this.kernels, this.queue, this.adapterInfo.isSoftware, op === 'logSoftmax', asGPU(x.storage).entry, out.entry, numel / width, width, args.variant);
    return out;
  }

  gather(x: TensorRef, index: TensorRef, axis: number): Storage {
    const out = this.allocStorage(numelOf(index.shape), x.dtype);
    if (numelOf(index.shape) > 0) encodeGather(this.kernels, this.queue, asGPU(x.storage).entry, x.shape, asGPU(index.storage).entry, index.shape, axis, out.entry);
    return out;
  }

  scatterAdd(src: TensorRef, index: TensorRef, axis: number, shape: readonly number[]): Storage {
    const out = asGPU(this.fill(numelOf(shape), src.dtype, 0));
    if (numelOf(index.shape) > 0) {
      encodeScatterAdd(this.kernels, this.queue, dtypeCode(src.dtype), asGPU(src.storage).entry, asGPU(index.storage).entry, index.shape, axis, out.entry, shape);
    }
    return out;
  }

  cumsum(x: TensorRef, axis: number): Storage {
    const out = this.allocStorage(numelOf(x.shape), x.dtype);
    if (numelOf(x.shape) > 0) encodeCumsum(this.kernels, this.queue, dtypeCode(x.dtype), asGPU(x.storage).entry, out.entry, x.shape, axis);
    return out;
  }

  sort(x: TensorRef, descending: boolean): [Storage, Storage] {
    const numel = numelOf(x.shape);
    const values = this.allocStorage(numel, x.dtype);
    const indices = this.allocStorage(numel, 'int32');
    if (numel > 0) encodeSort(this.kernels, this.queue, dtypeCode(x.dtype), descending, asGPU(x.storage).entry, values.entry, indices.entry, numel, x.shape.at(-1) ?? 1);
    return [values, indices];
  }

  attention(q: TensorRef, k: TensorRef, v: TensorRef, mask: TensorRef | null, args: { scale: number; causal: boolean }): [Storage, Storage] {
    return attentionForward(this.attentionContext(), q, k, v, mask, args);
  }

  attentionBackward(
    q: TensorRef, k: TensorRef, v: TensorRef, mask: TensorRef | null, lse: TensorRef, delta: TensorRef, dout: TensorRef,
    args: { scale: number; causal: boolean },
  ): [Storage, Storage, Storage] {
    return attentionBackward(this.attentionContext(), q, k, v, mask, lse, delta, dout, args);
  }

  private attentionContext(): AttentionContext {
    return { backend: this, kernels: this.kernels, queue: this.queue, placeholder: this.placeholder() };
  }

  lstmCell(xGates: TensorRef, hGates: TensorRef, bias: TensorRef | null, c: TensorRef): [Storage, Storage] {
    const [batch, hidden] = c.shape as [number, number];
    const h = this.allocStorage(batch * hidden, c.dtype);
    const cNext = this.allocStorage(batch * hidden, c.dtype);
    if (batch * hidden > 0) {
      encodeLstmCell(
        this.kernels, this.queue, asGPU(xGates.storage).entry, asGPU(hGates.storage).entry, bias && asGPU(bias.storage).entry,
        this.placeholder(), asGPU(c.storage).entry, h.entry, cNext.entry, batch, hidden,
      );
    }
    return [h, cNext];
  }

  private placeholder(): PooledBuffer {
    return (this.unusedInput ??= this.acquire(1, 'float32'));
  }

  // ---- convolution, pooling and normalisation statistics (src/backend/webgpu/conv.ts, pool2d.ts, moments.ts) ----

  conv2d(x: TensorRef, w: TensorRef, bias: TensorRef | null, args: Conv2dArgs, epilogue?: Epilogue): Storage {
    return conv.conv2d(this.spatial('conv2d', x, w), x, w, bias, args, epilogue);
  }

  conv2dGradInput(gy: TensorRef, w: TensorRef, inputShape: readonly [number, number, number, number], args: Conv2dArgs): Storage {
    return conv.conv2dGradInput(this.spatial('conv2dGradInput', gy, w), gy, w, inputShape, args);
  }

  conv2dGradWeight(x: TensorRef, gy: TensorRef, weightShape: readonly [number, number, number, number], args: Conv2dArgs): Storage {
    return conv.conv2dGradWeight(this.spatial('conv2dGradWeight', x, gy), x, gy, weightShape, args);
  }

  pool2d(op: 'max' | 'avg', x: TensorRef, args: Pool2dArgs): Storage {
    return pooling.pool2d(this.spatial('pool2d', x), op, x, args);
  }

  pool2dGrad(op: 'max' | 'avg', x: TensorRef, gy: TensorRef, args: Pool2dArgs): Storage {
    return pooling.pool2dGrad(this.spatial('pool2dGrad', x, gy), op, x, gy, args);
  }

  moments(x: TensorRef, axes: readonly number[], args: { variant?: MomentsVariant } = {}): [Storage, Storage] {
    return moments.moments(this.spatial('moments', x), x, axes, args.variant);
  }

  /** The launchers' view of this backend, after checking that every operand is float32. */
  private spatial(op: string, ...operands: TensorRef[]): SpatialContext {
    for (const t of operands) {
      if (t.dtype !== 'float32') throw new DeviceError(`${op} on WebGPU takes float32 tensors, got ${t.dtype}`);
    }
    return (this.spatialContext ??= {
      kernels: this.kernels,
      queue: this.queue,
      isSoftware: this.adapterInfo.isSoftware,
      hasSubgroups: this.device.features.has('subgroups'),
      alloc: (numel) => {
        const storage = this.allocStorage(numel, 'float32');
        return { storage, buffer: storage.entry };
      },
      zeros: (numel) => {
        const storage = this.fill(numel, 'float32', 0) as WebGPUStorage;
        return { storage, buffer: storage.entry };
      },
      release: (storage) => this.release(storage),
      bufferOf: (storage) => asGPU(storage).entry,
      copy: (src, dst, shape, srcStrides, srcOffset, dstStrides) => this.stridedCopy(src, dst, 'float32', shape, srcStrides, srcOffset, dstStrides, 0),
      sumRows: this.matmulContext.sumRows,
    });
  }

  /** Compiles `source` (with its `layout`) as a kernel and waits for its validation: a test hook for error reporting. */
  async compileKernelForTest(name: string, source: string, layout: KernelLayout, constants: Record<string, number> = {}): Promise<void> {
    this.kernels.compile(name, source, layout).pipeline(constants);
    await this.kernels.settle();
  }

  // ---- elementwise fusion (fusion.ts) ----

  /** Turns the elementwise fusion on or off (on by default); a pending chain runs first. */
  setFusion(enabled: boolean): void {
    this.fusion.flush();
    this.fusion.enabled = enabled;
  }

  /** Kernel dispatches recorded so far, and how many of them were fused chains. */
  dispatchCounts(): { dispatches: number; fusedChains: number } {
    this.fusion.flush();
    return { dispatches: this.queue.totalDispatches, fusedChains: this.fusion.fusedDispatches };
  }

  /** float32 operands each `numel` long or a single element, as fusion inputs; else null. */
  private fusableOperands(refs: readonly TensorRef[], numel: number): ChainInput[] | null {
    if (!this.fusion.enabled || numel === 0) return null;
    const operands: ChainInput[] = [];
    for (const ref of refs) {
      const count = numelOf(ref.shape);
      if (ref.dtype !== 'float32' || (count !== numel && count !== 1)) return null;
      operands.push({ storage: asGPU(ref.storage), scalar: count === 1 && numel > 1 });
    }
    return operands;
  }

  /** One recorded op as the plain kernel, as without fusion. */
  private dispatchAlone(step: FusedStep, operands: { entry: PooledBuffer; scalar: boolean }[], out: PooledBuffer, n: number): void {
    if (step.unary) {
      this.stream('unary', { OP: step.op, DTYPE: 0 }, [operands[0]!.entry, out], { n, param: step.param }, n);
      return;
    }
    const [a, b] = [operands[0]!, operands[1]!];
    const mode = a.scalar === b.scalar ? 0 : b.scalar ? 1 : 2;
    this.stream('binary', { OP: step.op, DTYPE: 0, MODE: mode, RANK: 1 }, [a.entry, b.entry, out], { n }, n);
  }

  // ---- helpers ----

  private acquire(numel: number, dtype: DType): PooledBuffer {
    const bytes = Math.max(numel, 1) * WORD_BYTES;
    if (bytes > this.maxBindingBytes) {
      throw new DeviceError(
        `cannot allocate ${bytes} bytes (${numel} ${dtype} elements) on WebGPU: over the device's storage binding limit of ${this.maxBindingBytes} bytes`,
      );
    }
    this.health.assertAlive();
    return this.storagePool.acquire(bytes);
  }

  private allocStorage(numel: number, dtype: DType): WebGPUStorage {
    return { backend: 'webgpu', entry: this.acquire(numel, dtype), numel, released: false };
  }

  /** A dispatch of one of the streaming kernels, which handle STREAM_BLOCK elements per workgroup. */
  private stream(
    kernel: 'fill' | 'unary' | 'binary' | 'where' | 'cast' | 'copy',
    constants: Record<string, number>, buffers: PooledBuffer[], params: Record<string, number | readonly number[]>, numel: number,
  ): void {
    if (numel === 0) return;
    this.queue.dispatch(this.kernels.get(kernel), constants, buffers, params, this.queue.grid1D(Math.ceil(numel / STREAM_BLOCK)));
  }

  private elementwise(
    kernel: 'argreduce' | 'random',
    constants: Record<string, number>, buffers: PooledBuffer[], params: Record<string, number | readonly number[]>, threads: number,
  ): void {
    if (threads === 0) return;
    this.queue.dispatch(this.kernels.get(kernel), constants, buffers, params, this.queue.grid1D(Math.ceil(threads / WG)));
  }
}

export async function createWebGPUBackend(opts: AcquireOptions = {}): Promise<WebGPUBackend> {
  return new WebGPUBackend(await acquireDevice(opts));
}
