/**
 * Creating tensors: from JS values, constant fills, ranges, identity, and the seeded random
 * streams (Philox, identical on CPU and WebGPU for the same seed).
 */
import type { DType, DeviceName, HostArray } from '../backend/backend.js';
import { getBackend, getDefaultDevice } from '../backend/registry.js';
import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors.js';
import { seedToKey } from '../random.js';
import { tidy } from '../memory.js';
import { checkShape, numel } from '../shape.js';
import { Tensor } from '../tensor.js';
import { checkDTypeOnDevice, checkFits, checkInputs, describeValue, hostArrayFromValues, wrap, type CreateOptions } from './core.js';
import { add, cast, floor, minimum, mul } from './elementwise.js';

/**
 * Numbers or booleans nested in arrays, one level per dimension (`[[1, 2], [3, 4]]`), as `tensor`
 * takes them.
 */
export type NestedNumbers = number | boolean | readonly NestedNumbers[];

const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

/** Options of the creation ops: an unknown dtype (float16) or a non-object is an error, not a silent default. */
function checkOptions(op: string, opts: CreateOptions): void {
  if (opts === null || typeof opts !== 'object') throw new ArgumentError(`${op}: options must be an object, got ${describeValue(opts)}`);
  if (opts.dtype !== undefined && !DTYPES.includes(opts.dtype)) throw new DTypeError(`${op}: unsupported dtype ${JSON.stringify(opts.dtype)}; supported: ${DTYPES.join(', ')}`);
}

function place(op: string, opts: CreateOptions, fallback: DType) {
  const device = opts.device ?? getDefaultDevice();
  const dtype = opts.dtype ?? fallback;
  const backend = getBackend(device, op);
  checkDTypeOnDevice(op, dtype, backend);
  return { device, dtype, backend };
}

function finish(t: Tensor, opts: CreateOptions): Tensor {
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}

function inferShape(values: NestedNumbers): number[] {
  const shape: number[] = [];
  let v: NestedNumbers = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0] as NestedNumbers;
  }
  return shape;
}

function flattenChecked(values: NestedNumbers, shape: readonly number[], out: number[], depth = 0): void {
  if (depth === shape.length) {
    if (Array.isArray(values)) throw new ShapeError(`tensor: ragged nested array (expected a scalar at depth ${depth}, shape ${fmtShape(shape)})`);
    if (typeof values !== 'number' && typeof values !== 'boolean') throw new ArgumentError(`tensor: values must be numbers or booleans, got ${describeValue(values)}`);
    out.push(Number(values));
    return;
  }
  if (!Array.isArray(values) || values.length !== shape[depth]) {
    throw new ShapeError(`tensor: ragged nested array: expected ${shape[depth]} items at depth ${depth} (shape ${fmtShape(shape)})`);
  }
  for (const v of values) flattenChecked(v, shape, out, depth + 1);
}

function isTyped(v: unknown): v is HostArray {
  return v instanceof Float32Array || v instanceof Float64Array || v instanceof Int32Array || v instanceof Uint8Array;
}

/**
 * A tensor from nested arrays, a typed array (with `shape`), or a number. The dtype is float32
 * unless given, or implied by the data: booleans give bool, an Int32Array gives int32, a
 * Float64Array gives float64.
 */
