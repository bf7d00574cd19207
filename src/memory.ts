/**
 * Tensor lifetimes. A storage may be shared by several tensors (reshape, view, squeeze share
 * storage), so storages are reference counted; the storage returns to its backend's pool when
 * the last tensor holding it is disposed.
 *
 * Three ways to release memory, from most to least explicit:
 * - `t.dispose()` or a TS `using` declaration (works across `await`);
 * - scopes: `tidy(fn)` disposes every tensor created inside `fn` except what it returns, and
 *   `using s = scope()` does the same when `s` goes out of scope;
 * - a FinalizationRegistry that frees the storage of a tensor the garbage collector reclaims
 *   without it being disposed (a safety net, not a plan: GC timing is not memory pressure).
 */
// `using` needs Symbol.dispose: kept in the declarations so consumers get the lib too.
/// <reference lib="esnext.disposable" preserve="true" />
import type { Backend, Storage } from './backend/backend.js';
import { allBackends } from './backend/registry.js';

export class StorageHandle {
  refs = 1;
  constructor(
    readonly backend: Backend,
    readonly storage: Storage,
    readonly bytes: number,
  ) {
    liveBytes += bytes;
  }

  retain(): void {
    this.refs++;
  }

  /** Drops one reference; returns whether that freed the storage. */
  release(): boolean {
    if (--this.refs !== 0) return false;
    liveBytes -= this.bytes;
    this.backend.release(this.storage);
    return true;
  }
}

let liveBytes = 0;
let liveTensors = 0;
let collectedTensors = 0;
let collectedBytes = 0;

/** Anything a scope can dispose: tensors register themselves on creation. */
export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
}

const finalizer = new FinalizationRegistry<StorageHandle>((handle) => {
  liveTensors--;
  collectedTensors++;
  if (handle.release()) collectedBytes += handle.bytes;
});

/** Called by the Tensor constructor. */
export function trackTensor(t: Disposable, handle: StorageHandle, token: object): void {
  liveTensors++;
  finalizer.register(t, handle, token);
  scopeStack[scopeStack.length - 1]?.add(t);
}

/** Called by Tensor.dispose(). */
export function untrackTensor(handle: StorageHandle, token: object): void {
  liveTensors--;
  finalizer.unregister(token);
  handle.release();
}

// ---- scopes ----

class TensorScope {
  readonly tensors = new Set<Disposable>();
  add(t: Disposable): void {
    this.tensors.add(t);
  }
}

const scopeStack: TensorScope[] = [];

/** Remove a tensor from every open scope so that no scope disposes it. Returns the tensor. */
export function keep<T extends Disposable>(t: T): T {
  for (const s of scopeStack) s.tensors.delete(t);
  return t;
}

function collectDisposables(value: unknown, into: Set<Disposable>, seen = new Set<unknown>()): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (isDisposable(value)) {
    into.add(value);
    return;
  }
  if (Array.isArray(value)) for (const v of value) collectDisposables(v, into, seen);
  else if (value instanceof Map) for (const v of value.values()) collectDisposables(v, into, seen);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collectDisposables(v, into, seen);
}

function isDisposable(v: object): v is Disposable {
  return typeof (v as Disposable).dispose === 'function' && 'isDisposed' in v;
}

function closeScope(s: TensorScope, result: unknown): void {
  const idx = scopeStack.lastIndexOf(s);
  if (idx >= 0) scopeStack.splice(idx, 1);
  const survivors = new Set<Disposable>();
  collectDisposables(result, survivors);
  const parent = scopeStack[scopeStack.length - 1];
  for (const t of s.tensors) {
    if (survivors.has(t)) parent?.add(t);
    else if (!t.isDisposed) t.dispose();
  }
}

/**
 * Run `fn` and dispose every tensor it created, except those reachable from its return value
 * (arrays, plain objects and Maps are searched) and those passed to `keep()`. `fn` must be
 * synchronous; for async code use `using s = scope()`.
 */
export function tidy<T>(fn: () => T): T {
  const s = new TensorScope();
  scopeStack.push(s);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    closeScope(s, undefined);
    throw e;
  }
  if (result instanceof Promise) {
    closeScope(s, undefined);
    throw new TypeError('tidy: the function returned a Promise; tidy scopes are synchronous. Use `using s = scope()` in async code.');
  }
  closeScope(s, result);
  return result;
}

/**
 * Run `fn`; if it throws, dispose every tensor it created before the error (an op's error path
 * leaves nothing behind). On success nothing is disposed: what it made stays in the enclosing scope.
 */
export function disposeOnError<T>(fn: () => T): T {
  const s = new TensorScope();
  scopeStack.push(s);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    closeScope(s, undefined);
    throw e;
  }
  const idx = scopeStack.lastIndexOf(s);
  if (idx >= 0) scopeStack.splice(idx, 1);
  // Tensors a nested keep() removed are not in s; the rest belong to the enclosing scope now.
  const parent = scopeStack[scopeStack.length - 1];
  if (parent) for (const t of s.tensors) parent.add(t);
  return result;
}

/**
 * A scope for async code: `using s = scope();` disposes, when `s` leaves its block, every tensor
 * created since, except those passed to `s.keep(...)`. Tensors created meanwhile by other
 * concurrent tasks land in it too, so keep one scope per training step, not per request.
 */
export function scope(): { keep<T extends Disposable>(t: T): T; [Symbol.dispose](): void } {
  const s = new TensorScope();
  scopeStack.push(s);
  return {
    keep<T extends Disposable>(t: T): T {
      s.tensors.delete(t);
      return t;
    },
    [Symbol.dispose]() {
      closeScope(s, undefined);
    },
  };
}

export interface MemoryInfo {
  /** Tensors neither disposed nor garbage collected. */
  liveTensors: number;
  /** Bytes of storages held by live tensors (shared storage counted once). */
  liveBytes: number;
  /** Bytes sitting in backend pools, free for reuse. */
  pooledBytes: number;
  /**
   * Tensors (and the bytes they alone held) that were never disposed but freed when the garbage
   * collector reclaimed them, since the program started. Growing numbers point at missing
   * `dispose`/`tidy`; they also let a test tell "freed by GC at a random moment" from "freed".
   */
  collectedTensors: number;
  collectedBytes: number;
}

export function memory(): MemoryInfo {
  const pooledBytes = allBackends().reduce((s, b) => s + b.memory().pooledBytes, 0);
  return { liveTensors, liveBytes, pooledBytes, collectedTensors, collectedBytes };
}
