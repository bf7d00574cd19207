/**
 * The benchmark suite, shared by the Node entry (`bench/node.ts`) and the browser entry
 * (`bench/browser.ts`). Each group runs one workload on our library and on its peer
 * (`@tensorflow/tfjs-backend-webgpu` / `-cpu`) in the same process and on the same adapter,
 * interleaved round by round so drift (thermal, other processes) hits both alike.
 *
 * Timing is synchronisation-aware: a sample ends when the GPU queue has finished the work
 * (ours: `await sync('webgpu')`; tfjs: end its open compute pass, submit its batched command
 * encoder, then `await device.queue.onSubmittedWorkDone()`), never when the op merely returns.
 */
import type * as TF from '@tensorflow/tfjs-core';
import * as G from '../src/index.js';
import type { WebGPUBackend } from '../src/backend/webgpu/index.js';
import { attentionGroups } from './rows/attention.js';
import { cpuOpCases } from './rows/common.js';
import { convGroups } from './rows/conv.js';
import { elementwiseGroups } from './rows/elementwise.js';
import { optimGroups } from './rows/optim.js';
import { reductionGroups } from './rows/reductions.js';
import { trainingGroups } from './rows/training.js';
import { wasmGroups } from './rows/wasm.js';

// ---------------------------------------------------------------------------------------------
// Environment and options
// ---------------------------------------------------------------------------------------------

/** What an entry point hands the suite: tfjs (with its backends registered) and a clock. */
export interface BenchEnv {
  /** 'node' or 'browser'. */
  runtime: 'node' | 'browser';
  /** `node v20.x` or the browser's user agent. */
  runtimeVersion: string;
  /** tfjs-core, with tfjs-backend-webgpu and tfjs-backend-cpu imported (registered). */
  tf: typeof TF;
  now(): number;
  log(line: string): void;
  /** Logical cores, for the multi-threaded wasm rows. */
  cores?: number;
}

export interface BenchOptions {
  quick: boolean;
  /** Only groups whose id contains this substring (case-insensitive). */
  filter?: string;
  /** Print every sample as it is taken. */
  verbose?: boolean;
}

/** Parses the flags both entries accept: --quick, --filter <s>, --json <path>, --verbose. */
export function parseArgs(argv: readonly string[]): BenchOptions & { json?: string; help?: boolean } {
  const out: BenchOptions & { json?: string; help?: boolean } = { quick: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const eq = a.indexOf('=');
      if (eq >= 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new Error(`bench: ${a} needs a value`);
      return v;
    };
    if (a === '--quick' || a === '-q') out.quick = true;
    else if (a === '--verbose' || a === '-v') out.verbose = true;
    else if (a === '--help' || a === '-h') out.help = true;
    else if (a.startsWith('--filter')) out.filter = value();
    else if (a.startsWith('--json')) out.json = value();
    else throw new Error(`bench: unknown argument '${a}' (flags: --quick, --filter <substring>, --json <path>, --verbose)`);
  }
  return out;
}

export const USAGE = `Flags:
  --quick            smaller sizes and fewer reps (matmul up to 512, CPU matmul up to 512, conv rows
                     at batch 8, DCGAN step at batch 16)
  --filter <text>    only rows whose id contains <text> (e.g. --filter matmul, --filter chain, --filter cpu,
                     --filter conv, --filter attention, --filter fwd+bwd)
  --json <path>      where to write the result JSON (default bench/results/<env>-<date>.json)
  --verbose          print every sample`;

// ---------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------

export interface Stats {
  median: number;
  min: number;
  max: number;
  reps: number;
  samples: number[];
}