export function tensor(values: NestedNumbers | HostArray, opts: CreateOptions & { shape?: readonly number[] } = {}): Tensor {
  let flat: ArrayLike<number>;
  let shape: number[];
  let implied: DType = 'float32';
  if (isTyped(values)) {
    flat = values;
    shape = opts.shape ? [...opts.shape] : [values.length];
    implied = values instanceof Int32Array ? 'int32' : values instanceof Float64Array ? 'float64' : values instanceof Uint8Array ? 'bool' : 'float32';
  } else {
    if (ArrayBuffer.isView(values)) throw new DTypeError(`tensor: a ${values.constructor.name} is not supported; use Float32Array, Float64Array, Int32Array or Uint8Array (bool)`);
    shape = inferShape(values);
    const list: number[] = [];
    flattenChecked(values, shape, list);
    flat = list;
    let leaf: NestedNumbers = values;
    while (Array.isArray(leaf)) leaf = leaf[0] as NestedNumbers;
    if (typeof leaf === 'boolean') implied = 'bool';
    if (opts.shape) shape = [...opts.shape];
  }
  checkShape('tensor', 'shape', shape);
  checkOptions('tensor', opts);
  if (numel(shape) !== flat.length) {
    throw new ShapeError(`tensor: ${flat.length} values do not fill shape ${fmtShape(shape)} (${numel(shape)} elements)`);
  }
  const { dtype, backend } = place('tensor', opts, implied);
  checkFits('tensor', backend, shape, dtype);
  return finish(wrap(backend, backend.upload(hostArrayFromValues(flat, dtype), dtype), shape, dtype), opts);
}

/** A constant fill; `op` is the name the user called (zeros, onesLike, ...) for its errors. */
function fill(op: string, shape: readonly number[], value: number | boolean, opts: CreateOptions): Tensor {
  checkShape(op, 'shape', shape);
  if (typeof value !== 'number' && typeof value !== 'boolean') throw new ArgumentError(`${op}: the fill value must be a number or a boolean, got ${describeValue(value)}`);
  checkOptions(op, opts);
  const { dtype, backend } = place(op, opts, typeof value === 'boolean' ? 'bool' : 'float32');
  checkFits(op, backend, shape, dtype);
  return finish(wrap(backend, backend.fill(numel(shape), dtype, Number(value)), shape, dtype), opts);
}

/**
 * A tensor of `shape` filled with `value` (`torch.full`); float32 for a number, bool for a boolean,
 * unless `opts.dtype` says otherwise.
 */
export const full = (shape: readonly number[], value: number | boolean, opts: CreateOptions = {}): Tensor => fill('full', shape, value, opts);
/** A tensor of `shape` filled with 0 (`torch.zeros`), float32 by default. */
export const zeros = (shape: readonly number[], opts: CreateOptions = {}): Tensor => fill('zeros', shape, 0, opts);
/** A tensor of `shape` filled with 1 (`torch.ones`), float32 by default. */
export const ones = (shape: readonly number[], opts: CreateOptions = {}): Tensor => fill('ones', shape, 1, opts);

function likeOpts(op: string, t: Tensor, opts: CreateOptions): CreateOptions {
  checkInputs(op, t);
  return { dtype: t.dtype, device: t.device, ...opts };
}

/** Zeros with `t`'s shape, dtype and device unless `opts` overrides them (`torch.zeros_like`). */
export const zerosLike = (t: Tensor, opts: CreateOptions = {}): Tensor => fill('zerosLike', t?.shape, 0, likeOpts('zerosLike', t, opts));
/** Ones with `t`'s shape, dtype and device unless `opts` overrides them (`torch.ones_like`). */
export const onesLike = (t: Tensor, opts: CreateOptions = {}): Tensor => fill('onesLike', t?.shape, 1, likeOpts('onesLike', t, opts));
/**
 * `value` everywhere, with `t`'s shape, dtype and device unless `opts` overrides them
 * (`torch.full_like`).
 */
export const fullLike = (t: Tensor, value: number, opts: CreateOptions = {}): Tensor => fill('fullLike', t?.shape, value, likeOpts('fullLike', t, opts));

/**
 * Values from `start` to `end` (exclusive) by `step`, as torch.arange: `arange(5)` or
 * `arange(2, 10, 2)`. The dtype is int32 when all arguments are integers, float32 otherwise.
 */
