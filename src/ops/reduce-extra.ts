/**
 * Reductions beyond reduce.ts: logical all/any, counting, norms, and the paired statistics
 * (var_mean, std_mean, aminmax). All are compositions of the reduce primitive; the p-norms carry a
 * closed-form gradient (define.ts) that is 0, not NaN, where the norm is 0, as PyTorch's.
 */
import { isFloat } from '../backend/backend.js';
import { ArgumentError, DTypeError, fmtShape } from '../errors.js';
import { normAxes, normAxis, reducedShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, composite, named, requireFloat } from './core.js';
import { customOp } from './define.js';
import { abs, cast, div, eq, gt, mul, ne, pow, sign, sqrt, square, where } from './elementwise.js';
import { max, mean, min, std, sum, variance, type Axes } from './reduce.js';
import { permute, reshape } from './shapeops.js';
import { svdvals } from './linalg-decomp.js';

function finish(out: Tensor, x: Tensor, axes: readonly number[], keepdim: boolean): Tensor {
  return keepdim ? out : reshape(out, reducedShape(x.shape, axes, false));
}

/** How many elements are not zero (int32), over `dim` (all by default). @torch torch.count_nonzero */
export function countNonzero(x: Tensor, dim?: Axes): Tensor {
  checkInputs('countNonzero', x);
  const axes = normAxes('countNonzero', dim, x.shape);
  return composite([], () => sum(cast(ne(x, 0), 'int32'), axes));
}

/** Whether every element (over `dim`, all by default) is non-zero; true over an empty set. @torch torch.all */
export function all(x: Tensor, dim?: Axes, keepdim = false): Tensor {
  checkInputs('all', x);
  const axes = normAxes('all', dim, x.shape);
  return composite([], () => eq(sum(cast(eq(x, 0), 'int32'), axes, keepdim), 0));
}

/** Whether any element (over `dim`, all by default) is non-zero; false over an empty set. @torch torch.any */
export function any(x: Tensor, dim?: Axes, keepdim = false): Tensor {
  checkInputs('any', x);
  const axes = normAxes('any', dim, x.shape);
  return composite([], () => gt(sum(cast(ne(x, 0), 'int32'), axes, keepdim), 0));
}

/** Options of varMean and stdMean. */
export interface StatOptions {
  /** Subtracted from the count in the divisor: 1 (default) is Bessel's correction, 0 the population statistic. */
  correction?: number;
  /** Keep the reduced axes as size 1 (default false). */
  keepdim?: boolean;
}

/** [variance, mean] over `dim` (Bessel-corrected by default). @torch torch.var_mean */
export function varMean(x: Tensor, dim?: Axes, opts: StatOptions = {}): [Tensor, Tensor] {
  checkInputs('varMean', x);
  requireFloat('varMean', x);
  return named('varMean', () => [variance(x, dim, opts), mean(x, dim, opts.keepdim ?? false)]);
}

/** [standard deviation, mean] over `dim` (Bessel-corrected by default). @torch torch.std_mean */
export function stdMean(x: Tensor, dim?: Axes, opts: StatOptions = {}): [Tensor, Tensor] {
  checkInputs('stdMean', x);
  requireFloat('stdMean', x);
  return named('stdMean', () => [std(x, dim, opts), mean(x, dim, opts.keepdim ?? false)]);
}

/** The minimum and maximum over `dim` (all by default) at once. @torch torch.aminmax */
export function aminmax(x: Tensor, opts: { dim?: number; keepdim?: boolean } = {}): { min: Tensor; max: Tensor } {
  checkInputs('aminmax', x);
  return { min: min(x, opts.dim, opts.keepdim ?? false), max: max(x, opts.dim, opts.keepdim ?? false) };
}

function checkOrd(op: string, ord: number): void {
  if (typeof ord !== 'number' || Number.isNaN(ord)) throw new ArgumentError(`${op}: ord must be a number (or +-Infinity), got ${JSON.stringify(ord)}`);
}

/**
 * The vector p-norm over `dim` (all elements by default): ord 2 (default), 1, any p > 0,
 * Infinity (max |x|), -Infinity (min |x|), 0 (the count of non-zeros, no gradient).
 * @torch torch.linalg.vector_norm
 */
