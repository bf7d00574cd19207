/** Clearing parameters' gradients (Module.zeroGrad and Optimizer.zeroGrad). */
import { zerosLike } from '../ops/index.js';
import type { Tensor } from '../tensor.js';

/**
 * Set gradients to none, disposing them, or to zeros in place. Autograd may hand one gradient
 * tensor to several leaves (the two inputs of an add), so each tensor is handled once.
 */
export function zeroGradients(params: Iterable<Tensor>, setToNone = true): void {
  const grads = new Set<Tensor>();
  const owners: Tensor[] = [];
  for (const p of params) {
    if (!p.grad) continue;
    grads.add(p.grad);
    owners.push(p);
  }
  if (setToNone) {
    for (const g of grads) g.dispose();
    for (const p of owners) p.grad = null;
    return;
  }
  for (const g of grads) {
    const zeros = zerosLike(g);
    g.assign_(zeros);
    zeros.dispose();
  }
}