export interface Row {
  /** Group id, e.g. `matmul 512 webgpu` or `add chain [64] webgpu`. */
  id: string;
  /** Which of our kernels / settings produced `ours` (`auto`, `register`, ...). */
  variant: string;
  device: 'webgpu' | 'cpu' | 'wasm';
  /** Unit of the medians: `ms` per op for matmuls, `us/op` for op chains. */
  unit: 'ms' | 'us/op';
  /** Ops timed per sample (one wait per sample); medians are per op. */
  opsPerSample: number;
  ours: Stats;
  peer: Stats & { name: string };
  /** peer median / ours median: above 1 means we are faster. */
  speedup: number;
  /**
   * Median over rounds of (peer sample / ours sample) from the same round: cancels drift that
   * the two medians may not (a loaded machine). Compare with `speedup`; far apart = noisy run.
   */
  pairedSpeedup?: number;
  gflopsOurs?: number;
  gflopsPeer?: number;
  /** Nominal memory throughput (the group's `bytesPerOp` / median) for memory-bound rows. */
  gbpsOurs?: number;
  gbpsPeer?: number;
  /** The speedup we are held to (bench/README.md, "Targets"), and whether this row meets it. */
  target?: number;
  meetsTarget?: boolean;
  /** Max |ours - peer| / max |peer| on one output (a benchmark of a wrong kernel is worthless). */
  relError?: number;
  /** Set when our case threw or tripped a device error; the row then has no timings. */
  error?: string;
}

export interface SuiteResult {
  env: string;
  date: string;
  runtime: string;
  runtimeVersion: string;
  quick: boolean;
  filter?: string;
  adapter: { vendor: string; architecture: string; description: string; isSoftware: boolean };
  peerAdapter?: string;
  peerVersion: string;
  rows: Row[];
  notes: string[];
  totalSeconds: number;
}

// ---------------------------------------------------------------------------------------------
// Cases and groups
// ---------------------------------------------------------------------------------------------

/** One contestant of a group: `run(k)` issues the op k times, then waits once (one sample). */
export interface Case {
  label: string;
  run(k: number): Promise<void>;
  /** One output (outside timing) to compare ours against the peer. */
  output?(): Promise<ArrayLike<number>>;
  dispose(): void;
}

export interface GroupInstance {
  peer: Case;
  ours: Case[];
  dispose?(): void;
}

