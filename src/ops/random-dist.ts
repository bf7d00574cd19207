/**
 * Random ops built from the global Philox generator's uniforms, so one seed gives the same draws on
 * every backend: alpha dropout, Poisson samples, and the in-place fills uniform_ and exponential_
 * (as torch.Tensor.uniform_ / exponential_: they overwrite the tensor's values and return it).
 */
import { noGrad } from '../autograd.js';
import { ArgumentError, fmtShape } from '../errors.js';
import { tidy } from '../memory.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, composite, requireFloat } from './core.js';
import { rand } from './creation.js';
import { abs, add, cast, div, exp, floor, ge, gt, le, log, logicalAnd, logicalNot, logicalOr, lt, maximum, mul, neg, sqrt, sub, where } from './elementwise.js';

/** -SELU_SCALE * SELU_ALPHA: the value SELU saturates to, which alpha dropout sets dropped units to. */
const ALPHA_PRIME = -1.0507009873554804934193349852946 * 1.6732632423543772848170429916717;
/** Philox uniforms are multiples of 2^-24 (see dropout.ts: the threshold is exact in float32). */
const UNIFORM_STEPS = 2 ** 24;

/**
 * Dropout for SELU networks: each element is set to -SELU_SCALE * SELU_ALPHA with probability p,
 * then a x + b keeps zero mean and unit variance (Klambauer et al., 2017); the identity when not
 * training. Differentiable in x (gradient a on kept elements). @torch torch.nn.functional.alpha_dropout
 */
export function alphaDropout(x: Tensor, p = 0.5, training = true): Tensor {
  const op = 'alphaDropout';
  checkInputs(op, x);
  requireFloat(op, x);
  if (!(p >= 0 && p <= 1)) throw new ArgumentError(`${op}: p must be in [0, 1], got ${p} (input ${fmtShape(x.shape)})`);
  if (!training || p === 0) return x;
  if (p === 1) return composite([x], () => mul(x, 0));
  const a = 1 / Math.sqrt((1 - p) * (1 + p * ALPHA_PRIME * ALPHA_PRIME));
  const b = -a * ALPHA_PRIME * p;
  const threshold = Math.ceil(p * UNIFORM_STEPS) / UNIFORM_STEPS;
  return composite([x], () => {
    const keep = ge(rand(x.shape, { dtype: x.dtype, device: x.device }), threshold);
    return add(mul(where(keep, x, ALPHA_PRIME), a), b);
  });
}

/** Rates below this are drawn by inversion, the rest by transformed rejection. */
const INVERSION_LIMIT = 16;
/** Inversion terms: P(Poisson(16) > 60) < 1e-15. */
const INVERSION_TERMS = 60;
/** Rejection rounds: each accepts with probability > 0.85 for rates >= 16, so all 10 fail with probability < 1e-8. */
const REJECTION_ROUNDS = 10;

/** log k! by Stirling's series (error < 1e-3 at k = 1, < 1e-8 from k = 5); 0 at k = 0. */
function logFactorial(k: Tensor): Tensor {
  const n = maximum(k, 1);
  const inv = div(1, n);
  const inv2 = mul(inv, inv);
  const series = mul(inv, sub(1 / 12, mul(inv2, sub(1 / 360, mul(inv2, 1 / 1260)))));
  const value = add(add(sub(mul(n, log(n)), n), mul(log(mul(n, 2 * Math.PI)), 0.5)), series);
  return where(lt(k, 1), 0, value);
}

/** Poisson(rate) by sequential inversion of one uniform: the count of CDF terms it exceeds. */
function byInversion(rate: Tensor): Tensor {
  const u = rand(rate.shape, { dtype: rate.dtype, device: rate.device });
  let term = exp(neg(rate));
  let cdf = term;
  let count = mul(rate, 0);
  for (let k = 0; k < INVERSION_TERMS; k++) {
    // Past the mode the terms vanish; stop counting there so CDF rounding near 1 cannot add a tail.
    const live = logicalOr(lt(k, rate), gt(term, 1e-12));
    count = add(count, cast(logicalAnd(gt(u, cdf), live), rate.dtype));
    term = mul(term, div(rate, k + 1));
    cdf = add(cdf, term);
  }
  return count;
}

