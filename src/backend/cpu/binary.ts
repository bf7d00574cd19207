/** Elementwise binary kernels and `where`, broadcasting with NumPy rules. */
import { COMPARISON_OPS, type BinaryOp, type DType, type HostArray } from '../backend';
import { broadcastStrides, contiguousStrides, forEachRow, numel, simplifyLoop } from './iterate';

type BinaryFunction = (a: number, b: number) => number;

export interface Operand {
  readonly data: HostArray;
  readonly shape: readonly number[];
}

export function binaryOutputDType(op: BinaryOp, dtype: DType): DType {
  return COMPARISON_OPS.has(op) ? 'bool' : dtype;
}

/**
 * out = a op b, broadcast to `outShape`. Operands are dense storages (views are materialised before
 * a kernel runs); `out` is dense and has numel(outShape) elements.
 */
export function binary(op: BinaryOp, dtype: DType, a: Operand, b: Operand, out: HostArray, outShape: readonly number[]): void {
  const size = out.length;
  if (size === 0) return;
  const kernel = rowKernel(op, dtype);
  const x = a.data;
  const y = b.data;
  if (kernel) {
    // Whole-tensor cases need no loop nest: an operand with as many elements as the output is
    // dense and laid out like it (broadcasting only ever adds elements), one element is a scalar.
    const na = numel(a.shape);
    const nb = numel(b.shape);
    if (na === size && nb === size) return kernel(x, 0, y, 0, out, 0, size, BOTH_MOVE);
    if (na === 1 && nb === size) return kernel(x, 0, y, 0, out, 0, size, A_FIXED);
    if (nb === 1 && na === size) return kernel(x, 0, y, 0, out, 0, size, B_FIXED);
  }
  const nest = simplifyLoop(outShape, [
    broadcastStrides(a.shape, outShape), broadcastStrides(b.shape, outShape), contiguousStrides(outShape),
  ]);
  const inner = nest.shape.at(-1)!;
  const [sa, sb] = nest.strides.map((s) => s.at(-1)!) as [number, number];
  const mode = rowMode(sa, sb);
  if (kernel && mode !== undefined) {
    // Broadcasts such as a bias over rows ([N, C] + [C]) or over channels ([N, C, H, W] + [C, 1, 1]):
    // one specialised row loop per innermost row.
    const rank = nest.shape.length;
    if (rank === 1) return kernel(x, 0, y, 0, out, 0, inner, mode);
    if (rank === 2) {
      const rows = nest.shape[0]!;
      const [ra, rb, ro] = nest.strides.map((s) => s[0]!) as [number, number, number];
      for (let r = 0; r < rows; r++) kernel(x, r * ra, y, r * rb, out, r * ro, inner, mode);
      return;
    }
    forEachRow(nest, [0, 0, 0], ([pa, pb, po]) => kernel(x, pa!, y, pb!, out, po!, inner, mode));
    return;
  }
  // bool arithmetic: one call of the op's function per element. (After simplification an innermost
  // stride is 0 or 1 and never 0 for both operands, so every other case took a row kernel above;
  // this general strided loop stays correct for any strides.)
  const f = binaryFunction(op, dtype);
  // The output is dense, so its innermost simplified stride is 1.
  forEachRow(nest, [0, 0, 0], ([pa, pb, po]) => {
    for (let j = 0; j < inner; j++) out[po! + j] = f(x[pa! + j * sa]!, y[pb! + j * sb]!);
  });
}

