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

/**
 * An n-dimensional array on a device (`'cpu'`, `'wasm'` or `'webgpu'`) with reverse-mode autograd,
 * like `torch.Tensor`. Create one with `tensor`, `zeros`, `randn`, ...; every op returns a new
 * tensor, and `dispose()` (or `tidy`) frees its storage.
 */
export class Tensor implements TensorRef {
  /** A process-wide number, unique per tensor (shown in memory and disposal errors). */
  readonly id = nextId++;
  /** The size of every dimension, outermost first (`[]` for a scalar), frozen. */
  readonly shape: readonly number[];
  /** The element type: `'float32'`, `'int32'`, `'bool'`, or `'float64'` (CPU backend only). */
  readonly dtype: DType;
  /** Where the storage lives: `'cpu'`, `'wasm'` or `'webgpu'`. */
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

  /** Internal: the backend's storage object. Throws `DisposedTensorError` after `dispose()`. */
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

  /** The number of dimensions (`shape.length`); `tensor.dim()` in PyTorch. */
  get rank(): number {
    return this.shape.length;
  }

  /** The number of dimensions, as `tensor.ndim` in PyTorch (same as `rank`). */
  get ndim(): number {
    return this.shape.length;
  }

  /** The number of elements (the product of the shape), as `tensor.numel()` in PyTorch. */
  get size(): number {
    return numel(this.shape);
  }

  /**
   * Whether `dispose()` has freed this tensor's storage; reads and ops on it then throw
   * `DisposedTensorError`.
   */
  get isDisposed(): boolean {
    return this.handle === null;
  }

  /** A leaf is a tensor no recorded op produced: user-created tensors and parameters. */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /**
   * Release this tensor's storage (shared views keep it alive until they are disposed too).
   * Idempotent; `using t = ...` calls it at the end of the block.
   */
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

  /**
   * Mark a leaf as needing gradients (in place, returns `this`), as `tensor.requires_grad_()`.
   * Throws for non-float tensors and for non-leaves.
   */
  requiresGrad_(flag = true): this {
    ops.checkRequiresGrad(this, flag);
    this.requiresGrad = flag;
    return this;
  }

  /** Keep `.grad` on this non-leaf tensor during `backward()`, as `tensor.retain_grad()`. */
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

  /** `this + other`, broadcasting; see the `add` function. */
  add(other: TensorLike): Tensor { return ops.add(this, other); }
  /** `this - other`, broadcasting; see the `sub` function. */
  sub(other: TensorLike): Tensor { return ops.sub(this, other); }
  /** `this * other`, elementwise with broadcasting; see the `mul` function. */
  mul(other: TensorLike): Tensor { return ops.mul(this, other); }
  /** `this / other`, true division with broadcasting; see the `div` function. */
  div(other: TensorLike): Tensor { return ops.div(this, other); }
  /** `this ** exponent`, broadcasting; see the `pow` function. */
  pow(exponent: TensorLike): Tensor { return ops.pow(this, exponent); }
  /** `-this`, elementwise. */
  neg(): Tensor { return ops.neg(this); }
  /** `|this|`, elementwise. */
  abs(): Tensor { return ops.abs(this); }
  /** `e ** this`, elementwise. */
  exp(): Tensor { return ops.exp(this); }
  /** The natural logarithm, elementwise (NaN below 0, -Infinity at 0). */
  log(): Tensor { return ops.log(this); }
  /** The square root, elementwise. */
  sqrt(): Tensor { return ops.sqrt(this); }
  /** `this * this`, elementwise. */
  square(): Tensor { return ops.square(this); }
  /** The hyperbolic tangent, elementwise. */
  tanh(): Tensor { return ops.tanh(this); }
  /** `1 / (1 + e ** -this)`, elementwise. */
  sigmoid(): Tensor { return ops.sigmoid(this); }
  /** `max(this, 0)`, elementwise. */
  relu(): Tensor { return ops.relu(this); }
  /** Values limited to `[min, max]` (either may be omitted or null), as `torch.clamp`. */
  clamp(min?: TensorLike | null, max?: TensorLike | null): Tensor { return ops.clamp(this, min, max); }
  /** `this == other` as a bool tensor, broadcasting. */
  eq(other: TensorLike): Tensor { return ops.eq(this, other); }
  /** `this > other` as a bool tensor, broadcasting. */
  gt(other: TensorLike): Tensor { return ops.gt(this, other); }
  /** `this < other` as a bool tensor, broadcasting. */
  lt(other: TensorLike): Tensor { return ops.lt(this, other); }
  /**
   * The matrix product `this @ other`, batched and broadcast as `torch.matmul`; see the `matmul`
   * function.
   */
  matmul(other: Tensor): Tensor { return ops.matmul(this, other); }

