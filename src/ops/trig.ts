/**
 * Trigonometric, hyperbolic and inverse functions, and erfinv. The backend contract has sin, cos,
 * exp, log, sqrt and erf but no inverse trigonometric primitive, so each op here is a short
 * composition of primitives (it runs on every backend) with its closed-form derivative attached
 * (see define.ts): second derivatives work, and no gradient flows through the series.
 */
import { broadcastShapes } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { floatArg, customOp } from './define.js';
import { fullLike } from './creation.js';
import { lift, resultDType, type TensorLike } from './core.js';
import {
  abs, add, cast, cos, div, eq, erf, exp, expm1, gt, log, log1p, lt, mul, neg, reciprocal, rsqrt, sin, sqrt, square, sub, where,
} from './elementwise.js';

const HALF_PI = Math.PI / 2;

/**
 * atan on a float tensor, without a graph: |x| > 1 is folded by atan(x) = pi/2 - atan(1/x), two
 * half-angle steps atan(t) = 2 atan(t / (1 + sqrt(1 + t^2))) bring |t| below tan(pi/16) ~ 0.2, and
 * the alternating series sum (-1)^k t^(2k+1) / (2k+1) then needs 12 terms for float64 accuracy
 * (t^2 < 0.04) and 6 for float32.
 */
function atanRaw(x: Tensor): Tensor {
  const r = abs(x);
  const folded = gt(r, 1);
  let t = where(folded, reciprocal(where(folded, r, 1)), r);
  for (let i = 0; i < 2; i++) t = div(t, add(sqrt(add(square(t), 1)), 1));
  const t2 = square(t);
  const terms = x.dtype === 'float64' ? 12 : 6;
  const coef = (k: number) => (k % 2 === 0 ? 1 : -1) / (2 * k + 1);
  let p: Tensor = add(mul(t2, coef(terms - 1)), coef(terms - 2));
  for (let k = terms - 3; k >= 0; k--) p = add(mul(t2, p), coef(k));
  const a = mul(mul(t, p), 4);
  const base = where(folded, sub(HALF_PI, a), a);
  return where(lt(x, 0), neg(base), base);
}

/** atan2 on float tensors of one dtype, without a graph; the quadrant comes from the signs. */
function atan2Raw(y: Tensor, x: Tensor): Tensor {
  const xZero = eq(x, 0);
  const principal = atanRaw(div(y, where(xZero, 1, x)));
  const upper = lt(y, 0);
  // Two scalar branches would make a float32 tensor: pick from y-typed constants instead.
  const pi = fullLike(y, Math.PI);
  const left = add(principal, where(upper, neg(pi), pi));
  const halfPi = fullLike(y, HALF_PI);
  const axis = where(gt(y, 0), halfPi, where(upper, neg(halfPi), 0));
  return where(xZero, axis, where(lt(x, 0), left, principal));
}

/** NaN outside [-1, 1], so the result never depends on how a backend takes sqrt of a negative. */
function domainGuard(x: Tensor, out: Tensor): Tensor {
  return where(gt(abs(x), 1), NaN, out);
}

/** sqrt(1 - x^2) written as sqrt((1 - x)(1 + x)), exact near |x| = 1. */
const cosOfAsin = (x: Tensor): Tensor => sqrt(mul(sub(1, x), add(1, x)));

/** Elementwise tangent. PyTorch: torch.tan. @torch torch.tan */
export function tan(input: Tensor): Tensor {
  const x = floatArg('tan', input);
  return customOp('tan', [x], () => div(sin(x), cos(x)), (g, y) => [mul(g, add(square(y), 1))]);
}

/** Elementwise arctangent, in (-pi/2, pi/2). @torch torch.atan */
export function atan(input: Tensor): Tensor {
  const x = floatArg('atan', input);
  return customOp('atan', [x], () => atanRaw(x), (g) => [div(g, add(square(x), 1))]);
}

/**
 * The angle of the point (x, y) in (-pi, pi], broadcasting y against x; atan2(0, 0) is 0 and its
 * gradient there is taken as 0. @torch torch.atan2
 */
export function atan2(y: TensorLike, x: TensorLike): Tensor {
  let [ty, tx] = lift('atan2', y, x);
  broadcastShapes('atan2', ty.shape, tx.shape);
  const dtype = resultDType(ty, tx);
  const float = dtype === 'float64' ? 'float64' : 'float32';
  ty = cast(ty, float);
  tx = cast(tx, float);
  return customOp('atan2', [ty, tx], () => atan2Raw(ty, tx), (g) => {
    const r2 = add(square(ty), square(tx));
    const scale = div(g, where(eq(r2, 0), 1, r2));
    return [mul(scale, tx), neg(mul(scale, ty))];
  });
}

/** Elementwise arcsine, NaN outside [-1, 1]. @torch torch.asin */
export function asin(input: Tensor): Tensor {
  const x = floatArg('asin', input);
  return customOp('asin', [x], () => domainGuard(x, atan2Raw(x, cosOfAsin(x))), (g) => [mul(g, rsqrt(mul(sub(1, x), add(1, x))))]);
}