export function where(cond: Operand, a: Operand, b: Operand, out: HostArray, outShape: readonly number[]): void {
  if (whereWhole(cond, a, b, out)) return;
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

/**
 * `where` with a full-size condition and each branch either full-size or a single element (the
 * backward of relu-like ops: where(x > 0, 1, slope)), in one flat loop. False: not such a case.
 */
function whereWhole(cond: Operand, a: Operand, b: Operand, out: HostArray): boolean {
  const size = out.length;
  if (numel(cond.shape) !== size) return false;
  const na = numel(a.shape);
  const nb = numel(b.shape);
  if ((na !== size && na !== 1) || (nb !== size && nb !== 1)) return false;
  const c = cond.data;
  const x = a.data;
  const y = b.data;
  if (na === 1 && nb === 1) {
    const u = x[0]!;
    const v = y[0]!;
    for (let i = 0; i < size; i++) out[i] = c[i] ? u : v;
  } else if (na === 1) {
    const u = x[0]!;
    for (let i = 0; i < size; i++) out[i] = c[i] ? u : y[i]!;
  } else if (nb === 1) {
    const v = y[0]!;
    for (let i = 0; i < size; i++) out[i] = c[i] ? x[i]! : v;
  } else {
    for (let i = 0; i < size; i++) out[i] = c[i] ? x[i]! : y[i]!;
  }
  return true;
}

// ---- row kernels ----
//
// One loop per op with the op's body written out, so the hot loops make no call per element and
// every store sees one expression. Each row has n outputs from `o`; the operands start at `xo` and
// `yo` and either both advance (BOTH_MOVE) or one of them stays on one element (A_FIXED: a is the
// same for the whole row, B_FIXED: b is). The expressions are exactly those of `binaryFunction`,
// so results are bit-identical to the per-element path.

type RowMode = 0 | 1 | 2;
const BOTH_MOVE = 0;
const A_FIXED = 1;
const B_FIXED = 2;

type RowKernel = (x: HostArray, xo: number, y: HostArray, yo: number, out: HostArray, o: number, n: number, mode: RowMode) => void;

function rowMode(sa: number, sb: number): RowMode | undefined {
  if (sa === 1 && sb === 1) return BOTH_MOVE;
  if (sa === 0 && sb === 1) return A_FIXED;
  if (sa === 1 && sb === 0) return B_FIXED;
  return undefined;
}

/** The specialised row loop of an op, or undefined where only the per-element path exists (bool arithmetic). */
function rowKernel(op: BinaryOp, dtype: DType): RowKernel | undefined {
  const int = dtype === 'int32';
  if (dtype === 'bool' && isArithmetic(op)) return undefined;
  switch (op) {
    // int32 add and sub are the float expressions: the Int32Array store wraps them.
    case 'add': return addRow;
    case 'sub': return subRow;
    case 'mul': return int ? imulRow : mulRow;
    case 'div': return int ? intDivRow : divRow;
    case 'pow': return int ? intPowRow : floatPowRow;
    case 'mod': return int ? intModRow : floorModRow;
    case 'maximum': return maxRow;
    case 'minimum': return minRow;
    case 'eq': return eqRow;
    case 'ne': return neRow;
    case 'lt': return ltRow;
    case 'le': return leRow;
    case 'gt': return gtRow;
    case 'ge': return geRow;
    case 'logicalAnd': return andRow;
    case 'logicalOr': return orRow;
  }
}

function addRow(x: HostArray, xo: number, y: HostArray, yo: number, out: HostArray, o: number, n: number, mode: RowMode): void {
  if (mode === BOTH_MOVE) for (let j = 0; j < n; j++) out[o + j] = x[xo + j]! + y[yo + j]!;
  else if (mode === A_FIXED) { const u = x[xo]!; for (let j = 0; j < n; j++) out[o + j] = u + y[yo + j]!; }
  else { const v = y[yo]!; for (let j = 0; j < n; j++) out[o + j] = x[xo + j]! + v; }
}

function subRow(x: HostArray, xo: number, y: HostArray, yo: number, out: HostArray, o: number, n: number, mode: RowMode): void {
  if (mode === BOTH_MOVE) for (let j = 0; j < n; j++) out[o + j] = x[xo + j]! - y[yo + j]!;
  else if (mode === A_FIXED) { const u = x[xo]!; for (let j = 0; j < n; j++) out[o + j] = u - y[yo + j]!; }
  else { const v = y[yo]!; for (let j = 0; j < n; j++) out[o + j] = x[xo + j]! - v; }
}

function mulRow(x: HostArray, xo: number, y: HostArray, yo: number, out: HostArray, o: number, n: number, mode: RowMode): void {
  if (mode === BOTH_MOVE) for (let j = 0; j < n; j++) out[o + j] = x[xo + j]! * y[yo + j]!;
  else if (mode === A_FIXED) { const u = x[xo]!; for (let j = 0; j < n; j++) out[o + j] = u * y[yo + j]!; }
  else { const v = y[yo]!; for (let j = 0; j < n; j++) out[o + j] = x[xo + j]! * v; }
}

function imulRow(x: HostArray, xo: number, y: HostArray, yo: number, out: HostArray, o: number, n: number, mode: RowMode): void {
  if (mode === BOTH_MOVE) for (let j = 0; j < n; j++) out[o + j] = Math.imul(x[xo + j]!, y[yo + j]!);
  else if (mode === A_FIXED) { const u = x[xo]!; for (let j = 0; j < n; j++) out[o + j] = Math.imul(u, y[yo + j]!); }
  else { const v = y[yo]!; for (let j = 0; j < n; j++) out[o + j] = Math.imul(x[xo + j]!, v); }
}

function divRow(x: HostArray, xo: number, y: HostArray, yo: number, out: HostArray, o: number, n: number, mode: RowMode): void {
  if (mode === BOTH_MOVE) for (let j = 0; j < n; j++) out[o + j] = x[xo + j]! / y[yo + j]!;
  else if (mode === A_FIXED) { const u = x[xo]!; for (let j = 0; j < n; j++) out[o + j] = u / y[yo + j]!; }
  else { const v = y[yo]!; for (let j = 0; j < n; j++) out[o + j] = x[xo + j]! / v; }
}

function intDivRow(x: HostArray, xo: number, y: HostArray, yo: number, out: HostArray, o: number, n: number, mode: RowMode): void {
  for (let j = 0; j < n; j++) {
    const a = mode === A_FIXED ? x[xo]! : x[xo + j]!;
    const b = mode === B_FIXED ? y[yo]! : y[yo + j]!;
    out[o + j] = b === 0 ? 0 : Math.trunc(a / b);
  }
}

function floatPowRow(x: HostArray, xo: number, y: HostArray, yo: number, out: HostArray, o: number, n: number, mode: RowMode): void {
  for (let j = 0; j < n; j++) {
    const a = mode === A_FIXED ? x[xo]! : x[xo + j]!;
    const b = mode === B_FIXED ? y[yo]! : y[yo + j]!;
    out[o + j] = floatPow(a, b);
  }
}

function intPowRow(x: HostArray, xo: number, y: HostArray, yo: number, out: HostArray, o: number, n: number, mode: RowMode): void {
  for (let j = 0; j < n; j++) {
    const a = mode === A_FIXED ? x[xo]! : x[xo + j]!;
    const b = mode === B_FIXED ? y[yo]! : y[yo + j]!;
    out[o + j] = intPow(a, b);
  }
}

function floorModRow(x: HostArray, xo: number, y: HostArray, yo: number, out: HostArray, o: number, n: number, mode: RowMode): void {
  for (let j = 0; j < n; j++) {
    const a = mode === A_FIXED ? x[xo]! : x[xo + j]!;
    const b = mode === B_FIXED ? y[yo]! : y[yo + j]!;
    out[o + j] = floorMod(a, b);
  }
}

function intModRow(x: HostArray, xo: number, y: HostArray, yo: number, out: HostArray, o: number, n: number, mode: RowMode): void {
  for (let j = 0; j < n; j++) {
    const a = mode === A_FIXED ? x[xo]! : x[xo + j]!;
    const b = mode === B_FIXED ? y[yo]! : y[yo + j]!;
    out[o + j] = b === 0 ? 0 : floorMod(a, b);
  }
}

function maxRow(x: HostArray, xo: number, y: HostArray, yo: number, out: HostArray, o: number, n: number, mode: RowMode): void {
  if (mode === BOTH_MOVE) for (let j = 0; j < n; j++) out[o + j] = Math.max(x[xo + j]!, y[yo + j]!);
  else if (mode === A_FIXED) { const u = x[xo]!; for (let j = 0; j < n; j++) out[o + j] = Math.max(u, y[yo + j]!); }
  else { const v = y[yo]!; for (let j = 0; j < n; j++) out[o + j] = Math.max(x[xo + j]!, v); }
}

function minRow(x: HostArray, xo: number, y: HostArray, yo: number, out: HostArray, o: number, n: number, mode: RowMode): void {
  if (mode === BOTH_MOVE) for (let j = 0; j < n; j++) out[o + j] = Math.min(x[xo + j]!, y[yo + j]!);
  else if (mode === A_FIXED) { const u = x[xo]!; for (let j = 0; j < n; j++) out[o + j] = Math.min(u, y[yo + j]!); }
  else { const v = y[yo]!; for (let j = 0; j < n; j++) out[o + j] = Math.min(x[xo + j]!, v); }
}

function eqRow(x: HostArray, xo: number, y: HostArray, yo: number, out: HostArray, o: number, n: number, mode: RowMode): void {
  if (mode === BOTH_MOVE) for (let j = 0; j < n; j++) out[o + j] = x[xo + j]! === y[yo + j]! ? 1 : 0;
  else if (mode === A_FIXED) { const u = x[xo]!; for (let j = 0; j < n; j++) out[o + j] = u === y[yo + j]! ? 1 : 0; }
  else { const v = y[yo]!; for (let j = 0; j < n; j++) out[o + j] = x[xo + j]! === v ? 1 : 0; }
}

function neRow(x: HostArray, xo: number, y: HostArray, yo: number, out: HostArray, o: number, n: number, mode: RowMode): void {
  if (mode === BOTH_MOVE) for (let j = 0; j < n; j++) out[o + j] = x[xo + j]! !== y[yo + j]! ? 1 : 0;
  else if (mode === A_FIXED) { const u = x[xo]!; for (let j = 0; j < n; j++) out[o + j] = u !== y[yo + j]! ? 1 : 0; }
  else { const v = y[yo]!; for (let j = 0; j < n; j++) out[o + j] = x[xo + j]! !== v ? 1 : 0; }
}

function ltRow(x: HostArray, xo: number, y: HostArray, yo: number, out: HostArray, o: number, n: number, mode: RowMode): void {
  if (mode === BOTH_MOVE) for (let j = 0; j < n; j++) out[o + j] = x[xo + j]! < y[yo + j]! ? 1 : 0;
  else if (mode === A_FIXED) { const u = x[xo]!; for (let j = 0; j < n; j++) out[o + j] = u < y[yo + j]! ? 1 : 0; }
  else { const v = y[yo]!; for (let j = 0; j < n; j++) out[o + j] = x[xo + j]! < v ? 1 : 0; }
}

function leRow(x: HostArray, xo: number, y: HostArray, yo: number, out: HostArray, o: number, n: number, mode: RowMode): void {
  if (mode === BOTH_MOVE) for (let j = 0; j < n; j++) out[o + j] = x[xo + j]! <= y[yo + j]! ? 1 : 0;
  else if (mode === A_FIXED) { const u = x[xo]!; for (let j = 0; j < n; j++) out[o + j] = u <= y[yo + j]! ? 1 : 0; }
  else { const v = y[yo]!; for (let j = 0; j < n; j++) out[o + j] = x[xo + j]! <= v ? 1 : 0; }
}

function gtRow(x: HostArray, xo: number, y: HostArray, yo: number, out: HostArray, o: number, n: number, mode: RowMode): void {
  if (mode === BOTH_MOVE) for (let j = 0; j < n; j++) out[o + j] = x[xo + j]! > y[yo + j]! ? 1 : 0;
  else if (mode === A_FIXED) { const u = x[xo]!; for (let j = 0; j < n; j++) out[o + j] = u > y[yo + j]! ? 1 : 0; }
  else { const v = y[yo]!; for (let j = 0; j < n; j++) out[o + j] = x[xo + j]! > v ? 1 : 0; }
}

function geRow(x: HostArray, xo: number, y: HostArray, yo: number, out: HostArray, o: number, n: number, mode: RowMode): void {
  if (mode === BOTH_MOVE) for (let j = 0; j < n; j++) out[o + j] = x[xo + j]! >= y[yo + j]! ? 1 : 0;
  else if (mode === A_FIXED) { const u = x[xo]!; for (let j = 0; j < n; j++) out[o + j] = u >= y[yo + j]! ? 1 : 0; }
  else { const v = y[yo]!; for (let j = 0; j < n; j++) out[o + j] = x[xo + j]! >= v ? 1 : 0; }
}

function andRow(x: HostArray, xo: number, y: HostArray, yo: number, out: HostArray, o: number, n: number, mode: RowMode): void {
  for (let j = 0; j < n; j++) {
    const a = mode === A_FIXED ? x[xo]! : x[xo + j]!;
    const b = mode === B_FIXED ? y[yo]! : y[yo + j]!;
    out[o + j] = a !== 0 && b !== 0 ? 1 : 0;
  }
}

function orRow(x: HostArray, xo: number, y: HostArray, yo: number, out: HostArray, o: number, n: number, mode: RowMode): void {
  for (let j = 0; j < n; j++) {
    const a = mode === A_FIXED ? x[xo]! : x[xo + j]!;
    const b = mode === B_FIXED ? y[yo]! : y[yo + j]!;
    out[o + j] = a !== 0 || b !== 0 ? 1 : 0;
  }
}

// ---- per-element functions (the general strided path) ----

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
