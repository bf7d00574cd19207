/**
 * The wasm backend's primitives that run as TypeScript loops over typed-array views of the wasm
 * memory: the CPU reference's kernel functions, given views instead of their own arrays. Inputs
 * and outputs stay in the wasm heap (no copy, no JS-side tensor memory); the arithmetic is the
 * reference's float64, rounded once into float32 outputs. These are the primitives that are not
 * hot in training or not worth a SIMD kernel yet; wasm-backend.ts lists which is which.
 */
import type {
  ArgReduceOp, DType, HostArray, MatmulArgs, OptimizerHyper, OptimizerKind, Pool2dArgs, RandomArgs, ReduceOp,
  Storage, TensorRef,
} from '../backend';
import { philoxFill } from '../../random';
import { where } from '../cpu/binary';
import { cast } from '../cpu/cast';
import { attention, attentionBackward } from '../cpu/attention';
import { cumsum } from '../cpu/cumsum';
import { gather, scatterAdd } from '../cpu/gather';
import { forEachRow, numel, simplifyLoop } from '../cpu/iterate';
import { lstmCell } from '../cpu/lstm';
import { matmul } from '../cpu/matmul';
import { moments } from '../cpu/moments';
import { optimizerUpdate } from '../cpu/optimizer';
import { pool2d, pool2dGrad, pool2dOutputShape } from '../cpu/pool2d';
import { argReduce, reduce, reducedShape, reduceOutputDType } from '../cpu/reduce';
import { softmax } from '../cpu/softmax';
import { sort } from '../cpu/sort';
import { stridedCopy } from '../cpu/strided-copy';

export interface WasmStorage extends Storage {
  readonly backend: 'wasm';
  /** Byte address in the wasm memory. */
  readonly ptr: number;
  readonly numel: number;
  readonly dtype: DType;
  live: boolean;
}

type Shape4 = readonly [number, number, number, number];
type AttentionArgs = { scale: number; causal: boolean };

export abstract class ReferenceKernels {
  abstract alloc(size: number, dtype: DType): WasmStorage;
  abstract view(storage: Storage, dtype?: DType): HostArray;
  abstract own(storage: Storage, op: string): WasmStorage;

  /** The view of an input's storage. */
  protected data(ref: TensorRef): HostArray {
    return this.view(ref.storage);
  }

  where(cond: TensorRef, a: TensorRef, b: TensorRef, outShape: readonly number[]): WasmStorage {
    const out = this.alloc(numel(outShape), a.dtype);
    const operand = (r: TensorRef) => ({ data: this.data(r), shape: r.shape });
    where(operand(cond), operand(a), operand(b), this.view(out), outShape);
    return out;
  }

  cast(x: TensorRef, dtype: DType): WasmStorage {
    const out = this.alloc(numel(x.shape), dtype);
    cast(this.data(x), x.dtype, this.view(out), dtype);
    return out;
  }

  reduce(op: ReduceOp, x: TensorRef, axes: readonly number[]): WasmStorage {
    const out = this.alloc(numel(reducedShape(x.shape, axes)), reduceOutputDType(op, x.dtype));
    reduce(op, this.data(x), x.dtype, x.shape, axes, this.view(out));
    return out;
  }

  argReduce(op: ArgReduceOp, x: TensorRef, axis: number): WasmStorage {
    const out = this.alloc(numel(reducedShape(x.shape, [axis])), 'int32');
    argReduce(op, this.data(x), x.shape, axis, this.view(out));
    return out;
  }

  /** int32 matmul (float32 goes to the wasm GEMM): the reference's float64 path, exact below 2^53. */
  matmulInt32(a: TensorRef, b: TensorRef, args: MatmulArgs): WasmStorage {
    const out = this.alloc(args.batch * args.m * args.n, a.dtype);
    matmul(this.data(a), this.data(b), this.view(out), args);
    return out;
  }

  stridedCopy(
    src: Storage, dst: Storage, dtype: DType, shape: readonly number[],
    srcStrides: readonly number[], srcOffset: number, dstStrides: readonly number[], dstOffset: number,
  ): void {
    const [from, to] = [this.view(src, dtype), this.view(dst, dtype)];
    // Every view shares the one wasm buffer, so the reference would always copy its source first
    // (its guard against overlap); that is needed only when source and destination are one storage.
    if (src === dst) return stridedCopy(from, to, shape, srcStrides, srcOffset, dstStrides, dstOffset);
    const nest = simplifyLoop(shape, [srcStrides, dstStrides]);
    const inner = nest.shape.at(-1)!;
    const [ss, ds] = nest.strides.map((s) => s.at(-1)!) as [number, number];
    forEachRow(nest, [srcOffset, dstOffset], ([ps, pd]) => {
      if (ss === 1 && ds === 1) to.set(from.subarray(ps!, ps! + inner), pd);
      else for (let j = 0; j < inner; j++) to[pd! + j * ds] = from[ps! + j * ss]!;
    });
  }

  random(size: number, dtype: DType, args: RandomArgs): WasmStorage {
    const out = this.alloc(size, dtype);
    philoxFill(this.view(out) as Float32Array, args.kind, args.key, args.stream);
    return out;
  }

