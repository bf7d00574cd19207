/**
 * What every op shares: argument checks that run before any work is enqueued, dtype promotion,
 * scalar lifting, and wrapping a backend storage into a Tensor.
 */
import type { Backend, DType, DeviceName, HostArray, Storage } from '../backend/backend.js';
import { DTYPE_BYTES, isFloat } from '../backend/backend.js';
import { getBackend, getDefaultDevice } from '../backend/registry.js';
import { ArgumentError, DTypeError, DeviceError, GenlabError, ShapeError, fmtShape } from '../errors.js';
import { StorageHandle, disposeOnError, keep, tidy } from '../memory.js';
import { isGradEnabled } from '../autograd.js';
import { numel, shapesEqual } from '../shape.js';
import { TENSOR_BRAND, TENSOR_COPY, Tensor } from '../tensor.js';

/** A JS number or boolean where an op accepts a scalar. */
export type Scalar = number | boolean;
/**
 * A tensor, or a scalar that an op lifts to a 0-d tensor of the other operand's dtype and device.
 */
export type TensorLike = Tensor | Scalar;

/** Options of the creation ops (`tensor`, `zeros`, `randn`, ...). */
export interface CreateOptions {
  /**
   * The element type; by default float32 (bool for boolean data or fills, int32 for integer
   * `arange`).
   */
  dtype?: DType;
  /** Where to put the tensor; by default the default device (`setDefaultDevice`). */
  device?: DeviceName;
  /** Make the new tensor a leaf that records gradients (float dtypes only). */
  requiresGrad?: boolean;
}

/** What a value is, for an error message about it. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) {
    const shape: number[] = [];
    for (let a: unknown = v; Array.isArray(a); a = a[0]) shape.push(a.length);
    return `a JS array (shape ${fmtShape(shape)}; make it a tensor with T.tensor(...))`;
  }
  if (typeof v === 'object') return `${(v as object).constructor?.name ?? 'an object'} object`.replace(/^Object object$/, 'a plain object');
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}...` : v)}`;
  return typeof v === 'number' || typeof v === 'boolean' ? `the ${typeof v} ${v}` : String(v);
}

/** Throw a typed error unless `v` is a Tensor of this copy of the library. */
export function requireTensor(op: string, v: unknown, what = 'argument'): asserts v is Tensor {
  if (v instanceof Tensor) return;
  const brand = (v as { [TENSOR_BRAND]?: unknown } | null | undefined)?.[TENSOR_BRAND];
  if (brand !== undefined && brand !== TENSOR_COPY) {
    throw new ArgumentError(`${op}: the ${what} is a Tensor of another copy of @genlab/tensor (the package was loaded twice, e.g. by both require and import); use one copy, or move values across with tensor(await t.data(), { shape: t.shape })`);
  }
  throw new ArgumentError(`${op}: the ${what} must be a Tensor, got ${describeValue(v)}`);
}

export function backendOf(t: Tensor, op: string): Backend {
  requireTensor(op, t);
  t.liveHandle(op);
  return getBackend(t.device, op);
}

/** Throw before any work if an argument is not a tensor, is disposed, or the tensors live on different devices. */
export function checkInputs(op: string, ...tensors: Tensor[]): Backend {
  for (const t of tensors) requireTensor(op, t, tensors.length > 1 ? 'tensor argument' : 'argument');
  for (const t of tensors) {
    // A tensor of a WebGPU device that was lost (initWebGPU then made a fresh one) cannot be used.
    if ((t.liveHandle(op).backend as { lost?: boolean }).lost) {
      throw new DeviceError(`${op}: tensor #${t.id} with shape ${fmtShape(t.shape)} lives on a ${t.device} device that was lost; recreate it (from data read before the loss, or a checkpoint)`);
    }
  }
  const device = tensors[0]!.device;
  for (const t of tensors) {
    if (t.device !== device) {
      const desc = tensors.map((x) => `${fmtShape(x.shape)} on ${x.device}`).join(', ');
      throw new DeviceError(`${op}: tensors are on different devices (${desc}); move them with \`await t.to('${device}')\` first`);
    }
  }
  return getBackend(device, op);
}

