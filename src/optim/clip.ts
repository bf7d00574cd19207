/**
 * Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_. Both rewrite the
 * gradients on the device: clipping by norm scales by min(1, maxNorm / (norm + 1e-6)) computed
 * there, so nothing is read back and the step stays asynchronous.
 */
import { noGrad } from '../autograd.js';
import { ArgumentError } from '../errors.js';
import { tidy } from '../memory.js';
import { abs, add, clamp, div, max, minimum, mul, pow, stack, sum, zeros } from '../ops/index.js';
import type { Tensor } from '../tensor.js';

function gradsOf(parameters: Iterable<Tensor>): Tensor[] {
  return [...parameters].flatMap((p) => (p.grad ? [p.grad] : []));
}

/**
 * Scale all gradients together so their joint `normType`-norm is at most `maxNorm`. Returns the
 * norm before clipping (a 0-d tensor: read it only if you need it).
 */
export function clipGradNorm_(parameters: Iterable<Tensor>, maxNorm: number, normType = 2): Tensor {
  if (!(maxNorm >= 0)) throw new ArgumentError(`clipGradNorm_: maxNorm must be >= 0, got ${maxNorm}`);
  if (!(normType > 0)) throw new ArgumentError(`clipGradNorm_: normType must be positive (or Infinity), got ${normType}`);
  const grads = gradsOf(parameters);
  if (grads.length === 0) return zeros([]);
  return noGrad(() => tidy(() => {
    let total: Tensor;
    if (normType === Infinity) {
      total = max(stack(grads.map((g) => max(abs(g)))));
    } else {
      const powered = grads.map((g) => (normType === 2 ? sum(mul(g, g)) : sum(pow(abs(g), normType))));
      total = pow(sum(stack(powered)), 1 / normType);
    }
    const coef = minimum(div(maxNorm, add(total, 1e-6)), 1);
    // One gradient tensor may be shared by several parameters (autograd hands it out): scale it once.
    for (const g of new Set(grads)) g.assign_(mul(g, coef));
    return total;
  }));
}

/** Clamp every gradient element into [-clipValue, clipValue]. */
export function clipGradValue_(parameters: Iterable<Tensor>, clipValue: number): void {
  if (!(clipValue >= 0)) throw new ArgumentError(`clipGradValue_: clipValue must be >= 0, got ${clipValue}`);
  noGrad(() => tidy(() => {
    for (const g of new Set(gradsOf(parameters))) g.assign_(clamp(g, -clipValue, clipValue));
  }));
}
