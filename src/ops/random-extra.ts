/**
 * More random ops, all drawn from the global Philox generator, so one seed gives the same numbers
 * on every backend: Bernoulli draws, normal samples with tensor parameters, permutations, and
 * channel-wise dropout.
 */
import { isFloat } from '../backend/backend.js';
import { ArgumentError, DTypeError, fmtShape } from '../errors.js';
import { broadcastShapes } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, composite, lift, requireFloat, type CreateOptions, type TensorLike } from './core.js';
import { rand, randn } from './creation.js';
import { add, cast, ge, lt, mul, where } from './elementwise.js';
import { argsort } from './sort.js';

/** 1 with probability p (elementwise, p in [0, 1]), else 0, in p's dtype; no gradient. @torch torch.bernoulli */
export function bernoulli(p: Tensor): Tensor {
  checkInputs('bernoulli', p);
  if (!isFloat(p.dtype)) throw new DTypeError(`bernoulli: probabilities must be floating point, got ${p.dtype} with shape ${fmtShape(p.shape)}`);
  return composite([], () => cast(lt(rand(p.shape, { dtype: p.dtype, device: p.device }), p), p.dtype));
}

/**
 * Samples mean + std * eps with eps standard normal, mean and std broadcast (tensors or numbers;
 * `shape` when both are numbers). Reparameterized: differentiable in mean and std. @torch torch.normal
 */
export function normal(mean: TensorLike, std: TensorLike, shape?: readonly number[], opts: CreateOptions = {}): Tensor {
  const [m, s] = lift('normal', mean, std, opts.device);
  const tensors = [mean, std].filter((t): t is Tensor => typeof t === 'object');
  for (const t of tensors) requireFloat('normal', t, t === mean ? 'mean' : 'std');
  const out = tensors.length ? broadcastShapes('normal', m.shape, s.shape) : [...(shape ?? [])];
  if (tensors.length && shape && fmtShape(shape) !== fmtShape(out)) {
    throw new ArgumentError(`normal: shape ${fmtShape(shape)} disagrees with the parameters' broadcast shape ${fmtShape(out)}`);
  }
  const dtype = tensors.length ? (tensors.some((t) => t.dtype === 'float64') ? 'float64' : 'float32') : opts.dtype ?? 'float32';
  return composite(tensors, () => add(mul(randn(out, { dtype, device: m.device }), s), m));
}

/** A random permutation of 0 .. n - 1 (int32), made on the device by sorting uniforms. @torch torch.randperm */
export function randperm(n: number, opts: CreateOptions = {}): Tensor {
  if (!Number.isInteger(n) || n < 0) throw new ArgumentError(`randperm: n must be a non-negative integer, got ${n}`);
  return composite([], () => {
    const perm = argsort(rand([n], { device: opts.device }), -1);
    return opts.dtype && opts.dtype !== 'int32' ? cast(perm, opts.dtype) : perm;
  });
}

/**
 * Zeroes whole channels of x [N, C, ...] (or [C, H, W]) with probability p and scales the rest by
 * 1 / (1 - p) in training; the identity otherwise. @torch torch.nn.functional.dropout2d
 */
export function dropout2d(x: Tensor, p = 0.5, training = true): Tensor {
  checkInputs('dropout2d', x);
  requireFloat('dropout2d', x);
  if (!(p >= 0 && p <= 1)) throw new ArgumentError(`dropout2d: p must be in [0, 1], got ${p}`);
  if (x.shape.length < 2) throw new ArgumentError(`dropout2d: input must be [N, C, ...] or [C, H, W], got ${fmtShape(x.shape)}`);
  if (!training || p === 0) return x;
  // One draw per channel: the channel dims kept, the spatial ones broadcast.
  const lead = x.shape.length === 3 ? 1 : 2;
  const maskShape = x.shape.map((d, i) => (i < lead ? d : 1));
  return composite([x], () => {
    const keep = ge(rand(maskShape, { dtype: x.dtype, device: x.device }), p);
    return where(keep, mul(x, p === 1 ? 0 : 1 / (1 - p)), 0);
  });
}