/** The device limit check, run before a kernel is enqueued. */
export function checkFits(op: string, backend: Backend, shape: readonly number[], dtype: DType): void {
  const n = numel(shape);
  if (n > backend.maxElements(dtype)) {
    throw new DeviceError(
      `${op}: the result of shape ${fmtShape(shape)} (${n} ${dtype} elements, ${n * DTYPE_BYTES[dtype]} bytes) exceeds the ${backend.name} device's largest buffer (${backend.maxElements(dtype)} elements)`,
    );
  }
}

export function checkDTypeOnDevice(op: string, dtype: DType, backend: Backend): void {
  if (dtype === 'float64' && !backend.supportsFloat64) {
    throw new DTypeError(`${op}: float64 is not supported on ${backend.name}; use float32, or the cpu device for float64 (gradient checks)`);
  }
}

/** Wrap a fresh storage the caller owns into a tensor. */
export function wrap(backend: Backend, storage: Storage, shape: readonly number[], dtype: DType): Tensor {
  const bytes = numel(shape) * (backend.name === 'webgpu' && dtype === 'bool' ? 4 : DTYPE_BYTES[dtype]);
  return new Tensor(new StorageHandle(backend, storage, bytes), shape, dtype, backend.name);
}

/** A new tensor sharing `t`'s storage with another shape of the same size (reshape, squeeze, detach). */
export function shareStorage(t: Tensor, shape: readonly number[], op: string): Tensor {
  const h = t.liveHandle(op);
  h.retain();
  return new Tensor(h, shape, t.dtype, t.device);
}

const DTYPE_RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

export function promoteTypes(a: DType, b: DType): DType {
  return DTYPE_RANK[a] >= DTYPE_RANK[b] ? a : b;
}

/** The dtype a bare JS scalar takes next to a tensor of dtype `other` (PyTorch's rule: scalars don't widen floats). */
function scalarDType(v: Scalar, other: DType): DType {
  if (typeof v === 'boolean') return other;
  if (Number.isInteger(v)) return other === 'bool' ? 'int32' : other;
  return isFloat(other) ? other : 'float32';
}

export function resultDType(a: TensorLike, b: TensorLike): DType {
  if (a instanceof Tensor && b instanceof Tensor) return promoteTypes(a.dtype, b.dtype);
  if (a instanceof Tensor) return scalarDType(b as Scalar, a.dtype);
  if (b instanceof Tensor) return scalarDType(a as Scalar, b.dtype);
  return 'float32';
}

/** A 0-d tensor holding `value` on `device` (a fill kernel: no host upload, so no queue hazard). */
export function scalarTensor(value: number, dtype: DType, device: DeviceName): Tensor {
  const key = `${device}:${dtype}:${Object.is(value, -0) ? '-0' : value}`;
  const cached = constants.get(key);
  if (cached && !cached.isDisposed) return cached;
  const backend = getBackend(device, 'scalar');
  const t = wrap(backend, backend.fill(1, dtype, value), [], dtype);
  // Literal operands repeat (x * 0.5, 1 - p, ...): keep each as a shared device constant instead of
  // a fill dispatch and a fresh buffer per op. Never evicted, because a recorded graph may still
  // reference one; past the cap, new literals are ordinary temporaries.
  if (constants.size < MAX_CONSTANTS) {
    constants.set(key, keep(t));
    constantTensors.add(t);
  }
  return t;
}

const MAX_CONSTANTS = 1024;
const constants = new Map<string, Tensor>();
const constantTensors = new WeakSet<Tensor>();

/** Throw a typed error unless `v` is a Tensor, a number or a boolean (never coerced with Number()). */
export function requireTensorLike(op: string, v: unknown, what: string): asserts v is TensorLike {
  if (typeof v === 'number' || typeof v === 'boolean') return;
  if (v instanceof Tensor) return;
  try {
    requireTensor(op, v, what);
  } catch (e) {
    throw new ArgumentError((e as Error).message.replace(' must be a Tensor,', ' must be a Tensor or a number,'));
  }
}

/** Lift scalars to tensors on the device of the tensor operand(s) (or `device` when both are scalars). */
export function lift(op: string, a: TensorLike, b: TensorLike, device?: DeviceName): [Tensor, Tensor] {
  requireTensorLike(op, a, 'first operand');
  requireTensorLike(op, b, 'second operand');
  device = a instanceof Tensor ? a.device : b instanceof Tensor ? b.device : device ?? getDefaultDevice();
  const dtype = resultDType(a, b);
  const ta = a instanceof Tensor ? a : scalarTensor(Number(a), dtype, device);
  const tb = b instanceof Tensor ? b : scalarTensor(Number(b), dtype, device);
  checkInputs(op, ta, tb);
  return [ta, tb];
}

