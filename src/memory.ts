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
import { ArgumentError } from './errors.js';

export class StorageHandle {
  refs = 1;
  constructor(
    readonly backend: Backend,
    readonly storage: Storage,
    readonly bytes: number,
  ) {
    liveBytes += bytes;
    if (liveBytes > budget.bytes && !budget.warned) warnOverBudget();
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
  /** Free what this object holds; calling it again does nothing. */
  dispose(): void;
  /** Whether `dispose()` was called. */
  readonly isDisposed: boolean;
}

const finalizer = new FinalizationRegistry<StorageHandle>((handle) => {
  liveTensors--;
  collectedTensors++;
  if (handle.release()) collectedBytes += handle.bytes;
});

// ---- the live-bytes budget ----

/**
 * The garbage collector frees forgotten tensors only when JS memory is short, never because a GPU
 * buffer or the wasm heap is: a loop that never disposes can hold gigabytes. Past `bytes` live
 * bytes, one warning names the count of live tensors (and, with `trackCreation`, where the most of
 * them were created: a stack per tensor, so it is off by default).
 */
const budget = { bytes: 2 * 1024 ** 3, warned: false, trackCreation: false };
const creationSites = new WeakMap<Disposable, string>();
const liveSet = new Set<WeakRef<Disposable>>();

/**
 * Set the live-bytes budget (default 2 GiB) past which `memory` warns once about undisposed
 * tensors, and whether to record where each tensor is created (slow; for finding the leak).
 */
export function setMemoryBudget(opts: { bytes?: number; trackCreation?: boolean }): void {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new ArgumentError(`setMemoryBudget: expected { bytes?, trackCreation? }, got ${String(opts)}`);
  if (opts.bytes !== undefined && !(typeof opts.bytes === 'number' && opts.bytes >= 0)) throw new ArgumentError(`setMemoryBudget: bytes must be a non-negative number, got ${String(opts.bytes)}`);
  if (opts.bytes !== undefined) {
    budget.bytes = opts.bytes;
    budget.warned = false;
  }
  if (opts.trackCreation !== undefined) budget.trackCreation = opts.trackCreation;
}

function warnOverBudget(): void {
  budget.warned = true;
  let message = `@genlab/tensor: ${(liveBytes / 1024 ** 2).toFixed(0)} MB held by ${liveTensors} live tensors, over the ${(budget.bytes / 1024 ** 2).toFixed(0)} MB budget. `
    + 'Tensors are freed by dispose(), a `using` declaration, or tidy()/scope(); the garbage collector does not see GPU or wasm memory.';
  if (budget.trackCreation) {
    const counts = new Map<string, number>();
    for (const ref of liveSet) {
      const t = ref.deref();
      if (!t || t.isDisposed) continue;
      const site = creationSites.get(t) ?? 'unknown';
      counts.set(site, (counts.get(site) ?? 0) + 1);
    }
    const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 3);
    message += `\nMost live tensors were created at:\n${top.map(([site, n]) => `  ${n} x ${site}`).join('\n')}`;
  } else {
    message += ' setMemoryBudget({ trackCreation: true }) shows where they were created.';
  }
  console.warn(message);
}

/** The directory of the library's own files, from the frame of this module in a stack. */
let libraryDir: string | undefined;

function recordCreation(t: Disposable): void {
  const frames = (new Error().stack ?? '').split('\n').slice(1).map((l) => l.trim());
  libraryDir ??= /\(?((?:file:\/\/)?\/.*)[/\\][^/\\]+:\d+:\d+\)?$/.exec(frames[0] ?? '')?.[1]?.replace(/[/\\](backend|ops|nn|optim|io)$/, '');
  // The first frame outside the library: where the user's code made the tensor.
  const site = frames.find((f) => !(libraryDir && f.includes(libraryDir)) && !f.includes('node:internal'));
  creationSites.set(t, site ?? 'unknown');
  liveSet.add(new WeakRef(t));
  if (liveSet.size % 10_000 === 0) for (const ref of liveSet) if (ref.deref()?.isDisposed !== false) liveSet.delete(ref);
}

/** Called by the Tensor constructor. */
export function trackTensor(t: Disposable, handle: StorageHandle, token: object): void {
  if (budget.trackCreation) recordCreation(t);
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

/** Run `fn` with `s` as the innermost scope; if it throws, dispose what it made and rethrow. */
function runInScope<T>(s: TensorScope, fn: () => T): T {
  scopeStack.push(s);
  try {
    return fn();
  } catch (e) {
    closeScope(s, undefined);
    throw e;
  }
}

/**
 * Run `fn` and dispose every tensor it created, except those reachable from its return value
 * (arrays, plain objects and Maps are searched) and those passed to `keep()`. `fn` must be
 * synchronous; for async code use `using s = scope()`.
 */
export function tidy<T>(fn: () => T): T {
  const s = new TensorScope();
  const result = runInScope(s, fn);
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
  const result = runInScope(s, fn);
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

/** What `memory()` reports: tensor and byte counts over every backend. */
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
  /**
   * The bytes of `collectedTensors`: storage the garbage collector freed that `dispose`/`tidy`
   * should have.
   */
  collectedBytes: number;
}

/**
 * Live tensors and bytes, pooled bytes and what the garbage collector reclaimed, over every backend
 * (as `torch.cuda.memory_allocated` and friends); a growing `liveTensors` in a loop means a missing
 * `dispose` or `tidy`.
 */
export function memory(): MemoryInfo {
  const pooledBytes = allBackends().reduce((s, b) => s + b.memory().pooledBytes, 0);
  return { liveTensors, liveBytes, pooledBytes, collectedTensors, collectedBytes };
}