export interface Group {
  id: string;
  device: 'webgpu' | 'cpu' | 'wasm';
  unit: 'ms' | 'us/op';
  /** Ops in one `run(1)` (1000 for a chain of 1000 ops). */
  opsPerSample: number;
  /**
   * Whether a sample may repeat the op k times before its one sync (k picked from the warm-up
   * so a sample lasts ~10 ms): on a fast GPU one small matmul is shorter than a queue round trip.
   */
  batchable: boolean;
  /** Floating-point work per op, for GFLOP/s. */
  flopsPerOp?: number;
  /** Minimum bytes moved per op (inputs read once, outputs written once), for GB/s. */
  bytesPerOp?: number;
  target?: number;
  /** Wall-clock budget in ms for the timed rounds (reps are clamped to [minReps, maxReps]). */
  budgetMs: number;
  minReps: number;
  maxReps: number;
  setup(): Promise<GroupInstance>;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function stats(samples: number[]): Stats {
  return { median: median(samples), min: Math.min(...samples), max: Math.max(...samples), reps: samples.length, samples };
}

/** The tfjs WebGPU backend's internals we need to wait for its work (4.22). */
interface TfWebGPUBackend {
  device: GPUDevice;
  commandEncoder: GPUCommandEncoder | null;
  endComputePassEncoder(): void;
  submitQueue(): void;
  adapterInfo?: { vendor?: string; architecture?: string; description?: string };
}

function tfWebGPU(tf: typeof TF): TfWebGPUBackend {
  return tf.findBackend('webgpu') as unknown as TfWebGPUBackend;
}

/**
 * Waits until tfjs's WebGPU work is done. tfjs batches up to 15 dispatches in one open compute
 * pass before submitting, so the pass has to be ended and the encoder submitted first
 * (`submitQueue()` alone finishes an encoder with a pass still open: a validation error).
 */
export async function tfWebGPUWait(tf: typeof TF): Promise<void> {
  const be = tfWebGPU(tf);
  if (be.commandEncoder) {
    be.endComputePassEncoder();
    be.submitQueue();
  }
  await be.device.queue.onSubmittedWorkDone();
}

function relError(ours: ArrayLike<number>, peer: ArrayLike<number>): number {
  if (ours.length !== peer.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ours.length; i++) {
    const d = Math.abs(Number(ours[i]) - Number(peer[i]));
    if (!(d <= diff)) diff = d; // NaN propagates
    scale = Math.max(scale, Math.abs(Number(peer[i])));
  }
  return diff / (scale || 1);
}

// ---------------------------------------------------------------------------------------------
// Row definitions
// ---------------------------------------------------------------------------------------------

const MATMUL_VARIANTS: G.MatmulVariant[] = ['auto', 'naive', 'register', 'shared', 'splitk'];

/** Square-matmul groups on WebGPU: one tfjs contestant, one of ours per forced variant. */
function webgpuMatmul(env: BenchEnv, opts: BenchOptions, n: number, hardware: boolean): Group {
  const { tf } = env;
  // naive is a reference kernel, and split-K is meant for small m*n with a long k: on big square
  // products on a software adapter both only burn the time budget (splitk 1024: ~20 s a run).
  // --quick keeps them to 256.
  const slowUpTo = hardware ? 2048 : opts.quick ? 256 : 512;
  const variants = MATMUL_VARIANTS.filter((v) => (v !== 'naive' && v !== 'splitk') || n <= slowUpTo);
  const slow = n >= 512;
  return {
    id: `matmul ${n} webgpu`,
    device: 'webgpu',
    unit: 'ms',
    opsPerSample: 1,
    batchable: true,
    flopsPerOp: 2 * n * n * n,
    target: n >= 512 ? 4 : undefined,
    budgetMs: opts.quick ? (slow ? 12_000 : 4_000) : slow ? 40_000 : 10_000,
    minReps: opts.quick ? 3 : 5,
    maxReps: opts.quick ? 15 : 41,
    async setup() {
      G.manualSeed(n);
      const a = G.randn([n, n], { device: 'webgpu' });
      const b = G.randn([n, n], { device: 'webgpu' });
      const [ha, hb] = await Promise.all([a.data(), b.data()]);
      const ta = tf.tensor2d(Float32Array.from(ha), [n, n]);
      const tb = tf.tensor2d(Float32Array.from(hb), [n, n]);
      const peer: Case = {
        label: 'tfjs-webgpu',
        async run(k) {
          for (let i = 0; i < k; i++) tf.matMul(ta, tb).dispose();
          await tfWebGPUWait(tf);
        },
        async output() {
          const c = tf.matMul(ta, tb);
          const d = await c.data();
          c.dispose();
          return d;
        },
        dispose() {
          ta.dispose();
          tb.dispose();
        },
      };
      // tidy: matmul's internal reshape views would otherwise keep the output's storage alive
      // until GC after `c.dispose()` (so every rep would take a fresh buffer from the pool).
      const ours = variants.map((variant): Case => ({
        label: variant,
        async run(k) {
          for (let i = 0; i < k; i++) G.tidy(() => G.matmul(a, b, { variant })).dispose();
          await G.sync('webgpu');
        },
        async output() {
          const c = G.tidy(() => G.matmul(a, b, { variant }));
          const d = await c.data();
          c.dispose();
          return d;
        },
        dispose() {},
      }));
      return { peer, ours, dispose: () => { a.dispose(); b.dispose(); } };
    },
  };
}

/** `x = add(x, y)` 1,000 times on tiny tensors, one sync at the end: per-op dispatch overhead. */
function webgpuAddChain(env: BenchEnv, opts: BenchOptions, size: number): Group {
  const { tf } = env;
  const LEN = 1000;
  return {
    id: `add chain [${size}] webgpu`,
    device: 'webgpu',
    unit: 'us/op',
    opsPerSample: LEN,
    batchable: false,
    target: 2,
    // Samples are short (tens of ms) and GC pauses land on single samples: take many.
    budgetMs: opts.quick ? 4_000 : 10_000,
    minReps: opts.quick ? 9 : 15,
    maxReps: opts.quick ? 41 : 101,
    async setup() {
      const x0 = G.full([size], 1, { device: 'webgpu' });
      const y = G.full([size], 0.5, { device: 'webgpu' });
      // tfjs would run tensors under 1,000 elements on the CPU: force them onto the GPU.
      tf.env().set('WEBGPU_CPU_FORWARD', false);
      const tx0 = tf.fill([size], 1);
      const ty = tf.fill([size], 0.5);
      const oursChain = (): G.Tensor => {
        let x = G.add(x0, y);
        for (let i = 1; i < LEN; i++) {
          const next = G.add(x, y);
          x.dispose();
          x = next;
        }
        return x;
      };
      const peerChain = (): TF.Tensor => {
        let x = tf.add(tx0, ty);
        for (let i = 1; i < LEN; i++) {
          const next = tf.add(x, ty);
          x.dispose();
          x = next;
        }
        return x;
      };
      const peer: Case = {
        label: 'tfjs-webgpu',
        async run() {
          const x = peerChain();
          await tfWebGPUWait(tf);
          x.dispose();
        },
        async output() {
          const x = peerChain();
          const d = await x.data();
          x.dispose();
          return d;
        },
        dispose() {
          tx0.dispose();
          ty.dispose();
        },
      };
      // 'auto' runs with the elementwise fusion (src/backend/webgpu/fusion.ts), 'unfused' without:
      // one dispatch per op, the cost the fusion removes.
      const backend = G.getBackend('webgpu') as unknown as WebGPUBackend;
      const withFusion = async <T>(enabled: boolean, body: () => Promise<T>): Promise<T> => {
        backend.setFusion(enabled);
        try {
          return await body();
        } finally {
          backend.setFusion(true);
        }
      };
      const ours = (['auto', 'unfused'] as const).map((label): Case => ({
        label,
        run: () => withFusion(label === 'auto', async () => {
          const x = oursChain();
          await G.sync('webgpu');
          x.dispose();
        }),
        output: () => withFusion(label === 'auto', async () => {
          const x = oursChain();
          const d = await x.data();
          x.dispose();
          return d;
        }),
        dispose() {},
      }));
      return { peer, ours, dispose: () => { x0.dispose(); y.dispose(); } };
    },
  };
}

/** Square matmul on the CPU backends: ours (float32) against tfjs-backend-cpu. */
function cpuMatmul(env: BenchEnv, opts: BenchOptions, n: number): Group {
  const { tf } = env;
  return {
    id: `matmul ${n} cpu`,
    device: 'cpu',
    unit: 'ms',
    opsPerSample: 1,
    batchable: true,
    flopsPerOp: 2 * n * n * n,
    target: 1,
    budgetMs: opts.quick ? 5_000 : 20_000,
    minReps: opts.quick ? 3 : 5,
    maxReps: opts.quick ? 11 : 21,
    async setup() {
      await tf.setBackend('cpu');
      G.manualSeed(n + 1);
      const a = G.randn([n, n], { device: 'cpu' });
      const b = G.randn([n, n], { device: 'cpu' });
      const [ha, hb] = await Promise.all([a.data(), b.data()]);
      const ta = tf.tensor2d(Float32Array.from(ha), [n, n]);
      const tb = tf.tensor2d(Float32Array.from(hb), [n, n]);
      return cpuOpCases(() => G.matmul(a, b), () => tf.matMul(ta, tb), [a, b], [ta, tb]);
    },
  };
}

/**
 * Every group, in run order. On a hardware adapter the full run adds 2048 and 4096 (on a real
 * GPU, 1024 is over in well under a millisecond; the big sizes show the kernels near peak).
 */
export function defineGroups(env: BenchEnv, opts: BenchOptions, hardware = false): Group[] {
  const gpuSizes = opts.quick ? [128, 256, 512] : hardware ? [128, 256, 512, 1024, 2048, 4096] : [128, 256, 512, 1024];
  const cpuSizes = opts.quick ? [256, 512] : [512, 1024];
  return [
    ...gpuSizes.map((n) => webgpuMatmul(env, opts, n, hardware)),
    webgpuAddChain(env, opts, 1),
    webgpuAddChain(env, opts, 64),
    ...cpuSizes.map((n) => cpuMatmul(env, opts, n)),
    ...elementwiseGroups(env, opts),
    ...reductionGroups(env, opts),
    ...attentionGroups(env, opts),
    ...convGroups(env, opts),
    ...optimGroups(env, opts),
    ...trainingGroups(env, opts),
    // tfjs-backend-wasm is the peer; entries without it (the browser's) skip the wasm rows.
    ...(env.tf.findBackendFactory('wasm') ? wasmGroups(env, opts, env.cores ?? 1) : []),
  ];
}

// ---------------------------------------------------------------------------------------------
// Runner
// ---------------------------------------------------------------------------------------------

const fmtTime = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3));

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return msg.split('\n').find((l) => l.trim() !== '')?.trim() ?? msg;
}

