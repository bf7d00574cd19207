/**
 * Elementwise fusion: float32 unary and binary ops over one element count are recorded instead of
 * dispatched, and the chain runs as one kernel when anything else needs the command queue (another
 * kernel or copy, a read, a flush), when it reaches MAX_STEPS ops, or when its buffers would pass
 * the binding limit. Intermediates stay in registers; only outputs whose storage is still alive
 * when the chain runs are written (a chain whose every output was released writes nothing).
 *
 * Each chain signature (ops, operand wiring, which inputs are single elements, which outputs are
 * written) gets its own small kernel: a generated `element(i)` calling the WGSL library's
 * functions by op code (kernels/lib/elementwise.wgsl), compiled once and cached. An interpreter
 * kernel reading the op list from a uniform would compile once, but every element would then run a
 * loop over a switch of every op, which CPU adapters (SwiftShader) execute slowly; training steps
 * repeat the same few chains, so per-signature kernels compile a handful of times per model.
 *
 * A signature is compiled only once it has been seen HOT_AFTER times: before that its steps run as
 * the plain kernels (released intermediates in scratch buffers), so one-off chains (tests, setup
 * code) never wait for a compile, while a training loop's chains are fused from its third step.
 *
 * The ops layer and autograd see nothing of this: each op still returns its own storage.
 */
import elementwiseLib from '../../../kernels/lib/elementwise.wgsl';
import type { PooledBuffer } from './buffer-pool.js';
import { BINARY_OPS, UNARY_OPS } from './codes.js';
import type { KernelRegistry } from './kernels.js';
import type { Kernel, KernelLayout } from './pipelines.js';
import type { CommandQueue } from './queue.js';

/** Ops per fused kernel (one uniform parameter slot each). */
export const MAX_STEPS = 32;
/** Elements per workgroup of the streaming entry point (kernels/lib/stream.wgsl: 8 x 64). */
const STREAM_BLOCK = 512;
const MAX_CACHED_KERNELS = 256;
/** Occurrences of a chain signature before it is compiled into one kernel. */
export const HOT_AFTER = 3;

/** The part of a backend storage the recorder needs. */
export interface FusableStorage {
  readonly entry: PooledBuffer;
  released: boolean;
}

/** An operand: a chain input (full length or one element broadcast), or an earlier step's value. */
export type Operand = { input: number } | { step: number };

export interface FusedStep {
  readonly unary: boolean;
  readonly op: number;
  readonly param: number;
  readonly args: readonly Operand[];
  readonly out: FusableStorage;
}

/** An operand as the caller sees it: a storage read whole, or its one element broadcast (`scalar`). */
export interface ChainInput {
  readonly storage: FusableStorage;
  readonly scalar: boolean;
}

export interface FusionContext {
  kernels: KernelRegistry;
  queue: CommandQueue;
  /** Storage buffers one kernel may bind (the device's maxStorageBuffersPerShaderStage). */
  maxBindings: number;
  /** A scratch buffer of `words` 32-bit words, for intermediates run unfused. */
  acquire(words: number): PooledBuffer;
  /** Returns a buffer to the pool once the chain reading it has been recorded. */
  releaseBuffer(entry: PooledBuffer): void;
  /** Runs one step as the plain unary / binary kernel (nothing to compile). */
  dispatchAlone(step: FusedStep, operands: { entry: PooledBuffer; scalar: boolean }[], out: PooledBuffer, n: number): void;
}

/** 'leakyRelu' -> 'leaky_relu': the library's per-op functions are unary_leaky_relu, binary_add, ... */
const snake = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