/**
 * Run a composition of ops (mean = sum / n, matmul = reshape + GEMM + reshape, ...). When no
 * gradient will be recorded, nothing outside needs its intermediates, so they are freed at once
 * instead of waiting for a scope or the garbage collector; when one is, the graph holds them.
 */
export function composite<T>(inputs: readonly Tensor[], fn: () => T): T {
  // Non-tensors pass here unchecked: the first op inside names them in its error.
  return isGradEnabled() && inputs.some((t) => t instanceof Tensor && t.requiresGrad) ? fn() : tidy(fn);
}

/**
 * Run an op built on other public ops under its own name: a typed error raised inside names
 * `op`, the op the user called (zeros, not full; clamp, not minimum), and then the inner op; and
 * the tensors made before the error are disposed.
 */
export function named<T>(op: string, fn: () => T): T {
  namedOps.push(op);
  try {
    return disposeOnError(fn);
  } catch (e) {
    if (e instanceof GenlabError && !e.message.startsWith(`${op}:`)) {
      const inner = /^([A-Za-z_][\w.]*): /.exec(e.message);
      e.message = inner ? `${op}: ${e.message.slice(inner[0].length)} (in ${inner[1]})` : `${op}: ${e.message}`;
      if (e.stack) e.stack = `${e.name}: ${e.message}\n${e.stack.split('\n').slice(1).join('\n')}`;
    }
    throw e;
  } finally {
    namedOps.pop();
  }
}

/** The ops `named` is running, outermost first. */
const namedOps: string[] = [];

/**
 * The op the user called, for errors raised later than the call (device-side asserts): the
 * outermost `named` op, with `op` after it as `named` writes it; `op` alone when it is the user's.
 */
export function userOpName(op: string): string {
  const outer = namedOps[0];
  return outer === undefined || outer === op ? op : `${outer} (in ${op})`;
}

/** Dispose the lifted or cast copies an op made of its arguments, once nothing records them. */
export function releaseTemporaries(out: Tensor, args: readonly unknown[], used: readonly Tensor[]): void {
  if (out.gradFn) return;
  for (const t of used) if (!args.includes(t) && t !== out && !constantTensors.has(t)) t.dispose();
}

export function hostArrayFromValues(values: ArrayLike<number>, dtype: DType): HostArray {
  switch (dtype) {
    case 'float32': return Float32Array.from(values);
    case 'float64': return Float64Array.from(values);
    case 'int32': return Int32Array.from(values, (v) => Math.trunc(v));
    case 'bool': return Uint8Array.from(values, (v) => (v ? 1 : 0));
  }
}

export function requireFloat(op: string, t: Tensor, arg = 'input'): void {
  if (!isFloat(t.dtype)) {
    throw new DTypeError(`${op}: ${arg} must be a floating-point tensor, got ${t.dtype} with shape ${fmtShape(t.shape)}`);
  }
}

export function checkAssign(target: Tensor, source: Tensor): void {
  checkInputs('assign_', target, source);
  if (!shapesEqual(target.shape, source.shape) || target.dtype !== source.dtype) {
    throw new ShapeError(`assign_: source ${fmtShape(source.shape)} ${source.dtype} does not match target ${fmtShape(target.shape)} ${target.dtype}`);
  }
}

export function checkRequiresGrad(t: Tensor, flag: boolean): void {
  if (flag && !isFloat(t.dtype)) {
    throw new DTypeError(`requiresGrad_: only floating-point tensors can require gradients, got ${t.dtype} with shape ${fmtShape(t.shape)}`);
  }
  if (!flag && !t.isLeaf) {
    throw new ArgumentError(`requiresGrad_: cannot turn off gradients of a non-leaf tensor (produced by ${t.gradFn?.name}); use detach()`);
  }
}

export function checkItem(t: Tensor): void {
  t.liveHandle('item');
  if (t.size !== 1) throw new ShapeError(`item: only one-element tensors can be converted to a number, got shape ${fmtShape(t.shape)}`);
}

export function readSync(t: Tensor, op: string): HostArray {
  const b = backendOf(t, op);
  if (!b.readSync) throw new DeviceError(`${op}: synchronous reads are not possible on ${b.name}; use \`await t.data()\``);
  return b.readSync(t);
}
