/**
 * Elementwise wasm kernels over one row of contiguous or broadcast operands (the backend walks the
 * outer loop nest in TypeScript and calls one of these per innermost row): SIMD for arithmetic and
 * the simple unary ops, comparisons and where.
 *
 *   bin_<dtype>_<op>(a, aStep, b, bStep, out, n)   out[i] = a[i * aStep] op b[i * bStep], steps 0 or 1
 *   un_f32_<op>(x, out, n, param)                  out[i] = f(x[i])
 *
 * Four lanes per step with the scalar operand splatted once when a step is 0; the tail of fewer
 * than four elements runs the scalar form of the same op.
 */
import { Fn, ModuleBuilder, OP, SIMD } from './emit';

/** Binary ops with a wasm kernel, per dtype; the rest run as TypeScript loops over the wasm memory. */
export const WASM_BINARY = {
  float32: { add: [SIMD.f32x4Add, OP.f32Add], sub: [SIMD.f32x4Sub, OP.f32Sub], mul: [SIMD.f32x4Mul, OP.f32Mul], div: [SIMD.f32x4Div, OP.f32Div], maximum: [SIMD.f32x4Max, OP.f32Max], minimum: [SIMD.f32x4Min, OP.f32Min] },
  int32: { add: [SIMD.i32x4Add, OP.i32Add], sub: [SIMD.i32x4Sub, OP.i32Sub], mul: [SIMD.i32x4Mul, OP.i32Mul] },
} as const satisfies Record<string, Record<string, readonly [number, number]>>;

/** Comparisons with a wasm kernel (writing one 0/1 bool byte per element), per dtype: [vector, scalar] opcodes. */
export const WASM_COMPARE = {
  float32: { eq: [SIMD.f32x4Eq, OP.f32Eq], ne: [SIMD.f32x4Ne, OP.f32Ne], lt: [SIMD.f32x4Lt, OP.f32Lt], le: [SIMD.f32x4Le, OP.f32Le], gt: [SIMD.f32x4Gt, OP.f32Gt], ge: [SIMD.f32x4Ge, OP.f32Ge] },
  int32: { eq: [SIMD.i32x4Eq, OP.i32Eq], ne: [SIMD.i32x4Ne, OP.i32Ne], lt: [SIMD.i32x4LtS, OP.i32LtS], le: [SIMD.i32x4LeS, OP.i32LeS], gt: [SIMD.i32x4GtS, OP.i32GtS], ge: [SIMD.i32x4GeS, OP.i32GeS] },
} as const satisfies Record<string, Record<string, readonly [number, number]>>;

/** float32 unary ops with a wasm kernel (exact or one correctly rounded float32 operation each). */
export const WASM_UNARY = ['neg', 'abs', 'square', 'sqrt', 'reciprocal', 'relu', 'leakyRelu', 'floor', 'ceil'] as const;
export type WasmUnaryOp = (typeof WASM_UNARY)[number];