/** Resolves when the group's device is idle; rejects with errors the backend recorded meanwhile. */
async function settle(g: Group): Promise<void> {
  await G.sync(g.device);
}

/** After a failure: let late (asynchronous) device errors arrive and swallow them. */
async function drain(g: Group): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await settle(g).catch(() => undefined);
    await new Promise((ok) => setTimeout(ok, 20));
  }
}

/** Target length of one sample when a group may repeat its op (see Group.batchable). */
const SAMPLE_MS = 10;

async function runGroup(env: BenchEnv, opts: BenchOptions, g: Group): Promise<Row[]> {
  const inst = await g.setup();
  const failed = new Map<Case, string>();
  const fail = async (c: Case, err: unknown): Promise<void> => {
    if (c === inst.peer) throw err;
    failed.set(c, firstLine(err));
    env.log(`  ${c.label}: FAILED: ${failed.get(c)}`);
    await drain(g); // so its errors are not blamed on the next case
  };
  try {
    // Correctness first (also the first warm-up: compiles every pipeline). A variant of ours that
    // throws or trips a WebGPU validation error is reported as failed and left out of the timing.
    const errors = new Map<Case, number>();
    const ref = inst.peer.output ? await inst.peer.output() : undefined;
    for (const c of inst.ours) {
      try {
        const out = c.output ? await c.output() : undefined;
        await settle(g);
        if (ref && out) errors.set(c, relError(out, ref));
      } catch (err) {
        await fail(c, err);
      }
    }
    let cases = [inst.peer, ...inst.ours.filter((c) => !failed.has(c))];
    /** One timed sample of `c` (k ops, one wait) in ms, or undefined if (one of ours) failed. */
    const timed = async (c: Case, k: number): Promise<number | undefined> => {
      try {
        const t0 = env.now();
        await c.run(k);
        const dt = env.now() - t0;
        if (c !== inst.peer && g.device === 'webgpu') await settle(g); // surface its device errors here
        return dt;
      } catch (err) {
        await fail(c, err);
        cases = cases.filter((x) => x !== c);
        return undefined;
      }
    };
    // Warm-up: every case until it has run ~150 ms (at least once more after output()).
    const est = new Map<Case, number>();
    for (const c of [...cases]) {
      let spent = 0;
      let runs = 0;
      let last: number | undefined = 0;
      while (runs < 1 || (spent < 150 && runs < 20)) {
        last = await timed(c, 1);
        if (last === undefined) break;
        spent += last;
        runs++;
      }
      if (last !== undefined) est.set(c, last);
    }
    // Ops per sample: short ops are repeated (same count for every case) so a sample lasts ~10 ms.
    const fastest = Math.min(...est.values());
    const k = g.batchable ? Math.max(1, Math.min(256, Math.ceil(SAMPLE_MS / Math.max(fastest, 1e-3)))) : 1;
    const scale = (g.unit === 'us/op' ? 1000 : 1) / (g.opsPerSample * k);
    const round = [...est.values()].reduce((s, v) => s + v, 0) * k;
    const reps = Math.max(g.minReps, Math.min(g.maxReps, Math.floor(g.budgetMs / Math.max(round, 1e-3))));
    const samples = new Map<Case, number[]>(cases.map((c) => [c, []]));
    for (let r = 0; r < reps; r++) {
      // Rotate the order every round (and reverse it every other) so no case always goes first.
      const shift = r % cases.length;
      let order = [...cases.slice(shift), ...cases.slice(0, shift)];
      if (r % 2) order = order.reverse();
      for (const c of order) {
        if (!cases.includes(c)) continue;
        const ms = await timed(c, k);
        if (ms === undefined) continue;
        const dt = ms * scale;
        samples.get(c)!.push(dt);
        if (opts.verbose) env.log(`    ${g.id} ${c.label}: ${fmtTime(dt)} ${g.unit}`);
      }
    }
    const peer = stats(samples.get(inst.peer)!);
    const gflops = (ms: number): number | undefined => (g.flopsPerOp ? g.flopsPerOp / (ms * 1e6) : undefined);
    const gbps = (ms: number): number | undefined => (g.bytesPerOp ? g.bytesPerOp / (ms * 1e6) : undefined);
    return inst.ours.map((c): Row => {
      const base = { id: g.id, variant: c.label, device: g.device, unit: g.unit, opsPerSample: g.opsPerSample * k, peer: { ...peer, name: inst.peer.label } };
      const error = failed.get(c);
      if (error !== undefined) {
        const none = { median: NaN, min: NaN, max: NaN, reps: 0, samples: [] };
        return { ...base, ours: none, speedup: NaN, gflopsPeer: gflops(peer.median), gbpsPeer: gbps(peer.median), error };
      }
      const ours = stats(samples.get(c)!);
      const speedup = peer.median / ours.median;
      const n = Math.min(ours.samples.length, peer.samples.length);
      const paired = median(Array.from({ length: n }, (_, i) => peer.samples[i]! / ours.samples[i]!));
      return {
        ...base,
        ours,
        speedup,
        pairedSpeedup: n > 0 ? paired : undefined,
        gflopsOurs: g.unit === 'ms' ? gflops(ours.median) : undefined,
        gflopsPeer: g.unit === 'ms' ? gflops(peer.median) : undefined,
        gbpsOurs: g.unit === 'ms' ? gbps(ours.median) : undefined,
        gbpsPeer: g.unit === 'ms' ? gbps(peer.median) : undefined,
        // Targets hold for what users get (the 'auto' choice); forced variants are for insight.
        target: c.label === 'auto' ? g.target : undefined,
        meetsTarget: c.label === 'auto' && g.target !== undefined ? speedup >= g.target : undefined,
        relError: errors.get(c),
      };
    });
  } finally {
    for (const c of [inst.peer, ...inst.ours]) c.dispose();
    inst.dispose?.();
  }
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'unknown';
}

