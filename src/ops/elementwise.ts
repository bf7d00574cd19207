/**
 * Elementwise math: unary functions, broadcasting binary arithmetic and comparisons, `where`,
 * `clamp` and dtype casts. Each backward rule is written with these same ops, so it is itself
 * differentiable (second derivatives work).
 */
import type { BinaryOp, DType, UnaryOp } from '../backend/backend.js';
import { COMPARISON_OPS, isFloat } from '../backend/backend.js';
import { noGrad, record } from '../autograd.js';
import { ArgumentError, DTypeError, fmtShape } from '../errors.js';
import { broadcastShapes } from '../shape.js';
import { Tensor } from '../tensor.js';
import { checkFits, checkInputs, composite, lift, releaseTemporaries, requireTensorLike, resultDType, wrap, type TensorLike } from './core.js';
import { sumToShape } from './reduce.js';

// ---- casts ----

const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

/**
 * The values converted to `dtype` (`float32`, `float64`, `int32`, `bool`), as `x.to(dtype)` in
 * PyTorch: float to int truncates toward zero, nonzero is true. Gradients flow between float dtypes
 * only. Throws `DTypeError` for an unknown dtype or float64 off the CPU backend.
 * Float to int32: NaN gives 0 and out-of-range values (infinities included) saturate to
 * [-2^31, 2^31 - 1], equally on every backend. A deliberate difference from PyTorch, which leaves
 * these to the platform (on x86 every one of them becomes -2^31).
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  const backend = checkInputs('cast', x);
  if (!DTYPES.includes(dtype)) throw new DTypeError(`cast: unsupported dtype ${JSON.stringify(dtype)}; supported: ${DTYPES.join(', ')}`);
  if (x.dtype === dtype) return x;
  if (dtype === 'float64' && !backend.supportsFloat64) {
    throw new DTypeError(`cast: float64 is not supported on ${backend.name} (tensor of shape ${fmtShape(x.shape)})`);
  }
  const out = wrap(backend, backend.cast(x, dtype), x.shape, dtype);
  // Gradients only flow between floating dtypes; a cast to int or bool is a hard cut.
  if (isFloat(dtype) && isFloat(x.dtype)) record(out, 'cast', [x], (g) => [cast(g, x.dtype)]);
  return out;
}

// ---- unary ----

/** Ops that return floats: int and bool inputs are promoted to float32 first (as in PyTorch). */
function floatInput(x: Tensor): Tensor {
  return isFloat(x.dtype) ? x : cast(x, 'float32');
}

function unary(op: UnaryOp, x: Tensor, rule: ((g: Tensor, y: Tensor) => Tensor) | null, param?: number, keepDType = false): Tensor {
  const backend = checkInputs(op, x);
  const input = keepDType ? x : floatInput(x);
  const out = wrap(backend, backend.unary(op, input, param), input.shape, op === 'logicalNot' ? 'bool' : input.dtype);
  if (rule) record(out, op, [input], (g) => [rule(g, out)]);
  releaseTemporaries(out, [x], [input]);
  return out;
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** `-x`, elementwise (`torch.neg`). */
export const neg = (x: Tensor): Tensor => unary('neg', x, (g) => neg(g), undefined, true);
/** `|x|`, elementwise (`torch.abs`); the gradient at 0 is 0. */
export const abs = (x: Tensor): Tensor => unary('abs', x, (g) => mul(g, sign(x)), undefined, true);
/**
 * -1, 0 or 1 by the sign of each element (`torch.sign`); no gradient; -0 stays -0. sign(NaN) is
 * NaN on every backend, as in NumPy and JAX: a deliberate difference from PyTorch 2.13, where
 * torch.sign(NaN) is 0 (a NaN should not turn into a plausible number).
 */
export const sign = (x: Tensor): Tensor => unary('sign', x, null, undefined, true);
/** `x * x`, elementwise (`torch.square`). */
export const square = (x: Tensor): Tensor => unary('square', x, (g) => mul(g, mul(x, 2)), undefined, true);
/** `1 / x`, elementwise (`torch.reciprocal`). */
export const reciprocal = (x: Tensor): Tensor => unary('reciprocal', x, (g, y) => neg(mul(g, square(y))));
/** `e ** x`, elementwise (`torch.exp`). */
export const exp = (x: Tensor): Tensor => unary('exp', x, (g, y) => mul(g, y));
/** The natural logarithm, elementwise (`torch.log`): NaN below 0, -Infinity at 0. */
export const log = (x: Tensor): Tensor => unary('log', x, (g) => div(g, x));
/** `log(1 + x)`, accurate for small x (`torch.log1p`). */
export const log1p = (x: Tensor): Tensor => unary('log1p', x, (g) => div(g, add(x, 1)));
/** `exp(x) - 1`, accurate for small x (`torch.expm1`). */
export const expm1 = (x: Tensor): Tensor => unary('expm1', x, (g, y) => mul(g, add(y, 1)));
/** The square root, elementwise (`torch.sqrt`); NaN below 0. */
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x, (g, y) => div(mul(g, 0.5), y));
/** `1 / sqrt(x)`, elementwise (`torch.rsqrt`). */
export const rsqrt = (x: Tensor): Tensor => unary('rsqrt', x, (g, y) => mul(g, mul(pow(y, 3), -0.5)));
/** The sine (radians), elementwise (`torch.sin`). */
export const sin = (x: Tensor): Tensor => unary('sin', x, (g) => mul(g, cos(x)));
/** The cosine (radians), elementwise (`torch.cos`). */
export const cos = (x: Tensor): Tensor => unary('cos', x, (g) => neg(mul(g, sin(x))));
/** The hyperbolic tangent, elementwise (`torch.tanh`). */
export const tanh = (x: Tensor): Tensor => unary('tanh', x, (g, y) => mul(g, sub(1, square(y))));
/** The logistic function `1 / (1 + exp(-x))`, elementwise (`torch.sigmoid`). */
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x, (g, y) => mul(g, mul(y, sub(1, y))));
/** The Gauss error function, elementwise (`torch.erf`). */
export const erf = (x: Tensor): Tensor => unary('erf', x, (g) => mul(g, mul(exp(neg(square(x))), TWO_OVER_SQRT_PI)));
/** `max(x, 0)`, elementwise (`torch.relu`); the gradient at 0 is 0. */
export const relu = (x: Tensor): Tensor => unary('relu', x, (g) => mul(g, cast(gt(x, 0), g.dtype)));
/** The backward multiplies g by the slope, so the slope takes g's dtype (exact in float64 gradient checks). */
export const leakyRelu = (x: Tensor, negativeSlope = 0.01): Tensor =>
  unary('leakyRelu', x, (g) => where(gt(x, 0), g, mul(g, negativeSlope)), negativeSlope);
