/**
 * The CPU reference backend: every primitive of the kernel contract in plain TypeScript over typed
 * arrays, float64 included. It runs synchronously, so `read` resolves at once and `readSync` exists.
 */
import {
  hostArrayFor,
  type ArgReduceOp, type Backend, type BackendMemory, type BinaryOp, type DType, type HostArray,
  type MatmulArgs, type RandomArgs, type ReduceOp, type Storage, type TensorRef, type UnaryOp,
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

function operand(ref: TensorRef, op: string): Operand {
  return { data: dataOf(ref.storage, op), shape: ref.shape };
}