export async function runSuite(env: BenchEnv, opts: BenchOptions): Promise<SuiteResult> {
  const { tf } = env;
  const t0 = env.now();
  const notes: string[] = [];
  const info = await G.initWebGPU();
  // deviceInfo() gives one `vendor / architecture / description` string; the backend has the parts.
  const adapterText = info.adapter ?? '';
  const parts = (G.getBackend('webgpu') as unknown as { adapterInfo?: Partial<SuiteResult['adapter']> }).adapterInfo ?? {};
  const adapter = {
    vendor: parts.vendor ?? '',
    architecture: parts.architecture ?? '',
    description: parts.description ?? (parts.vendor === undefined ? adapterText : ''),
    isSoftware: !!info.isSoftware,
  };
  // Initialise tfjs-cpu up front, silencing its one-time "install tfjs-node" banner in Node.
  await tf.setBackend('cpu');
  const tfCpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | undefined;
  if (tfCpu) tfCpu.firstUse = false;
  await tf.setBackend('webgpu');
  await tf.ready();
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  const peerInfo = tfWebGPU(tf).adapterInfo;
  const peerAdapter = peerInfo ? [peerInfo.vendor, peerInfo.architecture, peerInfo.description].filter(Boolean).join(' ') : undefined;
  env.log(`adapter (ours): ${adapterText}${info.isSoftware ? ' [software]' : ''}`);
  env.log(`adapter (tfjs): ${peerAdapter ?? '?'}`);
  if (info.isSoftware) notes.push('Software adapter (e.g. SwiftShader): numbers rank kernels on a CPU, not on a GPU.');

  const filter = opts.filter?.toLowerCase();
  const groups = defineGroups(env, opts, !info.isSoftware).filter((g) => !filter || g.id.toLowerCase().includes(filter));
  if (groups.length === 0) throw new Error(`bench: --filter '${opts.filter}' matches no row`);
  const rows: Row[] = [];
  for (const g of groups) {
    const live0 = G.memory().liveTensors;
    const tg = env.now();
    env.log(`- ${g.id} ...`);
    await tf.setBackend(g.device);
    let got: Row[];
    try {
      got = await runGroup(env, opts, g);
    } catch (err) {
      // The peer or the group's setup failed: no row can be timed; say so and carry on.
      const msg = firstLine(err);
      env.log(`  FAILED: ${msg}`);
      notes.push(`${g.id}: the whole group failed: ${msg}`);
      await G.sync().catch(() => undefined);
      got = [];
    }
    await tf.setBackend('webgpu');
    for (const r of got) {
      env.log(
        r.error !== undefined
          ? `  ${r.variant.padEnd(9)} FAILED (${r.error}) | ${r.peer.name} ${fmtTime(r.peer.median)} ${r.unit}`
          : `  ${r.variant.padEnd(9)} ours ${fmtTime(r.ours.median)} ${r.unit} | ${r.peer.name} ${fmtTime(r.peer.median)} ${r.unit} | ` +
              `x${r.speedup.toFixed(2)}${r.relError !== undefined ? ` | err ${r.relError.toExponential(1)}` : ''} (${r.ours.reps} reps)`,
      );
    }
    env.log(`  (${((env.now() - tg) / 1000).toFixed(1)} s)`);
    const leaked = G.memory().liveTensors - live0;
    if (leaked !== 0) notes.push(`${g.id}: ${leaked} of our tensors still live after the group (leak?)`);
    rows.push(...got);
  }
  for (const r of rows) {
    if (r.error !== undefined) notes.push(`${r.id} ${r.variant}: FAILED: ${r.error}`);
    if (r.relError !== undefined && !(r.relError < 1e-3)) {
      notes.push(`${r.id} ${r.variant}: result differs from the peer's (rel. error ${r.relError.toExponential(2)})`);
    }
  }
  const date = new Date().toISOString();
  const tfVersion = (tf as unknown as { version_core?: string }).version_core ?? '?';
  return {
    env: `${env.runtime}-${slug(adapter.architecture || adapter.vendor || adapterText)}`,
    date,
    runtime: env.runtime,
    runtimeVersion: env.runtimeVersion,
    quick: opts.quick,
    filter: opts.filter,
    adapter,
    peerAdapter,
    peerVersion: `@tensorflow/tfjs-core ${tfVersion}`,
    rows,
    notes,
    totalSeconds: (env.now() - t0) / 1000,
  };
}