/** elu'(x) = 1 for x > 0, else alpha * e^x = elu(x) + alpha. */
export const elu = (x: Tensor, alpha = 1): Tensor => unary('elu', x, (g, y) => mul(g, where(gt(x, 0), 1, add(y, alpha))), alpha);
/**
 * GELU, x * Phi(x): exact (erf) by default, its derivative Phi(x) + x * phi(x); with
 * `{ approximate: 'tanh' }` the tanh form 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))),
 * composed from ops. @torch torch.nn.functional.gelu
 */
export const gelu = (x: Tensor, opts: { approximate?: 'none' | 'tanh' } = {}): Tensor =>
  opts.approximate === 'tanh' ? geluTanh(x) : unary('gelu', x, (g) => {
    const cdf = mul(add(erf(mul(x, SQRT1_2)), 1), 0.5);
    const pdf = mul(exp(mul(square(x), -0.5)), INV_SQRT_2PI);
    return mul(g, add(cdf, mul(x, pdf)));
  });
/** silu'(x) = s(x) * (1 + x * (1 - s(x))). */
export const silu = (x: Tensor): Tensor =>
  unary('silu', x, (g) => {
    const s = sigmoid(x);
    return mul(g, mul(s, add(mul(x, sub(1, s)), 1)));
  });
/**
 * log(1 + e^x), in the stable form that never exponentiates a positive number. With `beta` or
 * `threshold` given it is PyTorch's softplus(beta x) / beta, linear (x) where beta x > threshold
 * (default 20); without options no threshold is applied (the exact value, within 2e-9 of PyTorch's
 * above 20). @torch torch.nn.functional.softplus
 */