/** Poisson(rate) for rate >= 16 by Hörmann's (1993) transformed rejection (PTRS), a fixed number of rounds. */
function byRejection(rate: Tensor): Tensor {
  const lam = maximum(rate, INVERSION_LIMIT);
  const b = add(mul(sqrt(lam), 2.53), 0.931);
  const a = add(mul(b, 0.02483), -0.059);
  const logInvAlpha = log(add(div(1.1328, sub(b, 3.4)), 1.1239));
  const vr = sub(0.9277, div(3.6224, sub(b, 2)));
  let result = floor(lam);
  let done = lt(rate, INVERSION_LIMIT);
  for (let round = 0; round < REJECTION_ROUNDS; round++) {
    const u = sub(rand(rate.shape, { dtype: rate.dtype, device: rate.device }), 0.5);
    const v = rand(rate.shape, { dtype: rate.dtype, device: rate.device });
    const us = sub(0.5, abs(u));
    const k = floor(add(add(mul(add(div(mul(a, 2), us), b), u), lam), 0.43));
    const quick = logicalAnd(ge(us, 0.07), le(v, vr));
    const rejectedEarly = logicalOr(lt(k, 0), logicalAnd(lt(us, 0.013), gt(v, us)));
    const lhs = sub(add(log(maximum(v, 1e-30)), logInvAlpha), log(add(div(a, mul(us, us)), b)));
    const rhs = sub(add(neg(lam), mul(k, log(lam))), logFactorial(k));
    const accept = logicalOr(quick, logicalAnd(logicalNot(rejectedEarly), le(lhs, rhs)));
    const take = logicalAnd(accept, logicalNot(done));
    result = where(take, k, result);
    done = logicalOr(done, accept);
  }
  return result;
}

/**
 * Samples Poisson(rate) elementwise (rates >= 0, float), in the rates' dtype; no gradient. Small
 * rates invert one uniform; rates >= 16 use transformed rejection with up to 10 rounds (after all
 * 10 reject, with probability < 1e-8, the sample is floor(rate)). @torch torch.poisson
 */
export function poisson(rate: Tensor): Tensor {
  const op = 'poisson';
  checkInputs(op, rate);
  requireFloat(op, rate, 'rate');
  return noGrad(() => tidy(() => {
    const r = maximum(rate, 0);
    return where(lt(r, INVERSION_LIMIT), byInversion(r), byRejection(r));
  }));
}

/** Overwrite t's values with `make()`'s (same shape, dtype and device), outside autograd. */
function fillInPlace(op: string, t: Tensor, make: () => Tensor): Tensor {
  checkInputs(op, t);
  requireFloat(op, t, 'self');
  noGrad(() => tidy(() => void t.assign_(make())));
  return t;
}

/** Fills t in place with samples uniform in [from, to) and returns t. @torch torch.Tensor.uniform_ */
export function uniform_(t: Tensor, from = 0, to = 1): Tensor {
  if (!(Number.isFinite(from) && Number.isFinite(to) && from <= to)) throw new ArgumentError(`uniform_: need finite from <= to, got from=${from} to=${to} (self ${fmtShape(t?.shape ?? [])})`);
  return fillInPlace('uniform_', t, () => add(mul(rand(t.shape, { dtype: t.dtype, device: t.device }), to - from), from));
}

/** Fills t in place with Exponential(lambd) samples, -log(1 - u) / lambd, and returns t. @torch torch.Tensor.exponential_ */
export function exponential_(t: Tensor, lambd = 1): Tensor {
  if (!(lambd > 0 && Number.isFinite(lambd))) throw new ArgumentError(`exponential_: lambd must be positive and finite, got ${lambd} (self ${fmtShape(t?.shape ?? [])})`);
  return fillInPlace('exponential_', t, () => div(neg(log(sub(1, rand(t.shape, { dtype: t.dtype, device: t.device })))), lambd));
}