export class ElementwiseFusion {
  enabled = true;
  /** Fused kernels dispatched (each replaced `steps` separate dispatches), for the bench's counts. */
  fusedDispatches = 0;
  private n = 0;
  private inputs: ChainInput[] = [];
  private steps: FusedStep[] = [];
  private readonly stepOf = new Map<FusableStorage, number>();
  private deferred: PooledBuffer[] = [];
  private readonly cache = new Map<string, Kernel>();
  /** Occurrences of signatures not compiled yet. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly ctx: FusionContext) {}

  /**
   * Records `out = op(operands)` over `n` elements; each operand is `n` long or one element.
   * The chain in progress runs first when this op cannot join it.
   */
  record(unary: boolean, op: number, param: number, operands: readonly ChainInput[], out: FusableStorage, n: number): void {
    if (this.steps.length > 0 && (n !== this.n || this.steps.length >= MAX_STEPS || !this.fits(operands))) this.flush();
    this.n = n;
    const args = operands.map(({ storage, scalar }): Operand => {
      const step = this.stepOf.get(storage);
      if (step !== undefined) return { step };
      // One storage read both whole and as one element (n = 1 aside) becomes two inputs.
      let input = this.inputs.findIndex((i) => i.storage === storage && i.scalar === scalar);
      if (input < 0) input = this.inputs.push({ storage, scalar }) - 1;
      return { input };
    });
    this.stepOf.set(out, this.steps.push({ unary, op, param, args, out }) - 1);
  }

  /** Whether releasing `storage` must wait for the chain (it reads the storage's buffer). */
  reads(storage: FusableStorage): boolean {
    return this.steps.length > 0 && this.inputs.some((i) => i.storage === storage);
  }

  deferRelease(entry: PooledBuffer): void {
    this.deferred.push(entry);
  }

  /** Runs the recorded chain (if any) as one dispatch. */
  flush(): void {
    if (this.steps.length === 0) return;
    const { n, inputs, steps, deferred } = this;
    this.inputs = [];
    this.steps = [];
    this.deferred = [];
    this.stepOf.clear();
    const written = steps.map((s, k) => k).filter((k) => !steps[k]!.out.released);
    if (written.length > 0) {
      const signature = `${inputs.map((i) => (i.scalar ? 's' : 'f')).join('')}|${steps.map(stepKey).join(';')}|${written.join(',')}`;
      if (steps.length > 1 && this.isHot(signature)) this.dispatchChain(signature, n, inputs, steps, written);
      else this.dispatchSteps(n, inputs, steps);
    }
    for (const entry of deferred) this.ctx.releaseBuffer(entry);
  }

  private isHot(signature: string): boolean {
    if (this.cache.has(signature)) return true;
    const count = (this.seen.get(signature) ?? 0) + 1;
    if (this.seen.size >= MAX_CACHED_KERNELS * 4) this.seen.clear();
    this.seen.set(signature, count);
    return count >= HOT_AFTER;
  }

  /** The steps one kernel each; a released intermediate that a later step reads lives in scratch. */
  private dispatchSteps(n: number, inputs: ChainInput[], steps: FusedStep[]): void {
    // Steps whose value nobody needs (released, and read by no needed step) are skipped.
    const needed = steps.map((s) => !s.out.released);
    for (let k = steps.length - 1; k >= 0; k--) {
      if (!needed[k]) continue;
      for (const a of steps[k]!.args) if ('step' in a) needed[a.step] = true;
    }
    const values: PooledBuffer[] = [];
    const scratch: PooledBuffer[] = [];
    steps.forEach((s, k) => {
      if (!needed[k]) return;
      let out = s.out.entry;
      if (s.out.released) scratch.push((out = this.ctx.acquire(n)));
      const operands = s.args.map((a) => ('step' in a
        ? { entry: values[a.step]!, scalar: false }
        : { entry: inputs[a.input]!.storage.entry, scalar: inputs[a.input]!.scalar }));
      this.ctx.dispatchAlone(s, operands, out, n);
      values[k] = out;
    });
    for (const entry of scratch) this.ctx.releaseBuffer(entry);
  }

