/**
 * Weight normalisation (Salimans & Kingma, 2016), as torch.nn.utils.weight_norm: the weight is
 * reparametrised as g * v / ||v||, the norm taken over every dim but `dim`, with `weight_g` and
 * `weight_v` as the trained parameters.
 */
import { div, mul, sqrt, sum } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import type { Module } from './module.js';
import { Parameter } from './parameter.js';
import { parameterOf, parametrize } from './parametrize.js';

/** The 2-norm over every dim except `dim`, keeping dims (torch's norm_except_dim). */
function normExceptDim(v: Tensor, dim: number): Tensor {
  const axes = [...v.shape.keys()].filter((d) => d !== dim);
  return sqrt(sum(mul(v, v), axes, true));
}

/**
 * Reparametrises `module`'s parameter `name` (default 'weight') as g · v / ‖v‖, the norm over every
 * dim but `dim` (default 0): the trained parameters become `${name}G` (the norms) and `${name}V`.
 * Returns the same module; throws ArgumentError when it has no such parameter.
 */
export function weightNorm<M extends Module>(module: M, opts: { name?: string; dim?: number } = {}): M {
  const name = opts.name ?? 'weight';
  const dim = opts.dim ?? 0;
  const weight = parameterOf(module, name, 'weightNorm');
  delete (module as Record<string, unknown>)[name];
  module.registerParameter(`${name}G`, Parameter.create(() => normExceptDim(weight.detach(), dim)));
  module.registerParameter(`${name}V`, weight);
  parametrize(module, name, () => {
    const g = Reflect.get(module, `${name}G`) as Tensor;
    const v = Reflect.get(module, `${name}V`) as Tensor;
    return mul(v, div(g, normExceptDim(v, dim)));
  });
  return module;
}
