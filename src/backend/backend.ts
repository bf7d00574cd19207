/**
 * The kernel contract both backends implement.
 *
 * Everything above this file (ops, autograd, nn) talks to a backend only through this interface.
 * Storage is always dense and row-major (C-contiguous): views that reorder elements (permute,
 * slice with steps, expand) are materialised by `stridedCopy`, while reshape shares storage. That
 * keeps every kernel simple and every primitive's input layout known.
 *
 * Conventions every primitive follows:
 * - Inputs are `TensorRef`s; the backend never mutates an input's storage, except the explicit
 *   destination of `stridedCopy`.
 * - Outputs are fresh storages owned by the caller, who releases them with `release`.
 * - Arguments have already been validated by the ops layer (shapes, dtypes, axes); a backend may
 *   assume they are valid. Backends throw only for device-level problems (`DeviceError`:
 *   allocation over the device's binding limit, lost device, missing primitive).
 * - Work may be queued: a backend may return before the computation is done, as long as later
 *   primitives and `read` observe results in program order.
 */

/**
 * Element types: `float32` (the default), `int32` (indices, labels), `bool` (masks, one byte each)
 * and `float64` (CPU backend only, for gradient checks).
 */
export type DType = 'float32' | 'float64' | 'int32' | 'bool';
/**
 * The backends: `'cpu'` (always there), `'wasm'` (after `initWasm()`), `'webgpu'` (after
 * `initWebGPU()`).
 */
export type DeviceName = 'cpu' | 'webgpu' | 'wasm';

/** Host arrays per dtype. `bool` is held as one byte per element on the host. */
export type HostArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** An opaque per-backend handle to a dense buffer (a typed array on the CPU, a GPUBuffer on WebGPU). */
export interface Storage {
  readonly backend: DeviceName;
}