/** `bench/results/<env>-<date>.json` (date with `:` made file-name safe). */
export function defaultResultName(r: SuiteResult): string {
  return `${r.env}-${r.date.slice(0, 19).replace(/:/g, '-')}.json`;
}

// ---------------------------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------------------------

function rowCells(r: Row): string[] {
  // Software adapters reach fractions of a GB/s: keep two significant digits there.
  const g = (v?: number): string => (v === undefined ? '' : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(2));
  const target = r.target === undefined ? '' : `≥${r.target}x ${r.meetsTarget ? 'yes' : 'NO'}`;
  const failed = r.error !== undefined;
  return [
    r.id,
    r.variant,
    failed ? 'FAILED' : `${fmtTime(r.ours.median)} ${r.unit}`,
    `${fmtTime(r.peer.median)} ${r.unit}`,
    failed ? '' : `${r.speedup.toFixed(2)}x`,
    target,
    r.pairedSpeedup === undefined ? '' : `${r.pairedSpeedup.toFixed(2)}x`,
    failed ? '' : `${fmtTime(r.ours.min)}–${fmtTime(r.ours.max)}`,
    `${fmtTime(r.peer.min)}–${fmtTime(r.peer.max)}`,
    g(r.gflopsOurs),
    g(r.gflopsPeer),
    g(r.gbpsOurs),
    g(r.gbpsPeer),
    r.unit === 'ms' && r.opsPerSample > 1 ? `${r.ours.reps}×${r.opsPerSample}` : String(r.ours.reps),
    r.relError === undefined ? '' : r.relError.toExponential(1),
  ];
}

