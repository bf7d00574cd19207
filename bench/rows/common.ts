/**
 * Helpers shared by the kernel rows (reductions, conv, attention, optimizer): a two-contestant
 * WebGPU group built from "issue one op" closures, and host copies that move our NCHW / OIHW
 * tensors into tfjs's NHWC / HWIO layouts during setup (outside the timed region).
 */
import type * as TF from '@tensorflow/tfjs-core';
import * as G from '../../src/index.js';
import { tfWebGPUWait, type BenchEnv, type BenchOptions, type Case, type Group } from '../suite.js';

/** One side of a kernel row: `run` issues the op once (and disposes what it made). */
export interface Side {
  run(): void;
  /** The op's result on the host, in the peer's layout, for the correctness check. */
  output(): Promise<ArrayLike<number>>;
}

export interface Pair {
  ours: Side;
  peer: Side;
  dispose(): void;
}

export interface KernelRow {
  id: string;
  flopsPerOp?: number;
  bytesPerOp?: number;
  /** Time budget of the timed rounds in ms: [--quick, full]. */
  budgetMs?: [number, number];
  setup(): Promise<Pair>;
}

/** A WebGPU group of ours ('auto') against tfjs-webgpu; short ops are repeated per sample. */
export function kernelGroup(env: BenchEnv, opts: BenchOptions, row: KernelRow): Group {
  const { tf } = env;
  const [quickMs, fullMs] = row.budgetMs ?? [3_000, 10_000];
  return {
    id: row.id,
    device: 'webgpu',
    unit: 'ms',
    opsPerSample: 1,
    batchable: true,
    flopsPerOp: row.flopsPerOp,
    bytesPerOp: row.bytesPerOp,
    budgetMs: opts.quick ? quickMs : fullMs,
    minReps: opts.quick ? 3 : 5,
    maxReps: opts.quick ? 15 : 41,
    async setup() {
      const pair = await row.setup();
      const peer: Case = {
        label: 'tfjs-webgpu',
        async run(k) {
          for (let i = 0; i < k; i++) pair.peer.run();
          await tfWebGPUWait(tf);
        },
        output: () => pair.peer.output(),
        dispose() {},
      };
      const ours: Case = {
        label: 'auto',
        async run(k) {
          for (let i = 0; i < k; i++) pair.ours.run();
          await G.sync('webgpu');
        },
        output: () => pair.ours.output(),
        dispose() {},
      };
      return { peer, ours: [ours], dispose: () => pair.dispose() };
    },
  };
}

/** NCHW -> NHWC. */
export const TO_NHWC = [0, 2, 3, 1];
/** Conv2d weight OIHW -> tfjs HWIO; convTranspose2d weight [in, out, kh, kw] -> tfjs [kh, kw, out, in]. */
export const TO_HWIO = [2, 3, 1, 0];

/** A host copy of `t`, permuted by `order` when given. */
export async function host(t: G.Tensor, order?: number[]): Promise<Float32Array> {
  if (!order) return Float32Array.from(await t.data());
  const p = G.permute(t, order);
  const d = Float32Array.from(await p.data());
  p.dispose();
  return d;
}

/** The same values as a tfjs tensor (permuted by `order` when given). */
export async function toTf(tf: typeof TF, t: G.Tensor, order?: number[]): Promise<TF.Tensor> {
  const shape = order ? order.map((i) => t.shape[i]!) : [...t.shape];
  return tf.tensor(await host(t, order), shape);
}

/** Host copies of several outputs, concatenated (one relative error for all gradients). */
export function concat(parts: ArrayLike<number>[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Reads tfjs tensors to the host (in order), then disposes them. */
export async function tfHost(ts: TF.Tensor[]): Promise<Float32Array> {
  const parts = await Promise.all(ts.map(async (t) => (await t.data()) as Float32Array));
  for (const t of ts) t.dispose();
  return concat(parts);
}

/**
 * tfjs-core alone has no gradients (the `@tensorflow/tfjs` umbrella registers them). Loaded in a
 * row's setup, not at the top: the entries import tfjs only after installing `require` and
 * `navigator.gpu`.
 */
export async function tfGradients(): Promise<void> {
  await import('@tensorflow/tfjs-core/dist/register_all_gradients');
}