/** What a primitive needs to know about an input: its storage, shape and dtype (dense, row-major). */
export interface TensorRef {
  readonly storage: Storage;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** Elementwise unary functions. Output dtype equals the input dtype, except `logicalNot` (bool). */
export type UnaryOp =
  | 'neg' | 'abs' | 'sign' | 'square' | 'reciprocal'
  | 'exp' | 'log' | 'log1p' | 'expm1' | 'sqrt' | 'rsqrt'
  | 'sin' | 'cos' | 'tanh' | 'sigmoid' | 'erf'
  | 'relu' | 'leakyRelu' | 'elu' | 'gelu' | 'silu' | 'softplus'
  | 'floor' | 'ceil' | 'round'
  | 'logicalNot';

/** Unary ops that read `param` (the negative slope of leakyRelu, alpha of elu). */
export const PARAMETRIC_UNARY: ReadonlySet<UnaryOp> = new Set(['leakyRelu', 'elu']);

/**
 * Elementwise binary functions with NumPy broadcasting. Both inputs have the same dtype (the ops
 * layer promotes first). Comparisons and logical ops produce `bool`; the rest keep the dtype.
 * `div` on int32 truncates toward zero like C; `mod` follows the sign of the divisor (Python / PyTorch `remainder`).
 */
export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'mod'
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'
  | 'logicalAnd' | 'logicalOr';

export const COMPARISON_OPS: ReadonlySet<BinaryOp> = new Set([
  'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr',
]);

/** Reductions over a set of axes. Output shape = input shape with the reduced axes set to 1 (keepdim). */
export type ReduceOp = 'sum' | 'prod' | 'max' | 'min';

/** Index-of-extremum along one axis; output int32 with that axis set to 1. Ties pick the first index. */
export type ArgReduceOp = 'argmax' | 'argmin';

/** Named matmul kernels. `auto` lets the backend choose (per adapter and shape). */
export type MatmulVariant = 'auto' | 'naive' | 'register' | 'shared' | 'splitk';
/**
 * Row-wise kernels (reductions, softmax, moments): one thread per row, or one workgroup per row;
 * moments also has a subgroup form where the adapter has subgroups. 'auto' is the backend's choice.
 */
export type RowVariant = 'auto' | 'thread' | 'workgroup';
/**
 * Kernels of `moments` (mean and variance in one pass): a row variant or, where the adapter has
 * subgroups, 'subgroup'.
 */
export type MomentsVariant = RowVariant | 'subgroup';

/**
 * Batched matrix multiply C[b] = op(A[b]) @ op(B[b]) where op transposes when asked.
 * A is stored as [batchA, m, k] (or [batchA, k, m] when `transA`), B as [batchB, k, n]
 * (or [batchB, n, k] when `transB`); batchA and batchB are each either 1 or `batch`
 * (a batch stride of 0 broadcasts). Output is dense [batch, m, n].
 */
export interface MatmulArgs {
  batch: number;
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
  /** Elements between consecutive batch matrices; 0 broadcasts one matrix over the batch. */
  aBatchStride: number;
  bBatchStride: number;
  variant?: MatmulVariant;
}

/** Philox4x32-10 random streams; see src/random.ts for the exact bit recipe both backends follow. */
export type RandomKind = 'uniform' | 'normal';

export interface RandomArgs {
  kind: RandomKind;
  /** The 64-bit key as two 32-bit words (lo, hi). */
  key: readonly [number, number];
  /** Which call of the generator this is (the second counter word); element i uses counter (i, stream, 0, 0). */
  stream: number;
}

/**
 * 2-D convolution geometry, NCHW activations and OIHW weights (PyTorch layout). Padding is
 * asymmetric: [top, bottom, left, right]. Weight shape is [outChannels, inChannels / groups, kh, kw].
 */
export interface Conv2dArgs {
  stride: readonly [number, number];
  padding: readonly [number, number, number, number];
  dilation: readonly [number, number];
  groups: number;
  /** Force a kernel in tests and benchmarks ('auto' lets the backend choose). */
  variant?: 'auto' | 'direct' | 'gemm';
}

/** Activation fused into a kernel's epilogue. */
export type Epilogue = { activation: 'none' | 'relu' | 'leakyRelu' | 'tanh' | 'sigmoid' | 'silu'; alpha?: number };

export interface Pool2dArgs {
  kernel: readonly [number, number];
  stride: readonly [number, number];
  /** [top, bottom, left, right]; padded cells are -inf for max and excluded or zero for avg. */
  padding: readonly [number, number, number, number];
  /** avg only: whether padded cells count in the divisor (PyTorch's count_include_pad). */
  countIncludePad: boolean;
}

export interface BackendMemory {
  /** Bytes sitting in the backend's pool, free for reuse. */
  pooledBytes: number;
  /** Bytes currently handed out as storages. */
  allocatedBytes: number;
}

export interface Backend {
  readonly name: DeviceName;
  /** Whether float64 storages and kernels exist (CPU yes, WebGPU no). */
  readonly supportsFloat64: boolean;
  /** Largest element count one storage of this dtype may have (device binding limit). */
  maxElements(dtype: DType): number;

  // ---- memory ----
  /** A fresh storage holding a copy of `data` (length = numel). bool data is 0/1 bytes. */
  upload(data: HostArray, dtype: DType): Storage;
  /** A fresh storage with unspecified contents. */
  alloc(numel: number, dtype: DType): Storage;
  /** Return a storage to the pool. The storage must not be used afterwards. */
  release(storage: Storage): void;
  /** Read a storage back to the host. Resolves after all queued work that writes it. */
  read(ref: TensorRef): Promise<HostArray>;
  /** Synchronous read where the backend can (CPU); undefined elsewhere. */
  readSync?(ref: TensorRef): HostArray;
  /**
   * Where reads are asynchronous (WebGPU): check on the device that the int32 entries of `index`
   * lie in [0, site.size) (or equal `ignore`), raising an error naming `site.op` at the next read
   * or sync (a device-side assert). Backends with `readSync` are checked on the host instead.
   */
  assertIndexRange?(index: TensorRef, site: { op: string; what: string; shape: readonly number[]; size: number }, ignore?: number): void;
  /** Submit queued work now (no-op on the CPU). */
  flush(): void;
  /** Resolves when all submitted work has finished. */
  sync(): Promise<void>;
  memory(): BackendMemory;
  /** Drop pooled storages (pooledBytes goes to 0). */
  trimPool(): void;

