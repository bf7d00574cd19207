/**
 * The CPU reference backend: every primitive of the kernel contract in plain TypeScript over typed
 * arrays, float64 included. It runs synchronously, so `read` resolves at once and `readSync` exists.
 */
import {
  hostArrayFor,
  type ArgReduceOp, type Backend, type BackendMemory, type BinaryOp, type DType, type HostArray,
  type MatmulArgs, type RandomArgs, type ReduceOp, type Storage, type TensorRef, type UnaryOp,
  type OptimizerHyper, type OptimizerKind,
  type Conv2dArgs, type Epilogue, type Pool2dArgs,
} from '../backend';
import { DeviceError } from '../../errors';
import { philoxFill } from '../../random';
import { binary, binaryOutputDType, where, type Operand } from './binary';
import { cast, scalarFor } from './cast';
import { numel } from './iterate';
import { matmul } from './matmul';
import { argReduce, reduce, reducedShape, reduceOutputDType } from './reduce';
import { stridedCopy } from './strided-copy';
import { unary, unaryOutputDType } from './unary';
import { optimizerUpdate } from './optimizer';
import { attention, attentionBackward } from './attention';
import { cumsum } from './cumsum';
import { gather, scatterAdd } from './gather';
import { lstmCell } from './lstm';
import { softmax } from './softmax';
import { sort } from './sort';
import { conv2d, conv2dGradInput, conv2dGradWeight, conv2dOutputShape } from './conv';
import { moments } from './moments';
import { pool2d, pool2dGrad, pool2dOutputShape } from './pool2d';

export interface CpuStorage extends Storage {
  readonly backend: 'cpu';
  readonly data: HostArray;
}

/** Keeps every element index representable as int32 (argmax results, shader indices). */
const MAX_ELEMENTS = 2 ** 31 - 1;

