/**
 * Tensor: a shape, a dtype, a device and a (reference-counted) dense storage, plus the autograd
 * fields `requiresGrad`, `grad` and `gradFn`.
 *
 * Tensors are immutable from the user's side: every op returns a new tensor. The one exception is
 * `assign_`, which swaps the storage under a parameter (what optimizers do), and is not recorded
 * by autograd.
 */
// `using` needs Symbol.dispose: kept in the declarations so consumers get the lib too.
/// <reference lib="esnext.disposable" preserve="true" />
import type { DType, DeviceName, HostArray, TensorRef } from './backend/backend.js';
import { DisposedTensorError, fmtShape } from './errors.js';
import { StorageHandle, trackTensor, untrackTensor } from './memory.js';
import { numel } from './shape.js';
import type { GradNode } from './autograd.js';
import { formatTensor, nestArray, type NestedArray } from './format.js';
import * as ops from './ops/index.js';
import { backward as runBackward } from './autograd.js';
import type { TensorLike } from './ops/core.js';
import type { Axes } from './ops/reduce.js';
import type { SliceSpec } from './ops/shapeops.js';

function flatArgs(args: number[] | [readonly number[]]): readonly number[] {
  return Array.isArray(args[0]) ? (args[0] as readonly number[]) : (args as number[]);
}

let nextId = 0;

/**
 * Every Tensor carries this brand (a registered symbol, the same in every copy of the package),
 * valued with its copy's token. A program that loads the package twice (`require` and `import`)
 * gets two Tensor classes; `instanceof` fails across them, and the brand lets ops tell a tensor of
 * the other copy (refused with a clear error) from a value that is not a tensor at all.
 */
export const TENSOR_BRAND: unique symbol = Symbol.for('@genlab/tensor.Tensor') as never;
/** This copy's token. */
export const TENSOR_COPY = Object.freeze({ copy: 'genlab' });

export class Tensor implements TensorRef {
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly device: DeviceName;
  /** Whether gradients flow to this tensor. Leaves set it; op outputs inherit it. */
  requiresGrad = false;
  /** The accumulated gradient of a leaf (or a non-leaf with `retainGrad()`), after `backward()`. */
  grad: Tensor | null = null;
  /** The op that produced this tensor, when it is part of a recorded graph. */
  gradFn: GradNode | null = null;
  /** Keep `.grad` on a non-leaf tensor during backward. */
  retainsGrad = false;

  private handle: StorageHandle | null;
  private readonly token = {};
  declare readonly [TENSOR_BRAND]: object;

  /** Internal: ops construct tensors; users call the creation functions (`tensor`, `zeros`, ...). */
  constructor(handle: StorageHandle, shape: readonly number[], dtype: DType, device: DeviceName) {
    this.handle = handle;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.device = device;
    trackTensor(this, handle, this.token);
  }

  get storage() {
    return this.liveHandle('storage').storage;
  }

  /** Internal: the storage handle, for ops that share storage (reshape) or read the backend. */
  liveHandle(op: string): StorageHandle {
    if (!this.handle) {
      throw new DisposedTensorError(`${op}: tensor #${this.id} with shape ${fmtShape(this.shape)} (${this.dtype}, ${this.device}) was disposed`);
    }
    return this.handle;
  }