  // ---- kernels ----
  /** A fresh storage of `numel` elements all equal to `value`. */
  fill(numel: number, dtype: DType, value: number): Storage;
  unary(op: UnaryOp, x: TensorRef, param?: number): Storage;
  /** Broadcasts a and b to `outShape` (NumPy rules, already checked). */
  binary(op: BinaryOp, a: TensorRef, b: TensorRef, outShape: readonly number[]): Storage;
  /** out = cond ? a : b, all three broadcast to `outShape`; cond is bool; a and b share a dtype. */
  where(cond: TensorRef, a: TensorRef, b: TensorRef, outShape: readonly number[]): Storage;
  /** Convert dtype: float->int truncates toward zero; anything->bool is (x != 0). */
  cast(x: TensorRef, dtype: DType): Storage;
  /** Reduce over `axes` (sorted, unique, non-empty). sum/prod of bool give int32; otherwise dtype kept. */
  reduce(op: ReduceOp, x: TensorRef, axes: readonly number[], args?: { variant?: RowVariant }): Storage;
  argReduce(op: ArgReduceOp, x: TensorRef, axis: number): Storage;
  matmul(a: TensorRef, b: TensorRef, args: MatmulArgs): Storage;
  /**
   * Copy `shape`-many elements: dst[dstOffset + sum(i_d * dstStrides_d)] = src[srcOffset + sum(i_d * srcStrides_d)].
   * Strides are in elements and may be 0 (broadcast read) or negative-free. Writes into `dst`, whose
   * other elements are left untouched. This one primitive serves permute, expand, slicing with steps,
   * cat, pad and their backward passes.
   */
  stridedCopy(
    src: Storage, dst: Storage, dtype: DType, shape: readonly number[],
    srcStrides: readonly number[], srcOffset: number,
    dstStrides: readonly number[], dstOffset: number,
  ): void;
  /** A fresh storage of `numel` Philox draws: uniform in [0, 1) or standard normal. dtype float32/float64. */
  random(numel: number, dtype: DType, args: RandomArgs): Storage;

  // ---- convolution and pooling (NCHW) ----
  /**
   * y[N, O, Ho, Wo] = conv(x[N, C, H, W], w[O, C/groups, kh, kw]) + bias[O], then the epilogue
   * activation. Ho = floor((H + pt + pb - dh*(kh-1) - 1) / sh) + 1, likewise Wo.
   */
  conv2d(x: TensorRef, w: TensorRef, bias: TensorRef | null, args: Conv2dArgs, epilogue?: Epilogue): Storage;
  /**
   * The gradient of conv2d with respect to its input: gx[inputShape] from gy[N, O, Ho, Wo] and w.
   * This is also transposed convolution's forward pass.
   */
  conv2dGradInput(gy: TensorRef, w: TensorRef, inputShape: readonly [number, number, number, number], args: Conv2dArgs): Storage;
  /** The gradient of conv2d with respect to its weight: gw[weightShape] from x and gy. */
  conv2dGradWeight(x: TensorRef, gy: TensorRef, weightShape: readonly [number, number, number, number], args: Conv2dArgs): Storage;
  /** Max or average pooling over [N, C, H, W]. */
  pool2d(op: 'max' | 'avg', x: TensorRef, args: Pool2dArgs): Storage;
  /** Gradient of pool2d: gx[x.shape] from x and gy (max routes each gy to its window's first maximum). */
  pool2dGrad(op: 'max' | 'avg', x: TensorRef, gy: TensorRef, args: Pool2dArgs): Storage;
  /**
   * Mean and biased variance over `axes` in one pass (Welford / workgroup reduction), both in
   * keepdim shape: the statistics behind batch, layer, group and instance norm.
   */
  moments(x: TensorRef, axes: readonly number[], args?: { variant?: MomentsVariant }): [Storage, Storage];