const HEADER = ['row', 'ours', 'ours median', 'peer median', 'speedup', 'target', 'paired', 'ours min–max', 'peer min–max', 'GFLOP/s ours', 'GFLOP/s peer', 'GB/s ours', 'GB/s peer', 'reps', 'rel. err'];

/** An aligned plain-text table for the terminal. */
export function textTable(res: SuiteResult): string {
  const rows = [HEADER, ...res.rows.map(rowCells)];
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** A markdown table (for the README's performance section) with a one-line environment header. */
export function markdownTable(res: SuiteResult): string {
  const a = res.adapter;
  const head =
    `${res.runtime} (${res.runtimeVersion}), adapter: ${[a.vendor, a.architecture, a.description].filter(Boolean).join(' / ')}` +
    `${a.isSoftware ? ' (software)' : ''}; peer ${res.peerVersion}; ${res.date.slice(0, 10)}${res.quick ? ', --quick' : ''}. ` +
    'Speedup = peer median / ours median (above 1: ours faster); medians of interleaved, synchronised runs; ' +
    'reps `n×k` = n samples of k back-to-back ops and one wait.';
  const cols = ['row', 'ours', 'ours median', 'tfjs median', 'speedup', 'target', 'ours min–max', 'tfjs min–max', 'GFLOP/s ours', 'GFLOP/s tfjs', 'GB/s ours', 'GB/s tfjs', 'reps'];
  const pick = (c: string[]): string[] => [c[0]!, c[1]!, c[2]!, c[3]!, c[4]!, c[5]!, c[7]!, c[8]!, c[9]!, c[10]!, c[11]!, c[12]!, c[13]!];
  const lines = [
    `| ${cols.join(' | ')} |`,
    `|${cols.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...res.rows.map((r) => `| ${pick(rowCells(r)).join(' | ')} |`),
  ];
  return [head, '', ...lines].join('\n');
}

/** Rows where we are slower than the peer, or miss our target. */
export function shortfalls(res: SuiteResult): string[] {
  return res.rows
    .filter((r) => r.error === undefined && (r.speedup < 1 || r.meetsTarget === false))
    .map((r) => `${r.id} (${r.variant}): speedup ${r.speedup.toFixed(2)}x${r.target !== undefined ? `, target ≥${r.target}x` : ''}${r.speedup < 1 ? ' — SLOWER than the peer' : ''}`);
}

/** Everything printed at the end of a run. */
export function report(res: SuiteResult): string {
  const out = ['', textTable(res), '', markdownTable(res)];
  const short = shortfalls(res);
  if (short.length) out.push('', 'Below target / slower than peer:', ...short.map((s) => `  - ${s}`));
  if (res.notes.length) out.push('', 'Notes:', ...res.notes.map((s) => `  - ${s}`));
  out.push('', `Total ${res.totalSeconds.toFixed(1)} s.`);
  return out.join('\n');
}
