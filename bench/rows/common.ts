/**
 * Helpers shared by the kernel rows (reductions, conv, attention, optimizer): a two-contestant
 * WebGPU group built from "issue one op" closures, and host copies that move our NCHW / OIHW
 * tensors into tfjs's NHWC / HWIO layouts during setup (outside the timed region).
 */
import type * as TF from '@tensorflow/tfjs-core';
import * as G from '../../src/index.js';
import { tfWebGPUWait, type BenchEnv, type BenchOptions, type Case, type Group, type GroupInstance } from '../suite.js';

/**
 * A kernel row's two sides. `op` issues the op once and returns its result(s); the runner wraps
 * it in `tidy` (ours and tfjs's), so whatever it creates, internal views included, is freed at
 * once instead of at garbage collection, and the buffer pools see the same traffic every rep.
 */
export interface Pair {
  ours: {
    op(): G.Tensor | G.Tensor[] | void;
    /** Per result: the permutation into tfjs's layout for the correctness check (none: as is). */
    layouts?: (number[] | undefined)[];
    /** For an op that updates in place and returns nothing: what the check reads after one op. */
    updated?: G.Tensor;
  };
  peer: { op(): TF.Tensor | TF.Tensor[] | void; updated?: TF.Tensor };
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

const list = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);

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
          for (let i = 0; i < k; i++) tf.tidy(() => { pair.peer.op(); });
          await tfWebGPUWait(tf);
        },
        async output() {
          const outs = tf.tidy(() => pair.peer.op());
          if (outs) return tfHost(list(outs));
          return Float32Array.from(await pair.peer.updated!.data());
        },
        dispose() {},
      };
      const ours: Case = {
        label: 'auto',
        async run(k) {
          for (let i = 0; i < k; i++) G.tidy(() => { pair.ours.op(); });
          await G.sync('webgpu');
        },
        async output() {
          const result = G.tidy(() => pair.ours.op());
          if (!result) return host(pair.ours.updated!);
          const outs = list(result);
          const parts = [];
          for (const [i, t] of outs.entries()) parts.push(await host(t, pair.ours.layouts?.[i]));
          outs.forEach((t) => t.dispose());
          return concat(parts);
        },
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
  const p = G.tidy(() => G.permute(t, order));
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
async function tfHost(ts: TF.Tensor[]): Promise<Float32Array> {
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

/**
 * Ours on the CPU backend against tfjs-backend-cpu for one op: each side issues `op` k times
 * (ours inside `tidy`, then a sync; tfjs's result read back, which on tfjs-cpu only guards
 * against laziness), and each gives one output for the cross-check. `peerInputs` are freed with
 * the peer case, `ourInputs` with the group instance.
 */
export function cpuOpCases(
  oursOp: () => G.Tensor, peerOp: () => TF.Tensor, ourInputs: G.Tensor[], peerInputs: TF.Tensor[],
): GroupInstance {
  const peer: Case = {
    label: 'tfjs-cpu',
    async run(k) {
      for (let i = 0; i < k; i++) {
        const c = peerOp();
        c.dataSync();
        c.dispose();
      }
    },
    async output() {
      const c = peerOp();
      const d = c.dataSync();
      c.dispose();
      return d;
    },
    dispose() {
      for (const t of peerInputs) t.dispose();
    },
  };
  const ours: Case = {
    label: 'auto',
    async run(k) {
      for (let i = 0; i < k; i++) G.tidy(oursOp).dispose();
      await G.sync('cpu');
    },
    async output() {
      const c = G.tidy(oursOp);
      const d = await c.data();
      c.dispose();
      return d;
    },
    dispose() {},
  };
  return {
    peer,
    ours: [ours],
    dispose: () => {
      for (const t of ourInputs) t.dispose();
    },
  };
}
