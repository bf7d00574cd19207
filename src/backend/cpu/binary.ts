/** Elementwise binary kernels and `where`, broadcasting with NumPy rules. */
import { COMPARISON_OPS, type BinaryOp, type DType, type HostArray } from '../backend';
import { broadcastStrides, contiguousStrides, forEachRow, simplifyLoop } from './iterate';

type BinaryFunction = (a: number, b: number) => number;

export interface Operand {
  readonly data: HostArray;
  readonly shape: readonly number[];
}

export function binaryOutputDType(op: BinaryOp, dtype: DType): DType {
  return COMPARISON_OPS.has(op) ? 'bool' : dtype;
}

export function binary(op: BinaryOp, dtype: DType, a: Operand, b: Operand, out: HostArray, outShape: readonly number[]): void {
  const f = binaryFunction(op, dtype);
  const nest = simplifyLoop(outShape, [
    broadcastStrides(a.shape, outShape), broadcastStrides(b.shape, outShape), contiguousStrides(outShape),
  ]);
  const inner = nest.shape.at(-1)!;
  const [sa, sb] = nest.strides.map((s) => s.at(-1)!) as [number, number];
  const x = a.data;
  const y = b.data;
  // The output is dense, so its innermost simplified stride is 1.
  forEachRow(nest, [0, 0, 0], ([pa, pb, po]) => {
    for (let j = 0; j < inner; j++) out[po! + j] = f(x[pa! + j * sa]!, y[pb! + j * sb]!);
  });
}

export function where(cond: Operand, a: Operand, b: Operand, out: HostArray, outShape: readonly number[]): void {
  const nest = simplifyLoop(outShape, [
    broadcastStrides(cond.shape, outShape), broadcastStrides(a.shape, outShape),
    broadcastStrides(b.shape, outShape), contiguousStrides(outShape),
  ]);
  const inner = nest.shape.at(-1)!;
  const [sc, sa, sb] = nest.strides.map((s) => s.at(-1)!) as [number, number, number];
  const c = cond.data;
  const x = a.data;
  const y = b.data;
  forEachRow(nest, [0, 0, 0, 0], ([pc, pa, pb, po]) => {
    for (let j = 0; j < inner; j++) out[po! + j] = c[pc! + j * sc] ? x[pa! + j * sa]! : y[pb! + j * sb]!;
  });
}

type ArithmeticOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'mod';
const ARITHMETIC_OPS: ReadonlySet<BinaryOp> = new Set<ArithmeticOp>(['add', 'sub', 'mul', 'div', 'pow', 'mod']);

function isArithmetic(op: BinaryOp): op is ArithmeticOp {
  return ARITHMETIC_OPS.has(op);
}

function binaryFunction(op: BinaryOp, dtype: DType): BinaryFunction {
  if (!isArithmetic(op)) return sharedFunction(op);
  if (dtype === 'float32' || dtype === 'float64') return floatArithmetic(op);
  const f = intArithmetic(op);
  // bool arithmetic keeps bool: true + true is true, as in PyTorch.
  return dtype === 'bool' ? (a, b) => (f(a, b) !== 0 ? 1 : 0) : f;
}

/** Ops whose definition does not depend on the dtype. */
function sharedFunction(op: Exclude<BinaryOp, ArithmeticOp>): BinaryFunction {
  switch (op) {
    case 'maximum': return Math.max;
    case 'minimum': return Math.min;
    case 'eq': return (a, b) => (a === b ? 1 : 0);
    case 'ne': return (a, b) => (a !== b ? 1 : 0);
    case 'lt': return (a, b) => (a < b ? 1 : 0);
    case 'le': return (a, b) => (a <= b ? 1 : 0);
    case 'gt': return (a, b) => (a > b ? 1 : 0);
    case 'ge': return (a, b) => (a >= b ? 1 : 0);
    case 'logicalAnd': return (a, b) => (a !== 0 && b !== 0 ? 1 : 0);
    case 'logicalOr': return (a, b) => (a !== 0 || b !== 0 ? 1 : 0);
  }
}

function floatArithmetic(op: ArithmeticOp): BinaryFunction {
  switch (op) {
    case 'add': return (a, b) => a + b;
    case 'sub': return (a, b) => a - b;
    case 'mul': return (a, b) => a * b;
    case 'div': return (a, b) => a / b;
    case 'pow': return floatPow;
    case 'mod': return floorMod;
  }
}

/** int32 arithmetic wraps modulo 2^32 (the Int32Array store wraps sums; products need imul). */
function intArithmetic(op: ArithmeticOp): BinaryFunction {
  switch (op) {
    case 'add': return (a, b) => a + b;
    case 'sub': return (a, b) => a - b;
    case 'mul': return Math.imul;
    // float64 division of two int32 values never rounds across an integer, so trunc is exact.
    case 'div': return (a, b) => (b === 0 ? 0 : Math.trunc(a / b));
    case 'pow': return intPow;
    case 'mod': return (a, b) => (b === 0 ? 0 : floorMod(a, b));
  }
}

/** C99 pow, which PyTorch and WGSL follow: pow(1, y) and pow(-1, +-inf) are 1 (JS gives NaN). */
function floatPow(a: number, b: number): number {
  if (a === 1 || (a === -1 && (b === Infinity || b === -Infinity))) return 1;
  return Math.pow(a, b);
}

/** Remainder with the sign of the divisor (Python `%`, PyTorch `remainder`); JS `%` keeps the dividend's. */
function floorMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && (r < 0) !== (b < 0) ? r + b : r;
}

/**
 * Exact int32 power by squaring, wrapping like repeated int32 multiplication. A negative exponent
 * truncates 1 / base^|e| toward zero (0 unless |base| is 1, and 0 for base 0 like division by zero).
 */
function intPow(base: number, exponent: number): number {
  if (exponent < 0) {
    if (base === 1) return 1;
    if (base === -1) return exponent & 1 ? -1 : 1;
    return 0;
  }
  let result = 1;
  for (let b = base, e = exponent; e > 0; e >>>= 1) {
    if (e & 1) result = Math.imul(result, b);
    b = Math.imul(b, b);
  }
  return result;
}