  private dispatchChain(signature: string, n: number, inputs: ChainInput[], steps: FusedStep[], written: number[]): void {
    let kernel = this.cache.get(signature);
    if (!kernel) {
      this.seen.delete(signature);
      if (this.cache.size >= MAX_CACHED_KERNELS) this.cache.clear();
      kernel = this.ctx.kernels.compile(`fused[${signature}]`, chainSource(inputs, steps, written) + elementwiseLib, chainLayout(inputs.length, written.length));
      this.cache.set(signature, kernel);
    }
    const param = new Array<number>(MAX_STEPS).fill(0);
    steps.forEach((s, k) => (param[k] = s.param));
    const buffers = [...inputs.map((i) => i.storage.entry), ...written.map((k) => steps[k]!.out.entry)];
    this.fusedDispatches++;
    this.ctx.queue.dispatch(kernel, {}, buffers, { n, param }, this.ctx.queue.grid1D(Math.ceil(n / STREAM_BLOCK)));
  }

  /** Whether the chain plus this op's new inputs and output stays within the binding limit. */
  private fits(operands: readonly ChainInput[]): boolean {
    const isNew = (o: ChainInput) => !this.stepOf.has(o.storage) && !this.inputs.some((i) => i.storage === o.storage && i.scalar === o.scalar);
    const fresh = operands.filter(isNew).filter((o, k, all) => all.findIndex((p) => p.storage === o.storage && p.scalar === o.scalar) === k);
    const outputs = this.steps.filter((s) => !s.out.released).length + 1;
    return this.inputs.length + fresh.length + outputs <= this.ctx.maxBindings;
  }
}

function stepKey(s: FusedStep): string {
  return `${s.unary ? 'u' : 'b'}${s.op}(${s.args.map((a) => ('step' in a ? `v${a.step}` : `a${a.input}`)).join(',')})`;
}

/** The generated part of a chain's kernel: bindings, Params and `element(i)`. */
function chainSource(inputs: ChainInput[], steps: FusedStep[], written: number[]): string {
  const lines = [
    `// A fused elementwise chain (src/backend/webgpu/fusion.ts).`,
    'struct Params {',
    '  n: u32,',
    `  param: array<vec4<f32>, ${MAX_STEPS / 4}>,`,
    '}',
  ];
  inputs.forEach((_, k) => lines.push(`@group(0) @binding(${k}) var<storage, read> in${k}: array<f32>;`));
  written.forEach((_, j) => lines.push(`@group(0) @binding(${inputs.length + j}) var<storage, read_write> out${j}: array<f32>;`));
  lines.push(`@group(0) @binding(${inputs.length + written.length}) var<uniform> params: Params;`, 'override WG: u32 = 64u;', '', 'fn element(i: u32) {');
  inputs.forEach((input, k) => lines.push(`  let a${k} = in${k}[${input.scalar ? '0' : 'i'}];`));
  const operand = (a: Operand) => ('step' in a ? `v${a.step}` : `a${a.input}`);
  steps.forEach((s, k) => {
    const args = s.args.map(operand).join(', ');
    // The per-op functions, not unary_f32 / binary_f32: no switch over every op to compile.
    const call = s.unary
      ? `unary_${snake(UNARY_OPS[s.op]!)}(${args}, params.param[${k >> 2}].${'xyzw'[k & 3]})`
      : `binary_${snake(BINARY_OPS[s.op]!)}(${args})`;
    lines.push(`  let v${k} = ${call};`);
  });
  written.forEach((k, j) => lines.push(`  out${j}[i] = v${k};`));
  lines.push('}', '');
  return lines.join('\n');
}

function chainLayout(inputs: number, outputs: number): KernelLayout {
  const storage: [number, number][] = [];
  for (let k = 0; k < inputs + outputs; k++) storage.push([k, k < inputs ? 1 : 0]);
  return {
    storage,
    paramsBinding: inputs + outputs,
    paramsBytes: 16 + MAX_STEPS * 4,
    members: { n: ['u32', [0]], param: ['f32', Array.from({ length: MAX_STEPS }, (_, k) => 4 + k)] },
    overrides: ['WG'],
  };
}
