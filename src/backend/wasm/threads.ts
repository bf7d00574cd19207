/**
 * The wasm backend's thread pool: worker threads (`worker_threads` in Node, Web Workers in the
 * browser) that instantiate the same module over the same shared WebAssembly.Memory and take tasks
 * of a parallel kernel off a counter in that memory.
 *
 * A parallel kernel is an exported wasm function f(task, scratch, ...i32 args). `run` writes the
 * function and its arguments into a control block, bumps a generation word and wakes the workers
 * (Atomics.notify); every participant, the calling thread included, claims task numbers with
 * Atomics.add until they run out, and the caller waits until every worker has checked out. Each
 * participant has its own scratch block (GEMM packing buffers). The caller blocks with
 * Atomics.wait where allowed (Node, workers) and spins where not (a page's main thread). A worker
 * that traps reports it through the control block and still checks out, so the caller throws
 * instead of waiting for ever; workers that do not check out within STALL_MS are retired.
 */

/** Int32 slots of the control block. */
export const GEN = 0, NEXT = 1, COUNT = 2, PENDING = 3, FN = 4, ARGC = 5, STOP = 6, FAILED = 7, ARGS = 8;
export const CONTROL_BYTES = 256;
const MAX_ARGS = CONTROL_BYTES / 4 - ARGS;
/** How long one parallel kernel may wait for its workers before the pool reports them stuck. */
const STALL_MS = 300_000;

/** The worker body; plain JavaScript so it runs from a string in either environment. */
const WORKER_LOOP = `
function serve(module, memory, control, scratch, names) {
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const c = new Int32Array(memory.buffer, control, ${CONTROL_BYTES / 4});
  let seen = Atomics.load(c, ${GEN});
  return () => {
    for (;;) {
      Atomics.wait(c, ${GEN}, seen);
      // Atomics.notify wakes every waiter, also one that already served this generation: when the
      // caller is descheduled between bumping GEN and notifying, this worker can take the job on
      // "not-equal", check out and be asleep again before the notify lands. Serving it twice would
      // check out twice (PENDING -1: the caller waited for 0 for ever), so only a new GEN counts.
      const gen = Atomics.load(c, ${GEN});
      if (gen === seen) continue;
      seen = gen;
      if (Atomics.load(c, ${STOP})) return;
      const fn = exports[names[c[${FN}]]];
      const args = Array.from(c.subarray(${ARGS}, ${ARGS} + c[${ARGC}]));
      const count = c[${COUNT}];
      try {
        for (let t = Atomics.add(c, ${NEXT}, 1); t < count; t = Atomics.add(c, ${NEXT}, 1)) fn(t, scratch, ...args);
      } catch (e) {
        // A trap here must not leave the caller waiting for this worker: report it through memory
        // (the caller's thread is blocked, so an 'error' event would never reach it) and check out.
        Atomics.store(c, ${FAILED}, 1);
      }
      if (Atomics.sub(c, ${PENDING}, 1) === 1) Atomics.notify(c, ${PENDING});
    }
  };
}`;

const NODE_WORKER = `${WORKER_LOOP}
const { parentPort, workerData: d } = require('node:worker_threads');
const loop = serve(d.module, d.memory, d.control, d.scratch, d.names);
parentPort.postMessage('ready');
loop();`;

const WEB_WORKER = `${WORKER_LOOP}
self.onmessage = (e) => {
  const d = e.data;
  const loop = serve(d.module, d.memory, d.control, d.scratch, d.names);
  self.postMessage('ready');
  loop();
};`;

interface Handle {
  terminate(): unknown;
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

async function spawn(data: { module: WebAssembly.Module; memory: WebAssembly.Memory; control: number; scratch: number; names: string[] }): Promise<Handle> {
  if (isNode) {
    // A computed specifier, which browser bundlers leave alone (this branch only runs in Node).
    const workerThreads = 'node:worker_threads';
    const { Worker } = (await import(/* @vite-ignore */ workerThreads)) as typeof import('node:worker_threads');
    const worker = new Worker(NODE_WORKER, { eval: true, workerData: data });
    // A parked worker must not keep the process alive.
    worker.unref();
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    return worker;
  }
  const url = URL.createObjectURL(new Blob([WEB_WORKER], { type: 'text/javascript' }));
  const worker = new Worker(url);
  await new Promise<void>((resolve, reject) => {
    worker.onmessage = () => resolve();
    worker.onerror = (e) => reject(new Error(e.message));
    worker.postMessage(data);
  });
  URL.revokeObjectURL(url);
  return worker;
}

/** Whether the calling thread may block in Atomics.wait (not a page's main thread). */
const canBlock = isNode || typeof (globalThis as { document?: unknown }).document === 'undefined';

export class ThreadPool {
  private workers: Handle[] = [];
  private readonly control: Int32Array;
  private readonly fnIds: Map<string, number>;
  /** While workers start, kernels run on the calling thread only: a starting worker must not join a job it was not counted in. */
  private starting = false;