  // ---- sequences, indexing, attention ----
  /** Softmax or log-softmax along the last axis (max-subtracted; one row per workgroup). */
  softmax(op: 'softmax' | 'logSoftmax', x: TensorRef, args?: { variant?: RowVariant }): Storage;
  /**
   * out[..., i, ...] = x[..., index[..., i, ...], ...] along `axis` (take_along_axis): index is
   * int32 with the same rank as x, its shape equal to x's except along `axis`. Output has index's shape.
   */
  gather(x: TensorRef, index: TensorRef, axis: number): Storage;
  /** A fresh storage of `shape` = zeros with src added at index along `axis` (the adjoint of gather). */
  scatterAdd(src: TensorRef, index: TensorRef, axis: number, shape: readonly number[]): Storage;
  /** Inclusive cumulative sum along `axis`. */
  cumsum(x: TensorRef, axis: number): Storage;
  /** Sort along the last axis (stable); returns values and int32 source indices. */
  sort(x: TensorRef, descending: boolean): [Storage, Storage];
  /**
   * Fused attention forward: softmax(q k^T * scale + mask) v for q [B, H, Lq, D], k [B, H, Lk, D],
   * v [B, H, Lk, Dv]; mask (float, additive, broadcastable to [B, H, Lq, Lk]) or causal. Also returns
   * the row log-sum-exp [B, H, Lq] the backward pass recomputes probabilities from.
   */
  attention(q: TensorRef, k: TensorRef, v: TensorRef, mask: TensorRef | null, args: { scale: number; causal: boolean }): [Storage, Storage];
  /**
   * Fused attention backward: [dq, dk, dv] for `attention` with the same inputs, from the output's
   * gradient dout [B, H, Lq, Dv], the forward's lse and delta = rowsum(dout * out) [B, H, Lq].
   * Probabilities are recomputed from lse, never stored.
   */
  attentionBackward(
    q: TensorRef, k: TensorRef, v: TensorRef, mask: TensorRef | null, lse: TensorRef, delta: TensorRef, dout: TensorRef,
    args: { scale: number; causal: boolean },
  ): [Storage, Storage, Storage];
  /**
   * LSTM cell gate math in one pass after the gate matmuls: z = xGates + hGates + bias, with
   * xGates, hGates [B, 4H] and bias [4H] (gate order i, f, g, o as in PyTorch);
   * c' = sigmoid(z_f) c + sigmoid(z_i) tanh(z_g), h' = sigmoid(z_o) tanh(c'). Returns [h', c'], each [B, H].
   */
  lstmCell(xGates: TensorRef, hGates: TensorRef, bias: TensorRef | null, c: TensorRef): [Storage, Storage];

  // ---- optimizers ----
  /**
   * One fused optimizer step for one parameter, updating `param` and its `state` storages in place
   * (the sanctioned mutation besides stridedCopy's destination): one dispatch, no readback.
   * float32 / float64 only; `grad` has the parameter's numel.
   */
  optimizerUpdate(kind: OptimizerKind, param: Storage, grad: Storage, state: readonly Storage[], numel: number, dtype: DType, hyper: OptimizerHyper): void;
}

/**
 * adam / adamw: state [m, v], or [m, v, vMax] with `amsgrad`; sgd: state [] or [momentumBuffer];
 * rmsprop: state [squareAvg, momentumBuffer?, gradAvg?], the momentum buffer present when there
 * are more buffers than `centered` accounts for, gradAvg (last) with `centered`.
 */
export type OptimizerKind = 'sgd' | 'adam' | 'adamw' | 'rmsprop';

/** Hyper-parameters of one step; `step` counts from 1 (Adam's bias correction). */
export interface OptimizerHyper {
  lr: number;
  weightDecay: number;
  step: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  alpha?: number;
  /** adam / adamw: divide by the running maximum of v (state [m, v, vMax]). */
  amsgrad?: boolean;
  /** rmsprop: divide by sqrt(squareAvg - gradAvg^2), gradAvg being the last state buffer. */
  centered?: boolean;
}

export const DTYPE_BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };

export function hostArrayFor(dtype: DType, numel: number): HostArray {
  switch (dtype) {
    case 'float32': return new Float32Array(numel);
    case 'float64': return new Float64Array(numel);
    case 'int32': return new Int32Array(numel);
    case 'bool': return new Uint8Array(numel);
  }
}

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}