export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  readonly supportsFloat64 = true;
  private allocatedBytes = 0;
  /** Storages not yet released, so a second `release` of one storage is harmless. */
  private readonly live = new WeakSet<CpuStorage>();

  /** The same for every dtype: the limit is the index range, not bytes. */
  maxElements(_dtype: DType): number {
    return MAX_ELEMENTS;
  }

  // ---- memory ----

  upload(data: HostArray, dtype: DType): CpuStorage {
    const storage = this.alloc(data.length, dtype);
    if (dtype === 'bool') {
      for (let i = 0; i < data.length; i++) storage.data[i] = data[i] !== 0 ? 1 : 0;
    } else {
      storage.data.set(data);
    }
    return storage;
  }

  alloc(size: number, dtype: DType): CpuStorage {
    if (size > MAX_ELEMENTS) {
      throw new DeviceError(`cpu alloc: ${size} elements of ${dtype} is over the limit of ${MAX_ELEMENTS}`);
    }
    return this.track(hostArrayFor(dtype, size));
  }

  release(storage: Storage): void {
    const cpu = asCpu(storage, 'release');
    if (!this.live.delete(cpu)) return;
    this.allocatedBytes -= cpu.data.byteLength;
  }

  read(ref: TensorRef): Promise<HostArray> {
    return Promise.resolve(this.readSync(ref));
  }

  readSync(ref: TensorRef): HostArray {
    return dataOf(ref.storage, 'read').slice();
  }

  flush(): void {}

  sync(): Promise<void> {
    return Promise.resolve();
  }

  /** Nothing is pooled: the JS garbage collector owns host memory. */
  memory(): BackendMemory {
    return { pooledBytes: 0, allocatedBytes: this.allocatedBytes };
  }

  trimPool(): void {}

  // ---- kernels ----

  fill(size: number, dtype: DType, value: number): CpuStorage {
    const storage = this.alloc(size, dtype);
    storage.data.fill(scalarFor(dtype, value));
    return storage;
  }

  unary(op: UnaryOp, x: TensorRef, param?: number): CpuStorage {
    const out = this.alloc(numel(x.shape), unaryOutputDType(op, x.dtype));
    unary(op, dataOf(x.storage, op), x.dtype, out.data, param);
    return out;
  }

  binary(op: BinaryOp, a: TensorRef, b: TensorRef, outShape: readonly number[]): CpuStorage {
    const out = this.alloc(numel(outShape), binaryOutputDType(op, a.dtype));
    binary(op, a.dtype, operand(a, op), operand(b, op), out.data, outShape);
    return out;
  }

  where(cond: TensorRef, a: TensorRef, b: TensorRef, outShape: readonly number[]): CpuStorage {
    const out = this.alloc(numel(outShape), a.dtype);
    where(operand(cond, 'where'), operand(a, 'where'), operand(b, 'where'), out.data, outShape);
    return out;
  }

  cast(x: TensorRef, dtype: DType): CpuStorage {
    const out = this.alloc(numel(x.shape), dtype);
    cast(dataOf(x.storage, 'cast'), x.dtype, out.data, dtype);
    return out;
  }

  reduce(op: ReduceOp, x: TensorRef, axes: readonly number[]): CpuStorage {
    const out = this.alloc(numel(reducedShape(x.shape, axes)), reduceOutputDType(op, x.dtype));
    reduce(op, dataOf(x.storage, op), x.dtype, x.shape, axes, out.data);
    return out;
  }

  argReduce(op: ArgReduceOp, x: TensorRef, axis: number): CpuStorage {
    const out = this.alloc(numel(reducedShape(x.shape, [axis])), 'int32');
    argReduce(op, dataOf(x.storage, op), x.shape, axis, out.data);
    return out;
  }

  matmul(a: TensorRef, b: TensorRef, args: MatmulArgs): CpuStorage {
    const out = this.alloc(args.batch * args.m * args.n, a.dtype);
    matmul(dataOf(a.storage, 'matmul'), dataOf(b.storage, 'matmul'), out.data, args);
    return out;
  }

  stridedCopy(
    src: Storage, dst: Storage, _dtype: DType, shape: readonly number[],
    srcStrides: readonly number[], srcOffset: number,
    dstStrides: readonly number[], dstOffset: number,
  ): void {
    stridedCopy(
      dataOf(src, 'stridedCopy'), dataOf(dst, 'stridedCopy'), shape,
      srcStrides, srcOffset, dstStrides, dstOffset,
    );
  }

  random(size: number, dtype: DType, args: RandomArgs): CpuStorage {
    const out = this.alloc(size, dtype);
    philoxFill(out.data as Float32Array | Float64Array, args.kind, args.key, args.stream);
    return out;
  }

  // ---- convolution, pooling and normalisation statistics (NCHW) ----

  conv2d(x: TensorRef, w: TensorRef, bias: TensorRef | null, args: Conv2dArgs, epilogue?: Epilogue): CpuStorage {
    const yShape = conv2dOutputShape(shape4(x), shape4(w), args);
    const out = this.alloc(numel(yShape), x.dtype);
    conv2d(dataOf(x.storage, 'conv2d'), shape4(x), dataOf(w.storage, 'conv2d'), shape4(w), bias && dataOf(bias.storage, 'conv2d'), args, epilogue, out.data);
    return out;
  }

  conv2dGradInput(gy: TensorRef, w: TensorRef, inputShape: readonly [number, number, number, number], args: Conv2dArgs): CpuStorage {
    const out = this.alloc(numel(inputShape), gy.dtype);
    conv2dGradInput(dataOf(gy.storage, 'conv2dGradInput'), shape4(gy), dataOf(w.storage, 'conv2dGradInput'), shape4(w), inputShape, args, out.data);
    return out;
  }

  conv2dGradWeight(x: TensorRef, gy: TensorRef, weightShape: readonly [number, number, number, number], args: Conv2dArgs): CpuStorage {
    const out = this.alloc(numel(weightShape), x.dtype);
    conv2dGradWeight(dataOf(x.storage, 'conv2dGradWeight'), shape4(x), dataOf(gy.storage, 'conv2dGradWeight'), shape4(gy), weightShape, args, out.data);
    return out;
  }

  pool2d(op: 'max' | 'avg', x: TensorRef, args: Pool2dArgs): CpuStorage {
    const out = this.alloc(numel(pool2dOutputShape(shape4(x), args)), x.dtype);
    pool2d(op, dataOf(x.storage, 'pool2d'), shape4(x), args, out.data);
    return out;
  }

  pool2dGrad(op: 'max' | 'avg', x: TensorRef, gy: TensorRef, args: Pool2dArgs): CpuStorage {
    const out = this.alloc(numel(x.shape), x.dtype);
    pool2dGrad(op, dataOf(x.storage, 'pool2dGrad'), shape4(x), dataOf(gy.storage, 'pool2dGrad'), args, out.data);
    return out;
  }

  moments(x: TensorRef, axes: readonly number[]): [CpuStorage, CpuStorage] {
    const slots = numel(reducedShape(x.shape, axes));
    const mean = this.alloc(slots, x.dtype);
    const variance = this.alloc(slots, x.dtype);
    moments(dataOf(x.storage, 'moments'), x.shape, axes, mean.data, variance.data);
    return [mean, variance];
  }

  // ---- sequences, indexing, attention ----

  softmax(op: 'softmax' | 'logSoftmax', x: TensorRef): CpuStorage {
    const out = this.alloc(numel(x.shape), x.dtype);
    softmax(op, dataOf(x.storage, op), out.data, x.shape.at(-1) ?? 1);
    return out;
  }

  gather(x: TensorRef, index: TensorRef, axis: number): CpuStorage {
    const out = this.alloc(numel(index.shape), x.dtype);
    gather(dataOf(x.storage, 'gather'), x.shape, dataOf(index.storage, 'gather'), index.shape, axis, out.data);
    return out;
  }

  scatterAdd(src: TensorRef, index: TensorRef, axis: number, shape: readonly number[]): CpuStorage {
    const out = this.alloc(numel(shape), src.dtype);
    scatterAdd(dataOf(src.storage, 'scatterAdd'), dataOf(index.storage, 'scatterAdd'), index.shape, axis, shape, out.data);
    return out;
  }

  cumsum(x: TensorRef, axis: number): CpuStorage {
    const out = this.alloc(numel(x.shape), x.dtype);
    cumsum(dataOf(x.storage, 'cumsum'), x.dtype, x.shape, axis, out.data);
    return out;
  }

  sort(x: TensorRef, descending: boolean): [CpuStorage, CpuStorage] {
    const values = this.alloc(numel(x.shape), x.dtype);
    const indices = this.alloc(numel(x.shape), 'int32');
    sort(dataOf(x.storage, 'sort'), x.shape.at(-1) ?? 1, descending, values.data, indices.data);
    return [values, indices];
  }

  attention(q: TensorRef, k: TensorRef, v: TensorRef, mask: TensorRef | null, args: { scale: number; causal: boolean }): [CpuStorage, CpuStorage] {
    const [batch, heads, queries, depth] = q.shape as [number, number, number, number];
    const [keys, valueDepth] = [k.shape[2]!, v.shape[3]!];
    const out = this.alloc(batch * heads * queries * valueDepth, q.dtype);
    const lse = this.alloc(batch * heads * queries, q.dtype);
    attention(
      dataOf(q.storage, 'attention'), dataOf(k.storage, 'attention'), dataOf(v.storage, 'attention'),
      mask && { data: dataOf(mask.storage, 'attention'), shape: mask.shape },
      { batch, heads, queries, keys, depth, valueDepth }, args.scale, args.causal, out.data, lse.data,
    );
    return [out, lse];
  }

  attentionBackward(
    q: TensorRef, k: TensorRef, v: TensorRef, mask: TensorRef | null, lse: TensorRef, delta: TensorRef, dout: TensorRef,
    args: { scale: number; causal: boolean },
  ): [CpuStorage, CpuStorage, CpuStorage] {
    const [batch, heads, queries, depth] = q.shape as [number, number, number, number];
    const [keys, valueDepth] = [k.shape[2]!, v.shape[3]!];
    const [dq, dk, dv] = [q, k, v].map((t) => this.alloc(numel(t.shape), t.dtype)) as [CpuStorage, CpuStorage, CpuStorage];
    const data = (t: TensorRef) => dataOf(t.storage, 'attentionBackward');
    attentionBackward(
      data(q), data(k), data(v), mask && { data: data(mask), shape: mask.shape }, data(lse), data(delta), data(dout),
      { batch, heads, queries, keys, depth, valueDepth }, args.scale, args.causal, dq.data, dk.data, dv.data,
    );
    return [dq, dk, dv];
  }

  lstmCell(xGates: TensorRef, hGates: TensorRef, bias: TensorRef | null, c: TensorRef): [CpuStorage, CpuStorage] {
    const [batch, hidden] = c.shape as [number, number];
    const h = this.alloc(batch * hidden, c.dtype);
    const cNext = this.alloc(batch * hidden, c.dtype);
    lstmCell(
      dataOf(xGates.storage, 'lstmCell'), dataOf(hGates.storage, 'lstmCell'), bias && dataOf(bias.storage, 'lstmCell'),
      dataOf(c.storage, 'lstmCell'), batch, hidden, h.data, cNext.data,
    );
    return [h, cNext];
  }

  // ---- optimizers ----

  optimizerUpdate(kind: OptimizerKind, param: Storage, grad: Storage, state: readonly Storage[], _numel: number, _dtype: DType, hyper: OptimizerHyper): void {
    const floats = (s: Storage) => dataOf(s, 'optimizerUpdate') as Float32Array | Float64Array;
    optimizerUpdate(kind, floats(param), floats(grad), state.map(floats), hyper);
  }

  private track(data: HostArray): CpuStorage {
    const storage: CpuStorage = { backend: 'cpu', data };
    this.live.add(storage);
    this.allocatedBytes += data.byteLength;
    return storage;
  }
}

export const cpuBackend = new CpuBackend();

function asCpu(storage: Storage, op: string): CpuStorage {
  if (storage.backend !== 'cpu') {
    throw new DeviceError(`cpu ${op}: got a storage of the ${storage.backend} backend; move the tensor to the cpu first`);
  }
  return storage as CpuStorage;
}

function dataOf(storage: Storage, op: string): HostArray {
  return asCpu(storage, op).data;
}

function shape4(ref: TensorRef): readonly [number, number, number, number] {
  return ref.shape as readonly [number, number, number, number];
}

function operand(ref: TensorRef, op: string): Operand {
  return { data: dataOf(ref.storage, op), shape: ref.shape };
}