/** Elementwise arccosine, in [0, pi], NaN outside [-1, 1]. @torch torch.acos */
export function acos(input: Tensor): Tensor {
  const x = floatArg('acos', input);
  return customOp('acos', [x], () => domainGuard(x, atan2Raw(cosOfAsin(x), x)), (g) => [neg(mul(g, rsqrt(mul(sub(1, x), add(1, x)))))]);
}

/** (e^x - e^-x) / 2, from expm1 so it keeps full relative precision near 0. @torch torch.sinh */
export function sinh(input: Tensor): Tensor {
  const x = floatArg('sinh', input);
  return customOp('sinh', [x], () => mul(sub(expm1(x), expm1(neg(x))), 0.5), (g) => [mul(g, cosh(x))]);
}

/** (e^x + e^-x) / 2. @torch torch.cosh */
export function cosh(input: Tensor): Tensor {
  const x = floatArg('cosh', input);
  return customOp('cosh', [x], () => mul(add(exp(x), exp(neg(x))), 0.5), (g) => [mul(g, sinh(x))]);
}

/** Beyond this magnitude asinh(x) = log(2|x|) to double precision (the next term is 1/(4x^2)), and x^2 may overflow. */
const LARGE = 1e8;

/** sign(x) log1p(|x| + x^2 / (1 + sqrt(1 + x^2))), accurate near 0 and for large |x|. @torch torch.asinh */
export function asinh(input: Tensor): Tensor {
  const x = floatArg('asinh', input);
  return customOp('asinh', [x], () => {
    const r = abs(x);
    const small = where(gt(r, LARGE), 0, r);
    const near = log1p(add(small, div(square(small), add(sqrt(add(square(small), 1)), 1))));
    const magnitude = where(gt(r, LARGE), add(log(r), Math.LN2), near);
    return where(lt(x, 0), neg(magnitude), magnitude);
  }, (g) => [mul(g, rsqrt(add(square(x), 1)))]);
}

/** log(x + sqrt(x^2 - 1)) for x >= 1, NaN below. @torch torch.acosh */
export function acosh(input: Tensor): Tensor {
  const x = floatArg('acosh', input);
  return customOp('acosh', [x], () => {
    const safe = where(lt(x, 1), 1, where(gt(x, LARGE), 1, x));
    const xm1 = sub(safe, 1);
    const near = log1p(add(xm1, sqrt(mul(xm1, add(safe, 1)))));
    return where(lt(x, 1), NaN, where(gt(x, LARGE), add(log(x), Math.LN2), near));
  }, (g) => [mul(g, rsqrt(mul(sub(x, 1), add(x, 1))))]);
}

/** 0.5 log((1 + x) / (1 - x)) for |x| <= 1 (+-inf at +-1), NaN outside. @torch torch.atanh */
export function atanh(input: Tensor): Tensor {
  const x = floatArg('atanh', input);
  return customOp('atanh', [x], () => {
    // Evaluated at |x| and signed after: log1p(2r / (1 - r)) is well conditioned for r >= 0.
    const r = abs(x);
    const magnitude = mul(log1p(div(mul(r, 2), sub(1, r))), 0.5);
    return domainGuard(x, where(lt(x, 0), neg(magnitude), magnitude));
  }, (g) => [div(g, mul(sub(1, x), add(1, x)))]);
}

/**
 * The inverse error function on (-1, 1) (+-inf at +-1, NaN outside): M. Giles' single-precision
 * polynomial ("Approximating the erfinv function", 2010) as the start, then Newton steps on erf
 * (two for float64, one for float32). @torch torch.erfinv
 */
export function erfinv(input: Tensor): Tensor {
  const x = floatArg('erfinv', input);
  return customOp('erfinv', [x], () => {
    const r = abs(x);
    const inside = lt(r, 1);
    const safe = where(inside, x, 0);
    const w = neg(log(mul(sub(1, safe), add(1, safe))));
    const central = horner(sub(w, 2.5), CENTRAL);
    const tail = horner(sub(sqrt(w), 3), TAIL);
    let y = mul(where(lt(w, 5), central, tail), safe);
    const steps = x.dtype === 'float64' ? 2 : 1;
    for (let i = 0; i < steps; i++) y = sub(y, div(sub(erf(y), safe), mul(exp(neg(square(y))), 2 / Math.sqrt(Math.PI))));
    const inf = fullLike(x, Infinity);
    const edge = where(eq(r, 1), where(lt(x, 0), neg(inf), inf), NaN);
    return where(inside, y, edge);
  }, (g, y) => [mul(g, mul(exp(square(y)), Math.sqrt(Math.PI) / 2))]);
}

/** Giles' coefficients, highest power first. */
const CENTRAL = [2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 2.1858087e-4, -1.25372503e-3, -4.17768164e-3, 0.246640727, 1.50140941];
const TAIL = [-2.00214257e-4, 1.00950558e-4, 1.34934322e-3, -3.67342844e-3, 5.73950773e-3, -7.6224613e-3, 9.43887047e-3, 1.00167406, 2.83297682];

function horner(w: Tensor, coefficients: readonly number[]): Tensor {
  let p = add(mul(w, coefficients[0]!), coefficients[1]!);
  for (const c of coefficients.slice(2)) p = add(mul(p, w), c);
  return p;
}