export function arange(start: number, end?: number, step = 1, opts: CreateOptions = {}): Tensor {
  if (end === undefined || end === null) [start, end] = [0, start];
  for (const [name, v] of [['start', start], ['end', end], ['step', step]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ArgumentError(`arange: ${name} must be a finite number, got ${describeValue(v)}`);
  }
  if (step === 0) throw new ArgumentError(`arange: step must be a non-zero finite number, got ${step}`);
  checkOptions('arange', opts);
  const n = Math.max(0, Math.ceil((end - start) / step));
  const ints = [start, end, step].every(Number.isInteger);
  const { dtype, backend } = place('arange', opts, ints ? 'int32' : 'float32');
  // The size check comes before the values are made on the host: arange(3e8) is an error, not an out-of-memory abort.
  checkFits('arange', backend, [n], dtype);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = start + i * step;
  return tensor(values, { ...opts, dtype, shape: [n] });
}

/** `steps` evenly spaced values from `start` to `end` inclusive, as `torch.linspace`. */
export function linspace(start: number, end: number, steps: number, opts: CreateOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new ArgumentError(`linspace: steps must be a non-negative integer, got ${steps}`);
  const values = Array.from({ length: steps }, (_, i) => (steps === 1 ? start : start + ((end - start) * i) / (steps - 1)));
  return tensor(values, { ...opts, shape: [steps] });
}

/** The n x m identity matrix (m defaults to n), as `torch.eye`. */
export function eye(n: number, m = n, opts: CreateOptions = {}): Tensor {
  checkShape('eye', 'size', [n, m]);
  const values = new Float64Array(n * m);
  for (let i = 0; i < Math.min(n, m); i++) values[i * m + i] = 1;
  return tensor(Array.from(values), { ...opts, shape: [n, m] });
}

// ---- random ----

/** The global generator: a Philox key and a call counter (each random op consumes one stream). */
const generator = { key: seedToKey(0), stream: 0 };

/** Seed the global generator; the same seed gives the same streams on CPU and WebGPU. */
export function manualSeed(seed: number): void {
  if (!Number.isFinite(seed)) throw new ArgumentError(`manualSeed: seed must be a finite number, got ${seed}`);
  generator.key = seedToKey(seed);
  generator.stream = 0;
}

function random(op: string, kind: 'uniform' | 'normal', shape: readonly number[], opts: CreateOptions): Tensor {
  checkShape(op, 'shape', shape);
  checkOptions(op, opts);
  const { dtype, backend } = place(op, opts, 'float32');
  if (dtype !== 'float32' && dtype !== 'float64') throw new DTypeError(`${op}: dtype must be float32 or float64, got ${dtype}`);
  checkFits(op, backend, shape, dtype);
  const stream = generator.stream++;
  return finish(wrap(backend, backend.random(numel(shape), dtype, { kind, key: generator.key, stream }), shape, dtype), opts);
}

/** Uniform samples in [0, 1) from the global seeded generator (`manualSeed`), as `torch.rand`; float32 or float64. */
export const rand = (shape: readonly number[], opts: CreateOptions = {}): Tensor => random('rand', 'uniform', shape, opts);
/** Standard normal samples from the global seeded generator (`manualSeed`), as `torch.randn`; float32 or float64. */
export const randn = (shape: readonly number[], opts: CreateOptions = {}): Tensor => random('randn', 'normal', shape, opts);
/** Uniform samples in [0, 1) with `t`'s shape, dtype and device (`torch.rand_like`). */
export const randLike = (t: Tensor, opts: CreateOptions = {}): Tensor => random('randLike', 'uniform', t?.shape, likeOpts('randLike', t, opts));
/** Standard normal samples with `t`'s shape, dtype and device (`torch.randn_like`). */
export const randnLike = (t: Tensor, opts: CreateOptions = {}): Tensor => random('randnLike', 'normal', t?.shape, likeOpts('randnLike', t, opts));

/** Integers uniform in [low, high), int32 by default. */
export function randint(low: number, high: number, shape: readonly number[], opts: CreateOptions = {}): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new ArgumentError(`randint: need integers low < high, got low=${low} high=${high}`);
  }
  const device: DeviceName = opts.device ?? getDefaultDevice();
  return tidy(() => {
    const u = rand(shape, { device });
    // u < 1, but u * range can round up to range in float32 for large ranges: clamp to high - 1.
    const scaled = minimum(floor(mul(u, high - low)), high - low - 1);
    return cast(add(scaled, low), opts.dtype ?? 'int32');
  });
}