  get rank(): number {
    return this.shape.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  get size(): number {
    return numel(this.shape);
  }

  get isDisposed(): boolean {
    return this.handle === null;
  }

  /** A leaf is a tensor no recorded op produced: user-created tensors and parameters. */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  dispose(): void {
    if (!this.handle) return;
    untrackTensor(this.handle, this.token);
    this.handle = null;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Internal: replace this tensor's values with `source`'s (same shape, dtype, device). Not recorded by autograd. */
  assign_(source: Tensor): this {
    ops.checkAssign(this, source);
    const h = source.liveHandle('assign_');
    h.retain();
    this.liveHandle('assign_').release();
    this.handle = h;
    return this;
  }

  // ---- autograd ----

  requiresGrad_(flag = true): this {
    ops.checkRequiresGrad(this, flag);
    this.requiresGrad = flag;
    return this;
  }

  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }

  /** A tensor sharing this one's storage, cut from the graph. */
  detach(): Tensor {
    return ops.detach(this);
  }

  /** Backpropagate from this tensor (a scalar unless `gradient` is given). */
  backward(gradient?: Tensor, opts: { createGraph?: boolean; retainGraph?: boolean } = {}): void {
    runBackward(this, gradient, opts);
  }


  // ---- op methods (the same functions as the top-level ops) ----

  add(other: TensorLike): Tensor { return ops.add(this, other); }
  sub(other: TensorLike): Tensor { return ops.sub(this, other); }
  mul(other: TensorLike): Tensor { return ops.mul(this, other); }
  div(other: TensorLike): Tensor { return ops.div(this, other); }
  pow(exponent: TensorLike): Tensor { return ops.pow(this, exponent); }
  neg(): Tensor { return ops.neg(this); }
  abs(): Tensor { return ops.abs(this); }
  exp(): Tensor { return ops.exp(this); }
  log(): Tensor { return ops.log(this); }
  sqrt(): Tensor { return ops.sqrt(this); }
  square(): Tensor { return ops.square(this); }
  tanh(): Tensor { return ops.tanh(this); }
  sigmoid(): Tensor { return ops.sigmoid(this); }
  relu(): Tensor { return ops.relu(this); }
  clamp(min?: TensorLike | null, max?: TensorLike | null): Tensor { return ops.clamp(this, min, max); }
  eq(other: TensorLike): Tensor { return ops.eq(this, other); }
  gt(other: TensorLike): Tensor { return ops.gt(this, other); }
  lt(other: TensorLike): Tensor { return ops.lt(this, other); }
  matmul(other: Tensor): Tensor { return ops.matmul(this, other); }

  sum(axes?: Axes, keepdim = false): Tensor { return ops.sum(this, axes, keepdim); }
  mean(axes?: Axes, keepdim = false): Tensor { return ops.mean(this, axes, keepdim); }
  max(axes?: Axes, keepdim = false): Tensor { return ops.max(this, axes, keepdim); }
  min(axes?: Axes, keepdim = false): Tensor { return ops.min(this, axes, keepdim); }
  argmax(axis?: number, keepdim = false): Tensor { return ops.argmax(this, axis, keepdim); }

  reshape(...shape: number[] | [readonly number[]]): Tensor { return ops.reshape(this, flatArgs(shape)); }
  view(...shape: number[] | [readonly number[]]): Tensor { return ops.reshape(this, flatArgs(shape)); }
  flatten(startDim = 0, endDim = -1): Tensor { return ops.flatten(this, startDim, endDim); }
  squeeze(axes?: number | readonly number[]): Tensor { return ops.squeeze(this, axes); }
  unsqueeze(axis: number): Tensor { return ops.unsqueeze(this, axis); }
  permute(...dims: number[] | [readonly number[]]): Tensor { return ops.permute(this, flatArgs(dims)); }
  transpose(dim0 = -2, dim1 = -1): Tensor { return ops.transpose(this, dim0, dim1); }
  expand(...shape: number[] | [readonly number[]]): Tensor { return ops.expand(this, flatArgs(shape)); }
  slice(specs: readonly SliceSpec[]): Tensor { return ops.slice(this, specs); }
  clone(): Tensor { return ops.clone(this); }
  cast(dtype: DType): Tensor { return ops.cast(this, dtype); }
  float(): Tensor { return ops.cast(this, 'float32'); }
  int(): Tensor { return ops.cast(this, 'int32'); }

  // ---- reading values ----

  async data(): Promise<HostArray> {
    const b = ops.backendOf(this, 'data');
    return b.read(this);
  }

  /** Values as a flat JS number array (booleans as 0/1). */
  async toArray(): Promise<number[]> {
    return Array.from(await this.data());
  }

  /** Values nested like the shape, as `tensor.tolist()` in PyTorch. */
  async array(): Promise<NestedArray> {
    return nestArray(Array.from(await this.data()), this.shape, this.dtype);
  }

  /** The value of a one-element tensor. */
  async item(): Promise<number> {
    ops.checkItem(this);
    return (await this.data())[0]!;
  }

  /** Synchronous read, only where the backend allows it (CPU). */
  dataSync(): HostArray {
    return ops.readSync(this, 'dataSync');
  }

  /** Copy to another device (asynchronous because reading from a GPU is). Detached from the graph. */
  async to(device: DeviceName): Promise<Tensor> {
    return ops.toDevice(this, device);
  }

  /** PyTorch-style printout with values; `toString()` is the synchronous summary. */
  async format(): Promise<string> {
    if (this.isDisposed) return this.toString();
    return formatTensor(Array.from(await this.data()), this.shape, this.dtype, this.device, this.requiresGrad);
  }

  async print(): Promise<void> {
    console.log(await this.format());
  }

  toString(): string {
    if (this.isDisposed) return `Tensor(disposed, shape=${fmtShape(this.shape)}, dtype=${this.dtype}, device=${this.device})`;
    if (this.device === 'cpu') {
      return formatTensor(Array.from(ops.readSync(this, 'toString')), this.shape, this.dtype, this.device, this.requiresGrad);
    }
    return `Tensor(shape=${fmtShape(this.shape)}, dtype=${this.dtype}, device=${this.device}${this.requiresGrad ? ', requiresGrad=true' : ''})`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}
Object.defineProperty(Tensor.prototype, TENSOR_BRAND, { value: TENSOR_COPY });
