/**
 * float32 sums as wasm SIMD, accumulated in float64 like the CPU reference (so a sum of float32
 * values loses nothing before its one final rounding, and the result matches the reference):
 *
 *   sumRow(x, n) -> f64          x[0] + ... + x[n-1] (4 lanes per step: two f64x2 accumulators)
 *   sumInto(x, acc, n)           acc[j] += x[j] for j < n, acc float64 (for kept innermost axes)
 *
 * The driver walks the simplified loop nest as the reference does (input in memory order) and
 * calls one of the two per innermost row: when the innermost axis is reduced the row collapses
 * to one slot (sumRow, added in TypeScript), when it is kept the row adds into a float64 row of
 * the accumulator (sumInto). Other ops and dtypes, and rows too short to pay for a call, run the
 * reference's loop (reduce in wasm-backend.ts).
 */
import type { ReduceOp, TensorRef } from '../backend';
import { contiguousStrides, forEachRow, numel, simplifyLoop } from '../cpu/iterate';
import { reducedShape } from '../cpu/reduce';
import { Fn, ModuleBuilder, OP, SIMD } from './emit';
import type { WasmStorage } from './reference';
import type { WasmBackend } from './wasm-backend';

/** Innermost rows shorter than this run the reference's loop: a wasm call per row costs ~that much. */
const MIN_ROW = 16;

/** Swaps the two halves of a v128, so promote_low reaches lanes 2 and 3. */
const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];

function emitSumRow(): Fn {
  const f = new Fn('sumRow', ['i32', 'i32'], ['f64']);
  const [x, n] = [0, 1];
  const [i, end, v, lo, hi, tail] = [f.local('i32'), f.local('i32'), f.local('v128'), f.local('v128'), f.local('v128'), f.local('f64')];
  f.i32(0).simd(SIMD.i32x4Splat).tee(lo).set(hi);
  f.get(n).i32(-4).op(OP.i32And).set(end);
  f.for(i, () => f.i32(0), () => f.get(end), 4, () => {
    f.get(x).vmem(SIMD.load, 0).set(v);
    f.get(lo).get(v).simd(SIMD.f64x2PromoteLowF32x4).simd(SIMD.f64x2Add).set(lo);
    f.get(hi).get(v).get(v).simd(SIMD.i8x16Shuffle, ...HIGH_HALF).simd(SIMD.f64x2PromoteLowF32x4).simd(SIMD.f64x2Add).set(hi);
    f.inc(x, 16);
  });
  f.for(i, () => f.get(end), () => f.get(n), 1, () => {
    f.get(tail).get(x).mem(OP.f32Load, 2).op(OP.f64PromoteF32, OP.f64Add).set(tail);
    f.inc(x, 4);
  });
  f.get(lo).get(hi).simd(SIMD.f64x2Add).set(v);
  f.get(v).simd(SIMD.f64x2ExtractLane, 0).get(v).simd(SIMD.f64x2ExtractLane, 1).op(OP.f64Add).get(tail).op(OP.f64Add);
  return f;
}

function emitSumInto(): Fn {
  const f = new Fn('sumInto', ['i32', 'i32', 'i32']);
  const [x, acc, n] = [0, 1, 2];
  const [i, end, v] = [f.local('i32'), f.local('i32'), f.local('v128')];
  f.get(n).i32(-4).op(OP.i32And).set(end);
  f.for(i, () => f.i32(0), () => f.get(end), 4, () => {
    f.get(x).vmem(SIMD.load, 0).set(v);
    f.get(acc).get(acc).vmem(SIMD.load, 0).get(v).simd(SIMD.f64x2PromoteLowF32x4).simd(SIMD.f64x2Add).vmem(SIMD.store, 0);
    f.get(acc).get(acc).vmem(SIMD.load, 0, 16).get(v).get(v).simd(SIMD.i8x16Shuffle, ...HIGH_HALF).simd(SIMD.f64x2PromoteLowF32x4).simd(SIMD.f64x2Add).vmem(SIMD.store, 0, 16);
    f.inc(x, 16).inc(acc, 32);
  });
  f.for(i, () => f.get(end), () => f.get(n), 1, () => {
    f.get(acc).get(acc).mem(OP.f64Load, 3).get(x).mem(OP.f32Load, 2).op(OP.f64PromoteF32, OP.f64Add).mem(OP.f64Store, 3);
    f.inc(x, 4).inc(acc, 8);
  });
  return f;
}

export function addReduce(mod: ModuleBuilder): void {
  mod.add(emitSumRow());
  mod.add(emitSumInto());
}

/** A float32 sum over `axes` with the kernels above, or null when the reference's loop should run. */
export function wasmSum(backend: WasmBackend, op: ReduceOp, x: TensorRef, axes: readonly number[]): WasmStorage | null {
  if (op !== 'sum' || x.dtype !== 'float32') return null;
  const outShape = reducedShape(x.shape, axes);
  const slots = numel(outShape);
  const accStrides = contiguousStrides(outShape).map((s, axis) => (axes.includes(axis) ? 0 : s));
  const nest = simplifyLoop(x.shape, [contiguousStrides(x.shape), accStrides]);
  const inner = nest.shape.at(-1)!;
  if (inner < MIN_ROW || numel(x.shape) === 0) return null;
  const { kernels } = backend.rt;
  const src = backend.own(x.storage, 'reduce').ptr;
  const out = backend.alloc(slots, 'float32');
  if (nest.strides[1]!.at(-1) === 0) {
    const acc = new Float64Array(slots);
    const sumRow = kernels.sumRow as unknown as (x: number, n: number) => number;
    forEachRow(nest, [0, 0], ([px, pa]) => {
      acc[pa!] += sumRow(src + px! * 4, inner);
    });
    backend.view(out).set(acc);
    return out;
  }
  // The float64 accumulator lives in the wasm heap (8 bytes a slot), zeroed, then rounded once.
  const acc = backend.alloc(2 * slots, 'float32');
  kernels.fill32!(acc.ptr, 2 * slots, 0);
  forEachRow(nest, [0, 0], ([px, pa]) => kernels.sumInto!(src + px! * 4, acc.ptr + pa! * 8, inner));
  backend.view(out).set(new Float64Array(backend.rt.memory.buffer, acc.ptr, slots));
  backend.release(acc);
  return out;
}
