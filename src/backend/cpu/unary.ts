/** Elementwise unary kernels. Math runs in float64; storing into the output array rounds once. */
import type { DType, HostArray, UnaryOp } from '../backend';
import { erf } from './erf';

type UnaryFunction = (x: number) => number;

export function unary(op: UnaryOp, x: HostArray, dtype: DType, out: HostArray, param?: number): void {
  // bool outputs are normalised to 0/1 and int32 square wraps, which only the per-element path does.
  if (dtype !== 'bool' && !(op === 'square' && dtype === 'int32') && inlinedUnary(op, x, out, param)) return;
  const f = unaryFunction(op, dtype, param);
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]!);
}

/**
 * The common ops with their bodies written into the loop (no call per element); the expressions
 * are those of `floatUnaryFunction`, so results are identical. False: not one of them.
 */
function inlinedUnary(op: UnaryOp, x: HostArray, out: HostArray, param: number | undefined): boolean {
  const n = x.length;
  switch (op) {
    case 'neg': for (let i = 0; i < n; i++) out[i] = -x[i]!; return true;
    case 'abs': for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]!); return true;
    case 'square': for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = v * v; } return true;
    case 'reciprocal': for (let i = 0; i < n; i++) out[i] = 1 / x[i]!; return true;
    case 'exp': for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]!); return true;
    case 'log': for (let i = 0; i < n; i++) out[i] = Math.log(x[i]!); return true;
    case 'sqrt': for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]!); return true;
    case 'rsqrt': for (let i = 0; i < n; i++) out[i] = 1 / Math.sqrt(x[i]!); return true;
    case 'tanh': for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]!); return true;
    case 'sigmoid': for (let i = 0; i < n; i++) out[i] = sigmoid(x[i]!); return true;
    case 'relu': for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = v < 0 ? 0 : v; } return true;
    case 'leakyRelu': {
      const slope = param ?? 0.01;
      for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = v < 0 ? slope * v : v; }
      return true;
    }
    case 'elu': {
      const alpha = param ?? 1;
      for (let i = 0; i < n; i++) { const v = x[i]!; out[i] = v > 0 ? v : alpha * Math.expm1(v); }
      return true;
    }
    default: return false;
  }
}

/** Output dtype of a unary op: the input's, except logicalNot. */
export function unaryOutputDType(op: UnaryOp, dtype: DType): DType {
  return op === 'logicalNot' ? 'bool' : dtype;
}

function unaryFunction(op: UnaryOp, dtype: DType, param: number | undefined): UnaryFunction {
  // float64 squares of large int32 values are inexact, so the int32 wrap would come out wrong.
  if (op === 'square' && dtype === 'int32') return (x) => Math.imul(x, x);
  const f = floatUnaryFunction(op, param);
  // A bool output must stay 0/1 whatever the op computed (neg of true is -1 before this).
  return dtype === 'bool' && op !== 'logicalNot' ? (x) => (f(x) !== 0 ? 1 : 0) : f;
}

function floatUnaryFunction(op: UnaryOp, param: number | undefined): UnaryFunction {
  switch (op) {
    case 'neg': return (x) => -x;
    case 'abs': return Math.abs;
    case 'sign': return Math.sign;
    case 'square': return (x) => x * x;
    case 'reciprocal': return (x) => 1 / x;
    case 'exp': return Math.exp;
    case 'log': return Math.log;
    case 'log1p': return Math.log1p;
    case 'expm1': return Math.expm1;
    case 'sqrt': return Math.sqrt;
    case 'rsqrt': return (x) => 1 / Math.sqrt(x);
    case 'sin': return Math.sin;
    case 'cos': return Math.cos;
    case 'tanh': return Math.tanh;
    case 'sigmoid': return sigmoid;
    case 'erf': return erf;
    case 'relu': return (x) => (x < 0 ? 0 : x);
    case 'leakyRelu': {
      const slope = param ?? 0.01;
      return (x) => (x < 0 ? slope * x : x);
    }
    case 'elu': {
      const alpha = param ?? 1;
      return (x) => (x > 0 ? x : alpha * Math.expm1(x));
    }
    case 'gelu': return (x) => x * 0.5 * (1 + erf(x / Math.SQRT2));
    case 'silu': return (x) => x * sigmoid(x);
    case 'softplus': return (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    case 'floor': return Math.floor;
    case 'ceil': return Math.ceil;
    case 'round': return roundHalfToEven;
    case 'logicalNot': return (x) => (x === 0 ? 1 : 0);
  }
}

/** Never exponentiates a positive number, so neither tail overflows to Infinity/Infinity. */
function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** Ties go to the even neighbour, as in PyTorch and WGSL; Math.round sends them toward +inf. */
export function roundHalfToEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