  /** The sum over `axes` (all of them by default), as `tensor.sum(dim, keepdim)`. */
  sum(axes?: Axes, keepdim = false): Tensor { return ops.sum(this, axes, keepdim); }
  /** The mean over `axes` (all of them by default), as `tensor.mean(dim, keepdim)`. */
  mean(axes?: Axes, keepdim = false): Tensor { return ops.mean(this, axes, keepdim); }
  /** The maximum over `axes` (all of them by default), as `tensor.amax(dim, keepdim)`. */
  max(axes?: Axes, keepdim = false): Tensor { return ops.max(this, axes, keepdim); }
  /** The minimum over `axes` (all of them by default), as `tensor.amin(dim, keepdim)`. */
  min(axes?: Axes, keepdim = false): Tensor { return ops.min(this, axes, keepdim); }
  /**
   * The int32 index of the maximum along `axis` (of the flattened tensor by default), as
   * `tensor.argmax`.
   */
  argmax(axis?: number, keepdim = false): Tensor { return ops.argmax(this, axis, keepdim); }

  /**
   * The same values in a new shape (one dimension may be -1), sharing storage; as `tensor.reshape`.
   */
  reshape(...shape: number[] | [readonly number[]]): Tensor { return ops.reshape(this, flatArgs(shape)); }
  /** Same as `reshape` (storage is always dense, so a view never needs a copy). */
  view(...shape: number[] | [readonly number[]]): Tensor { return ops.reshape(this, flatArgs(shape)); }
  /** Dimensions `startDim..endDim` merged into one, as `tensor.flatten`. */
  flatten(startDim = 0, endDim = -1): Tensor { return ops.flatten(this, startDim, endDim); }
  /** Size-1 dimensions removed (all of them, or those in `axes`), as `tensor.squeeze`. */
  squeeze(axes?: number | readonly number[]): Tensor { return ops.squeeze(this, axes); }
  /** A size-1 dimension inserted at `axis`, as `tensor.unsqueeze`. */
  unsqueeze(axis: number): Tensor { return ops.unsqueeze(this, axis); }
  /**
   * Dimensions reordered (`dims` lists the source dimension of each output one), as
   * `tensor.permute`.
   */
  permute(...dims: number[] | [readonly number[]]): Tensor { return ops.permute(this, flatArgs(dims)); }
  /** Two dimensions swapped (the last two by default), as `tensor.transpose`. */
  transpose(dim0 = -2, dim1 = -1): Tensor { return ops.transpose(this, dim0, dim1); }
  /** Size-1 dimensions broadcast to `shape` (-1 keeps a size), as `tensor.expand`. */
  expand(...shape: number[] | [readonly number[]]): Tensor { return ops.expand(this, flatArgs(shape)); }
  /**
   * A slice: one spec per leading dimension (an index, or `[start, end, step]`); see the `slice`
   * function.
   */
  slice(specs: readonly SliceSpec[]): Tensor { return ops.slice(this, specs); }
  /**
   * A copy with its own storage, recorded by autograd (gradients flow through it), as
   * `tensor.clone()`.
   */
  clone(): Tensor { return ops.clone(this); }
  /** The values converted to `dtype`, as `tensor.to(dtype)`. */
  cast(dtype: DType): Tensor { return ops.cast(this, dtype); }
  /** The values as float32, as `tensor.float()`. */
  float(): Tensor { return ops.cast(this, 'float32'); }
  /** The values as int32 (truncated toward zero), as `tensor.int()`. */
  int(): Tensor { return ops.cast(this, 'int32'); }

  // ---- reading values ----

  /**
   * The values as a typed array (`Float32Array`, `Int32Array`, `Uint8Array` for bool,
   * `Float64Array`), read asynchronously (a GPU read waits for queued work).
   */
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

  /** Print `format()`'s PyTorch-style text with the values to the console. */
  async print(): Promise<void> {
    console.log(await this.format());
  }

  /**
   * A CPU tensor's values in PyTorch's layout; for other devices, a summary of shape, dtype and
   * device (reading them would be asynchronous).
   */
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