export function softplus(x: Tensor, opts: { beta?: number; threshold?: number } = {}): Tensor {
  if (opts.beta === undefined && opts.threshold === undefined) return unary('softplus', x, (g) => mul(g, sigmoid(x)));
  const { beta = 1, threshold = 20 } = opts;
  if (!(beta > 0) || Number.isNaN(threshold)) throw new ArgumentError(`softplus: beta must be positive and threshold a number, got beta=${beta} threshold=${threshold}`);
  return composite([x], () => {
    const scaled = mul(x, beta);
    return where(gt(scaled, threshold), x, div(softplus(scaled), beta));
  });
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

function geluTanh(x: Tensor): Tensor {
  checkInputs('gelu', x);
  return composite([x], () => {
    const inner = mul(add(x, mul(mul(square(x), x), 0.044715)), SQRT_2_OVER_PI);
    return mul(mul(x, 0.5), add(tanh(inner), 1));
  });
}
/** The largest integer not above each element (`torch.floor`); no gradient. */
export const floor = (x: Tensor): Tensor => unary('floor', x, null, undefined, true);
/** The smallest integer not below each element (`torch.ceil`); no gradient. */
export const ceil = (x: Tensor): Tensor => unary('ceil', x, null, undefined, true);
/** Each element rounded to the nearest integer (`torch.round`); no gradient. */
export const round = (x: Tensor): Tensor => unary('round', x, null, undefined, true);
/** Elementwise NOT as a bool tensor, any dtype's nonzero being true (`torch.logical_not`). */
export function logicalNot(x: Tensor): Tensor {
  checkInputs('logicalNot', x);
  return unary('logicalNot', x.dtype === 'bool' ? x : cast(x, 'bool'), null, undefined, true);
}

// ---- binary ----

function binary(op: BinaryOp, a: TensorLike, b: TensorLike, rule: ((g: Tensor, ta: Tensor, tb: Tensor, out: Tensor) => [Tensor | null, Tensor | null]) | null): Tensor {
  let [ta, tb] = lift(op, a, b);
  const dtype = resultDType(ta, tb);
  ta = cast(ta, dtype);
  tb = cast(tb, dtype);
  const backend = checkInputs(op, ta, tb);
  const outShape = broadcastShapes(op, ta.shape, tb.shape);
  checkFits(op, backend, outShape, dtype);
  const outDType = COMPARISON_OPS.has(op) ? 'bool' : dtype;
  const out = wrap(backend, backend.binary(op, ta, tb, outShape), outShape, outDType);
  if (rule && isFloat(dtype)) {
    record(out, op, [ta, tb], (g) => {
      const [ga, gb] = rule(g, ta, tb, out);
      return [ga && sumToShape(ga, ta.shape), gb && sumToShape(gb, tb.shape)];
    });
  }
  releaseTemporaries(out, [a, b], [ta, tb]);
  return out;
}

/**
 * `a + b` with NumPy broadcasting (`torch.add`); numbers are lifted to tensors of the other
 * operand's dtype and device. Throws `ShapeError` when the shapes do not broadcast and
 * `DeviceError` for tensors on different devices.
 */
export const add = (a: TensorLike, b: TensorLike): Tensor => binary('add', a, b, (g) => [g, g]);
/** `a - b` with broadcasting (`torch.sub`); see `add` for the rules. */
export const sub = (a: TensorLike, b: TensorLike): Tensor => binary('sub', a, b, (g) => [g, neg(g)]);
/** `a * b`, elementwise with broadcasting (`torch.mul`); see `add` for the rules. */
export const mul = (a: TensorLike, b: TensorLike): Tensor => binary('mul', a, b, (g, ta, tb) => [mul(g, tb), mul(g, ta)]);
/**
 * `a / b`, true division with broadcasting (`torch.div`); int32 operands divide as integers of
 * their dtype. See `add` for the rules.
 */
export const div = (a: TensorLike, b: TensorLike): Tensor =>
  binary('div', a, b, (g, _ta, tb, out) => [div(g, tb), neg(div(mul(g, out), tb))]);
/** d/da a^b = b a^(b-1); d/db a^b = a^b ln a (taken as 0 where a <= 0, as the real power is only defined there for integer b). */
export const pow = (a: TensorLike, b: TensorLike): Tensor =>
  binary('pow', a, b, (g, ta, tb, out) => {
    const ga = mul(g, mul(tb, pow(ta, sub(tb, 1))));
    const gb = tb.requiresGrad ? mul(g, where(gt(ta, 0), mul(out, log(where(gt(ta, 0), ta, 1))), 0)) : null;
    return [ga, gb];
  });
/** Ties split the gradient evenly, as PyTorch does. */
export const maximum = (a: TensorLike, b: TensorLike): Tensor =>
  binary('maximum', a, b, (g, ta, tb) => {
    const w = add(cast(gt(ta, tb), g.dtype), mul(cast(eq(ta, tb), g.dtype), 0.5));
    return [mul(g, w), mul(g, sub(1, w))];
  });
/** The elementwise minimum with broadcasting (`torch.minimum`); ties split the gradient evenly. */
export const minimum = (a: TensorLike, b: TensorLike): Tensor =>
  binary('minimum', a, b, (g, ta, tb) => {
    const w = add(cast(lt(ta, tb), g.dtype), mul(cast(eq(ta, tb), g.dtype), 0.5));
    return [mul(g, w), mul(g, sub(1, w))];
  });
/** Remainder with the sign of the divisor (Python / torch.remainder): a - floor(a/b) * b. */
export const mod = (a: TensorLike, b: TensorLike): Tensor =>
  binary('mod', a, b, (g, ta, tb) => [g, neg(mul(g, floor(div(ta, tb))))]);

/** `a == b` as a bool tensor, with broadcasting (`torch.eq`). */
export const eq = (a: TensorLike, b: TensorLike): Tensor => binary('eq', a, b, null);
/** `a != b` as a bool tensor, with broadcasting (`torch.ne`). */
export const ne = (a: TensorLike, b: TensorLike): Tensor => binary('ne', a, b, null);
/** `a < b` as a bool tensor, with broadcasting (`torch.lt`). */
export const lt = (a: TensorLike, b: TensorLike): Tensor => binary('lt', a, b, null);
/** `a <= b` as a bool tensor, with broadcasting (`torch.le`). */
export const le = (a: TensorLike, b: TensorLike): Tensor => binary('le', a, b, null);
/** `a > b` as a bool tensor, with broadcasting (`torch.gt`). */
export const gt = (a: TensorLike, b: TensorLike): Tensor => binary('gt', a, b, null);
/** `a >= b` as a bool tensor, with broadcasting (`torch.ge`). */
export const ge = (a: TensorLike, b: TensorLike): Tensor => binary('ge', a, b, null);
/**
 * Elementwise AND as a bool tensor, nonzero being true, with broadcasting (`torch.logical_and`).
 */
export const logicalAnd = (a: TensorLike, b: TensorLike): Tensor => logical('logicalAnd', a, b);
/** Elementwise OR as a bool tensor, nonzero being true, with broadcasting (`torch.logical_or`). */
export const logicalOr = (a: TensorLike, b: TensorLike): Tensor => logical('logicalOr', a, b);

function logical(op: 'logicalAnd' | 'logicalOr', a: TensorLike, b: TensorLike): Tensor {
  // Both checked before either is cast, so an error leaves no cast copy behind.
  requireTensorLike(op, a, 'first operand');
  requireTensorLike(op, b, 'second operand');
  const [ta, tb] = [toBool(a), toBool(b)];
  const out = binary(op, ta, tb, null);
  releaseTemporaries(out, [a, b], [ta, tb].filter((t): t is Tensor => t instanceof Tensor));
  return out;
}

function toBool(v: TensorLike): TensorLike {
  return v instanceof Tensor ? (v.dtype === 'bool' ? v : cast(v, 'bool')) : Boolean(v);
}

// ---- where / clamp ----

/** cond ? a : b with broadcasting; cond must be bool. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  checkInputs('where', cond);
  if (cond.dtype !== 'bool') {
    throw new DTypeError(`where: condition must be a bool tensor, got ${cond.dtype} with shape ${fmtShape(cond.shape)}`);
  }
  let [ta, tb] = lift('where', a, b, cond.device);
  const dtype = resultDType(ta, tb);
  ta = cast(ta, dtype);
  tb = cast(tb, dtype);
  const backend = checkInputs('where', cond, ta, tb);
  const outShape = broadcastShapes('where', cond.shape, ta.shape, tb.shape);
  checkFits('where', backend, outShape, dtype);
  const out = wrap(backend, backend.where(cond, ta, tb, outShape), outShape, dtype);
  if (isFloat(dtype)) {
    record(out, 'where', [ta, tb], (g) => [
      sumToShape(where(cond, g, 0), ta.shape),
      sumToShape(where(cond, 0, g), tb.shape),
    ]);
  }
  releaseTemporaries(out, [a, b], [ta, tb]);
  return out;
}

/**
 * Limit values to [min, max]; the gradient passes where min <= x <= max (boundaries included, as
 * PyTorch). Tensor bounds broadcast against x and receive the gradient where they bind (where
 * min > max the result is max, as torch.clamp).
 */
export function clamp(x: Tensor, min?: TensorLike | null, max?: TensorLike | null): Tensor {
  checkInputs('clamp', x);
  if (min !== undefined && min !== null) requireTensorLike('clamp', min, 'min');
  if (max !== undefined && max !== null) requireTensorLike('clamp', max, 'max');
  const hasMin = min !== undefined && min !== null;
  const hasMax = max !== undefined && max !== null;
  if (!hasMin && !hasMax) return x;
  if (min instanceof Tensor || max instanceof Tensor) {
    const bounds = [min, max].filter((t): t is Tensor => t instanceof Tensor);
    return composite([x, ...bounds], () => {
      const low = hasMin ? where(lt(x, min), min, x) : x;
      return hasMax ? where(gt(low, max!), max!, low) : low;
    });
  }
  const out = noGrad(() => {
    if (!hasMin) return minimum(x, max!);
    const low = maximum(x, min);
    if (!hasMax) return low;
    const both = minimum(low, max);
    low.dispose();
    return both;
  });
  if (isFloat(out.dtype)) {
    record(out, 'clamp', [x], (g) => {
      const pass = hasMin && hasMax ? logicalAnd(ge(x, min), le(x, max!)) : hasMin ? ge(x, min) : le(x, max!);
      return [where(pass, g, 0)];
    });
  }
  return out;
}