export function vectorNorm(x: Tensor, ord = 2, dim?: Axes, keepdim = false): Tensor {
  const op = 'vectorNorm';
  checkInputs(op, x);
  if (!isFloat(x.dtype)) throw new DTypeError(`${op}: input must be floating point, got ${x.dtype} with shape ${fmtShape(x.shape)}`);
  checkOrd(op, ord);
  const axes = normAxes(op, dim, x.shape);
  if (ord === Infinity) return composite([x], () => max(abs(x), axes, keepdim));
  if (ord === -Infinity) return composite([x], () => min(abs(x), axes, keepdim));
  if (ord === 0) return composite([], () => cast(sum(ne(x, 0), axes, keepdim), x.dtype));
  if (ord < 0) throw new ArgumentError(`${op}: ord must be positive, 0 or +-Infinity, got ${ord}`);
  const out = customOp(op, [x], () => {
    if (ord === 1) return sum(abs(x), axes, true);
    if (ord === 2) return sqrt(sum(square(x), axes, true));
    return pow(sum(pow(abs(x), ord), axes, true), 1 / ord);
  }, (g, n) => {
    if (ord === 1) return [mul(g, sign(x))];
    // d|x|_p / dx = sign(x) |x|^(p-1) / |x|_p^(p-1), taken as 0 where the norm is 0.
    const safe = where(eq(n, 0), 1, n);
    const ratio = ord === 2 ? div(x, safe) : mul(sign(x), pow(div(abs(x), safe), ord - 1));
    return [where(eq(n, 0), 0, mul(g, ratio))];
  });
  return finish(out, x, axes, keepdim);
}

/** Which matrix norm matrixNorm computes: 'fro', 'nuc' or a number (1, -1, Infinity, -Infinity, 2, -2). */
export type MatrixOrd = 'fro' | 'nuc' | number;

/**
 * Matrix norms over the two dims `dim` (the last two by default): 'fro', 1 / -1 (max / min
 * absolute column sum), Infinity / -Infinity (max / min absolute row sum), and from the singular
 * values (svdvals: on the host, so not on WebGPU) 'nuc' (their sum), 2 (the largest) and -2 (the
 * smallest). @torch torch.linalg.matrix_norm
 */
export function matrixNorm(x: Tensor, ord: MatrixOrd = 'fro', dim: readonly [number, number] = [-2, -1], keepdim = false): Tensor {
  const op = 'matrixNorm';
  checkInputs(op, x);
  requireFloat(op, x);
  if (x.shape.length < 2) throw new ArgumentError(`${op}: input must have at least 2 dims, got shape ${fmtShape(x.shape)}`);
  const axes = normAxes(op, dim, x.shape);
  if (axes.length !== 2) throw new ArgumentError(`${op}: dim must name two different axes, got ${JSON.stringify(dim)} for shape ${fmtShape(x.shape)}`);
  const [rows, cols] = [normAxis(op, dim[0], x.shape.length, x.shape), normAxis(op, dim[1], x.shape.length, x.shape)];
  if (ord === 'fro') return vectorNorm(x, 2, axes, keepdim);
  if (ord === 1 || ord === -1 || ord === Infinity || ord === -Infinity) {
    const [inner, outer] = Math.abs(ord) === 1 ? [rows, cols] : [cols, rows];
    return composite([x], () => {
      const sums = sum(abs(x), inner, true);
      const picked = ord > 0 ? max(sums, outer, true) : min(sums, outer, true);
      return finish(picked, x, axes, keepdim);
    });
  }
  if (ord === 'nuc' || ord === 2 || ord === -2) {
    return composite([x], () => {
      // The two matrix axes last, the others in order: svdvals' batch of matrices.
      const others = x.shape.map((_, i) => i).filter((i) => i !== rows && i !== cols);
      const s = svdvals(permute(x, [...others, rows, cols]));
      const r = ord === 'nuc' ? sum(s, -1) : ord === 2 ? max(s, -1) : min(s, -1);
      return keepdim ? reshape(r, reducedShape(x.shape, axes, true)) : r;
    });
  }
  throw new ArgumentError(`${op}: ord ${JSON.stringify(ord)} is not supported ('fro', 'nuc', 1, -1, 2, -2, Infinity, -Infinity)`);
}

/**
 * torch.norm: the 2-norm of all elements (or over `dim`) for p = 'fro' (default) or a number p as
 * vectorNorm; 'nuc' as matrixNorm. @torch torch.norm
 */
export function norm(x: Tensor, p: MatrixOrd = 'fro', dim?: Axes, keepdim = false): Tensor {
  checkInputs('norm', x);
  if (p === 'fro') return vectorNorm(x, 2, dim, keepdim);
  if (p === 'nuc') return matrixNorm(x, 'nuc', (dim ?? [-2, -1]) as [number, number], keepdim);
  return vectorNorm(x, p, dim, keepdim);
}