  constructor(
    private readonly memory: WebAssembly.Memory, private readonly controlAddr: number,
    private readonly module: WebAssembly.Module, readonly names: string[],
  ) {
    this.control = new Int32Array(memory.buffer, controlAddr, CONTROL_BYTES / 4);
    this.fnIds = new Map(names.map((n, i) => [n, i]));
  }

  /** Participants in a parallel kernel: the workers plus the calling thread. */
  get threads(): number {
    return this.workers.length + 1;
  }

  /** Start workers until there are `threads - 1`, each given the scratch block at `scratch[i + 1]`. */
  async grow(threads: number, scratch: readonly number[]): Promise<void> {
    const pending: Promise<Handle>[] = [];
    for (let i = this.workers.length + 1; i < threads; i++) {
      pending.push(spawn({ module: this.module, memory: this.memory, control: this.controlAddr, scratch: scratch[i]!, names: this.names }));
    }
    this.starting = true;
    try {
      this.workers.push(...(await Promise.all(pending)));
    } finally {
      this.starting = false;
    }
  }

  /** Park every worker for good (they finish their current wait and return). */
  stop(): void {
    Atomics.store(this.control, STOP, 1);
    Atomics.add(this.control, GEN, 1);
    Atomics.notify(this.control, GEN);
    for (const w of this.workers) void w.terminate();
    this.workers = [];
    Atomics.store(this.control, STOP, 0);
  }

  /** Run tasks 0..count-1 of `fn` over the pool; returns when all are done. */
  run(fn: (task: number, scratch: number, ...args: number[]) => void, name: string, count: number, scratch: number, args: readonly number[]): void {
    const c = this.control;
    if (this.workers.length === 0 || this.starting || count <= 1) {
      for (let t = 0; t < count; t++) fn(t, scratch, ...args);
      return;
    }
    if (args.length > MAX_ARGS) throw new Error(`wasm thread pool: ${name} has more than ${MAX_ARGS} arguments`);
    c[FN] = this.fnIds.get(name)!;
    c[ARGC] = args.length;
    for (let i = 0; i < args.length; i++) c[ARGS + i] = args[i]!;
    c[COUNT] = count;
    Atomics.store(c, NEXT, 0);
    Atomics.store(c, PENDING, this.workers.length);
    Atomics.store(c, FAILED, 0);
    Atomics.add(c, GEN, 1);
    Atomics.notify(c, GEN);
    // The workers are in this job whatever happens here: wait for them before any error leaves.
    let failure: unknown = null;
    try {
      for (let t = Atomics.add(c, NEXT, 1); t < count; t = Atomics.add(c, NEXT, 1)) fn(t, scratch, ...args);
    } catch (e) {
      failure = e;
    }
    // Blocking waits in slices, so that a worker that never checks out (killed, or a lost wake-up)
    // becomes an error naming the kernel instead of a process that hangs without a word: a blocked
    // main thread cannot even run a SIGTERM handler.
    const started = Date.now();
    for (let left = Atomics.load(c, PENDING); left !== 0; left = Atomics.load(c, PENDING)) {
      if (left < 0) {
        this.stop();
        throw new Error(`wasm thread pool: workers checked out of ${name} (${count} tasks) more often than they joined it (pending ${left}); continuing single-threaded`);
      }
      if (canBlock) Atomics.wait(c, PENDING, left, 1000);
      if (Date.now() - started > STALL_MS) {
        const workers = this.workers.length;
        // The stuck workers may still write: retire them all; later kernels run on this thread.
        this.stop();
        throw new Error(`wasm thread pool: ${left} of ${workers} workers did not finish ${name} (${count} tasks) within ${STALL_MS / 1000} s; continuing single-threaded`);
      }
    }
    if (failure) throw failure;
    if (Atomics.load(c, FAILED)) throw new Error(`wasm thread pool: a worker failed while running ${name} (${count} tasks)`);
  }
}