  pool2d(op: 'max' | 'avg', x: TensorRef, args: Pool2dArgs): WasmStorage {
    const out = this.alloc(numel(pool2dOutputShape(x.shape as Shape4, args)), x.dtype);
    pool2d(op, this.data(x), x.shape as Shape4, args, this.view(out));
    return out;
  }

  pool2dGrad(op: 'max' | 'avg', x: TensorRef, gy: TensorRef, args: Pool2dArgs): WasmStorage {
    const out = this.alloc(numel(x.shape), x.dtype);
    pool2dGrad(op, this.data(x), x.shape as Shape4, this.data(gy), args, this.view(out));
    return out;
  }

  moments(x: TensorRef, axes: readonly number[]): [WasmStorage, WasmStorage] {
    const slots = numel(reducedShape(x.shape, axes));
    const [mean, variance] = [this.alloc(slots, x.dtype), this.alloc(slots, x.dtype)];
    moments(this.data(x), x.shape, axes, this.view(mean), this.view(variance));
    return [mean, variance];
  }

  softmax(op: 'softmax' | 'logSoftmax', x: TensorRef): WasmStorage {
    const out = this.alloc(numel(x.shape), x.dtype);
    softmax(op, this.data(x), this.view(out), x.shape.at(-1) ?? 1);
    return out;
  }

  gather(x: TensorRef, index: TensorRef, axis: number): WasmStorage {
    const out = this.alloc(numel(index.shape), x.dtype);
    gather(this.data(x), x.shape, this.data(index), index.shape, axis, this.view(out));
    return out;
  }

  scatterAdd(src: TensorRef, index: TensorRef, axis: number, shape: readonly number[]): WasmStorage {
    const out = this.alloc(numel(shape), src.dtype);
    scatterAdd(this.data(src), this.data(index), index.shape, axis, shape, this.view(out));
    return out;
  }

  cumsum(x: TensorRef, axis: number): WasmStorage {
    const out = this.alloc(numel(x.shape), x.dtype);
    cumsum(this.data(x), x.dtype, x.shape, axis, this.view(out));
    return out;
  }

  sort(x: TensorRef, descending: boolean): [WasmStorage, WasmStorage] {
    const [values, indices] = [this.alloc(numel(x.shape), x.dtype), this.alloc(numel(x.shape), 'int32')];
    sort(this.data(x), x.shape.at(-1) ?? 1, descending, this.view(values), this.view(indices));
    return [values, indices];
  }

  attention(q: TensorRef, k: TensorRef, v: TensorRef, mask: TensorRef | null, args: AttentionArgs): [WasmStorage, WasmStorage] {
    const dims = attentionDims(q, k, v);
    const out = this.alloc(dims.batch * dims.heads * dims.queries * dims.valueDepth, q.dtype);
    const lse = this.alloc(dims.batch * dims.heads * dims.queries, q.dtype);
    const maskData = mask && { data: this.data(mask), shape: mask.shape };
    attention(this.data(q), this.data(k), this.data(v), maskData, dims, args.scale, args.causal, this.view(out), this.view(lse));
    return [out, lse];
  }

  attentionBackward(
    q: TensorRef, k: TensorRef, v: TensorRef, mask: TensorRef | null, lse: TensorRef, delta: TensorRef, dout: TensorRef, args: AttentionArgs,
  ): [WasmStorage, WasmStorage, WasmStorage] {
    const [dq, dk, dv] = [q, k, v].map((t) => this.alloc(numel(t.shape), t.dtype)) as [WasmStorage, WasmStorage, WasmStorage];
    const maskData = mask && { data: this.data(mask), shape: mask.shape };
    attentionBackward(
      this.data(q), this.data(k), this.data(v), maskData, this.data(lse), this.data(delta), this.data(dout),
      attentionDims(q, k, v), args.scale, args.causal, this.view(dq), this.view(dk), this.view(dv),
    );
    return [dq, dk, dv];
  }

  lstmCell(xGates: TensorRef, hGates: TensorRef, bias: TensorRef | null, c: TensorRef): [WasmStorage, WasmStorage] {
    const [batch, hidden] = c.shape as [number, number];
    const [h, cNext] = [this.alloc(batch * hidden, c.dtype), this.alloc(batch * hidden, c.dtype)];
    lstmCell(this.data(xGates), this.data(hGates), bias && this.data(bias), this.data(c), batch, hidden, this.view(h), this.view(cNext));
    return [h, cNext];
  }

  optimizerUpdate(kind: OptimizerKind, param: Storage, grad: Storage, state: readonly Storage[], _numel: number, _dtype: DType, hyper: OptimizerHyper): void {
    const floats = (s: Storage) => this.view(s) as Float32Array;
    optimizerUpdate(kind, floats(param), floats(grad), state.map(floats), hyper);
  }
}

function attentionDims(q: TensorRef, k: TensorRef, v: TensorRef) {
  const [batch, heads, queries, depth] = q.shape as [number, number, number, number];
  return { batch, heads, queries, keys: k.shape[2]!, depth, valueDepth: v.shape[3]! };
}