function emitBinary(dtype: 'float32' | 'int32', opName: string, vectorOp: number, scalarOp: number): Fn {
  const f = new Fn(`bin_${dtype}_${opName}`, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [a, aStep, b, bStep, out, n] = [0, 1, 2, 3, 4, 5];
  const [i, end, va, vb] = [f.local('i32'), f.local('i32'), f.local('v128'), f.local('v128')];
  const load = dtype === 'float32' ? OP.f32Load : OP.i32Load;
  const store = dtype === 'float32' ? OP.f32Store : OP.i32Store;
  const splat = dtype === 'float32' ? SIMD.f32x4Splat : SIMD.i32x4Splat;
  // A broadcast operand is loaded once as a splat and never advances.
  f.if(() => f.get(aStep).op(OP.i32Eqz), () => f.get(a).mem(load, 2).simd(splat).set(va));
  f.if(() => f.get(bStep).op(OP.i32Eqz), () => f.get(b).mem(load, 2).simd(splat).set(vb));
  f.get(n).i32(-4).op(OP.i32And).set(end);
  f.for(i, () => f.i32(0), () => f.get(end), 4, () => {
    f.get(out);
    f.if(() => f.get(aStep), () => f.get(a).vmem(SIMD.load, 0).set(va));
    f.if(() => f.get(bStep), () => f.get(b).vmem(SIMD.load, 0).set(vb));
    f.get(va).get(vb).simd(vectorOp).vmem(SIMD.store, 0);
    f.inc(out, 16).inc(a, () => f.get(aStep).i32(4).op(OP.i32Shl)).inc(b, () => f.get(bStep).i32(4).op(OP.i32Shl));
  });
  f.for(i, () => f.get(end), () => f.get(n), 1, () => {
    f.get(out).get(a).mem(load, 2).get(b).mem(load, 2).op(scalarOp).mem(store, 2);
    f.inc(out, 4).inc(a, () => f.get(aStep).i32(2).op(OP.i32Shl)).inc(b, () => f.get(bStep).i32(2).op(OP.i32Shl));
  });
  return f;
}

/** Emits f(x) for the value in local `x` (v128 when `vector`), the parameter in `param` / `vparam`. */
function unaryBody(f: Fn, op: WasmUnaryOp, vector: boolean, x: number, param: number, zero: number): void {
  const v = (simd: number, scalar: number) => (vector ? f.simd(simd) : f.op(scalar));
  switch (op) {
    case 'neg': f.get(x); v(SIMD.f32x4Neg, OP.f32Neg); return;
    case 'abs': f.get(x); v(SIMD.f32x4Abs, OP.f32Abs); return;
    case 'square': f.get(x).get(x); v(SIMD.f32x4Mul, OP.f32Mul); return;
    case 'sqrt': f.get(x); v(SIMD.f32x4Sqrt, OP.f32Sqrt); return;
    case 'reciprocal': if (vector) f.f32(1).simd(SIMD.f32x4Splat); else f.f32(1); f.get(x); v(SIMD.f32x4Div, OP.f32Div); return;
    case 'floor': f.get(x); v(SIMD.f32x4Floor, OP.f32Floor); return;
    case 'ceil': f.get(x); v(SIMD.f32x4Ceil, OP.f32Ceil); return;
    // x < 0 ? 0 (or slope * x) : x, so NaN passes through as in the reference.
    case 'relu':
    case 'leakyRelu':
      if (op === 'relu') f.get(zero);
      else { f.get(param).get(x); v(SIMD.f32x4Mul, OP.f32Mul); }
      f.get(x).get(x).get(zero);
      if (vector) f.simd(SIMD.f32x4Lt).simd(SIMD.v128Bitselect);
      else f.op(OP.f32Lt, OP.select);
      return;
  }
}

function emitUnary(op: WasmUnaryOp): Fn {
  const f = new Fn(`un_float32_${op}`, ['i32', 'i32', 'i32', 'f32']);
  const [x, out, n, param] = [0, 1, 2, 3];
  const [i, end, vx, vparam, vzero, sx, szero] = [f.local('i32'), f.local('i32'), f.local('v128'), f.local('v128'), f.local('v128'), f.local('f32'), f.local('f32')];
  f.get(param).simd(SIMD.f32x4Splat).set(vparam);
  f.f32(0).simd(SIMD.f32x4Splat).set(vzero);
  f.get(n).i32(-4).op(OP.i32And).set(end);
  f.for(i, () => f.i32(0), () => f.get(end), 4, () => {
    f.get(x).vmem(SIMD.load, 0).set(vx);
    f.get(out);
    unaryBody(f, op, true, vx, vparam, vzero);
    f.vmem(SIMD.store, 0);
    f.inc(x, 16).inc(out, 16);
  });
  f.for(i, () => f.get(end), () => f.get(n), 1, () => {
    f.get(x).mem(OP.f32Load, 2).set(sx);
    f.get(out);
    unaryBody(f, op, false, sx, param, szero);
    f.mem(OP.f32Store, 2);
    f.inc(x, 4).inc(out, 4);
  });
  return f;
}

/** fill32(out, n, bits): n 32-bit words equal to `bits` (float32 values arrive as their bit pattern). */
function emitFill(): Fn {
  const f = new Fn('fill32', ['i32', 'i32', 'i32']);
  const [out, n, bits] = [0, 1, 2];
  const [i, end, v] = [f.local('i32'), f.local('i32'), f.local('v128')];
  f.get(bits).simd(SIMD.i32x4Splat).set(v);
  f.get(n).i32(-4).op(OP.i32And).set(end);
  f.for(i, () => f.i32(0), () => f.get(end), 4, () => f.get(out).get(v).vmem(SIMD.store, 0).inc(out, 16));
  f.for(i, () => f.get(end), () => f.get(n), 1, () => f.get(out).get(bits).mem(OP.i32Store, 2).inc(out, 4));
  return f;
}

/**
 * cmp_<dtype>_<op>(a, aStep, b, bStep, out, n): out[i] = a[i*aStep] op b[i*bStep] as a 0/1 byte;
 * where32(cond, cStep, a, aStep, b, bStep, out, n): out[i] = cond[i*cStep] ? a[..] : b[..] for any
 * 4-byte dtype (a bit-for-bit select). Steps are 0 or 1 element. Comparisons run 16 elements a
 * step (four lane masks narrowed to 16 bytes, masked to 0/1), where 4 (the condition bytes widened
 * to lane masks); the tails run the scalar form.
 */
function emitCompare(dtype: 'float32' | 'int32', opName: string, [vectorOp, scalarOp]: readonly [number, number]): Fn {
  const f = new Fn(`cmp_${dtype}_${opName}`, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [a, aStep, b, bStep, out, n] = [0, 1, 2, 3, 4, 5];
  const [i, end, va, vb, one] = [f.local('i32'), f.local('i32'), f.local('v128'), f.local('v128'), f.local('v128')];
  const masks = [f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128')];
  const load = dtype === 'float32' ? OP.f32Load : OP.i32Load;
  f.get(aStep).i32(2).op(OP.i32Shl).set(aStep).get(bStep).i32(2).op(OP.i32Shl).set(bStep);
  f.if(() => f.get(aStep).op(OP.i32Eqz), () => f.get(a).vmem(SIMD.load32Splat, 2).set(va));
  f.if(() => f.get(bStep).op(OP.i32Eqz), () => f.get(b).vmem(SIMD.load32Splat, 2).set(vb));
  f.i32(1).simd(SIMD.i8x16Splat).set(one);
  f.get(n).i32(-16).op(OP.i32And).set(end);
  f.for(i, () => f.i32(0), () => f.get(end), 16, () => {
    masks.forEach((mask) => {
      f.if(() => f.get(aStep), () => f.get(a).vmem(SIMD.load, 0).set(va));
      f.if(() => f.get(bStep), () => f.get(b).vmem(SIMD.load, 0).set(vb));
      f.get(va).get(vb).simd(vectorOp).set(mask);
      f.inc(a, () => f.get(aStep).i32(2).op(OP.i32Shl)).inc(b, () => f.get(bStep).i32(2).op(OP.i32Shl));
    });
    f.get(out).get(i).op(OP.i32Add);
    f.get(masks[0]!).get(masks[1]!).simd(SIMD.i16x8NarrowI32x4S).get(masks[2]!).get(masks[3]!).simd(SIMD.i16x8NarrowI32x4S);
    f.simd(SIMD.i8x16NarrowI16x8S).get(one).simd(SIMD.v128And).vmem(SIMD.store, 0);
  });
  f.for(i, () => f.get(end), () => f.get(n), 1, () => {
    f.get(out).get(i).op(OP.i32Add).get(a).mem(load, 2).get(b).mem(load, 2).op(scalarOp).mem(OP.i32Store8, 0);
    f.inc(a, () => f.get(aStep)).inc(b, () => f.get(bStep));
  });
  return f;
}

function emitWhere(): Fn {
  const f = new Fn('where32', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [cond, cStep, a, aStep, b, bStep, out, n] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [i, end, mask, va, vb, zero] = [f.local('i32'), f.local('i32'), f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128')];
  f.get(aStep).i32(2).op(OP.i32Shl).set(aStep).get(bStep).i32(2).op(OP.i32Shl).set(bStep);
  f.i32(0).simd(SIMD.i32x4Splat).set(zero);
  f.if(() => f.get(cStep).op(OP.i32Eqz), () => f.get(cond).mem(OP.i32Load8u, 0).simd(SIMD.i32x4Splat).get(zero).simd(SIMD.i32x4Ne).set(mask));
  f.if(() => f.get(aStep).op(OP.i32Eqz), () => f.get(a).vmem(SIMD.load32Splat, 2).set(va));
  f.if(() => f.get(bStep).op(OP.i32Eqz), () => f.get(b).vmem(SIMD.load32Splat, 2).set(vb));
  f.get(n).i32(-4).op(OP.i32And).set(end);
  f.for(i, () => f.i32(0), () => f.get(end), 4, () => {
    f.if(() => f.get(cStep), () => {
      f.get(cond).vmem(SIMD.load32Zero, 0).simd(SIMD.i16x8ExtendLowI8x16U).simd(SIMD.i32x4ExtendLowI16x8U).get(zero).simd(SIMD.i32x4Ne).set(mask);
    });
    f.if(() => f.get(aStep), () => f.get(a).vmem(SIMD.load, 0).set(va));
    f.if(() => f.get(bStep), () => f.get(b).vmem(SIMD.load, 0).set(vb));
    f.get(out).get(va).get(vb).get(mask).simd(SIMD.v128Bitselect).vmem(SIMD.store, 0);
    f.inc(out, 16).inc(cond, () => f.get(cStep).i32(2).op(OP.i32Shl)).inc(a, () => f.get(aStep).i32(2).op(OP.i32Shl)).inc(b, () => f.get(bStep).i32(2).op(OP.i32Shl));
  });
  f.for(i, () => f.get(end), () => f.get(n), 1, () => {
    f.get(out).get(a).mem(OP.i32Load, 2).get(b).mem(OP.i32Load, 2).get(cond).mem(OP.i32Load8u, 0).op(OP.select).mem(OP.i32Store, 2);
    f.inc(out, 4).inc(cond, () => f.get(cStep)).inc(a, () => f.get(aStep)).inc(b, () => f.get(bStep));
  });
  return f;
}

export function addElementwise(mod: ModuleBuilder): void {
  for (const [dtype, ops] of Object.entries(WASM_COMPARE) as ['float32' | 'int32', Record<string, readonly [number, number]>][]) {
    for (const [opName, opcodes] of Object.entries(ops)) mod.add(emitCompare(dtype, opName, opcodes));
  }
  mod.add(emitWhere());
  for (const [dtype, ops] of Object.entries(WASM_BINARY) as [keyof typeof WASM_BINARY, Record<string, readonly [number, number]>][]) {
    for (const [opName, [vectorOp, scalarOp]] of Object.entries(ops)) mod.add(emitBinary(dtype, opName, vectorOp, scalarOp));
  }
  for (const op of WASM_UNARY) mod.add(emitUnary(op));
  mod.add(emitFill());
}
