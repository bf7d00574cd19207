/**
 * Equalised learning rate (Karras et al., ProGAN 2018): weights are drawn from N(0, 1) and scaled
 * at run time by gain / sqrt(fanIn), so adaptive optimizers move every layer at the same speed.
 * `lrMultiplier` (StyleGAN's mapping network) further slows a layer: the stored values are divided
 * by it and the forward multiplies it back. Biases start at zero.
 */
import { mul } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { calculateFanInAndFanOut, normal_, zeros_ } from './init.js';
import type { Module } from './module.js';
import { parameterOf, parametrize } from './parametrize.js';

/**
 * Applies the equalised learning rate to `module`'s parameter `name` (default 'weight'), in place:
 * the parameter becomes `${name}Orig`, redrawn from N(0, 1 / lrMultiplier²), and reads return it
 * times gain / √fanIn · lrMultiplier (gain default √2). Returns the same module; throws
 * ArgumentError when it has no such parameter.
 */
export function equalizedLr<M extends Module>(module: M, opts: { name?: string; gain?: number; lrMultiplier?: number } = {}): M {
  const name = opts.name ?? 'weight';
  const gain = opts.gain ?? Math.SQRT2;
  const lrMul = opts.lrMultiplier ?? 1;
  const weight = parameterOf(module, name, 'equalizedLr');
  const scale = (gain / Math.sqrt(calculateFanInAndFanOut(weight)[0])) * lrMul;
  normal_(weight, 0, 1 / lrMul);
  delete (module as Record<string, unknown>)[name];
  module.registerParameter(`${name}Orig`, weight);
  parametrize(module, name, () => mul(Reflect.get(module, `${name}Orig`) as Tensor, scale));

  const bias = Reflect.get(module, 'bias');
  if (name === 'weight' && bias) {
    const b = parameterOf(module, 'bias', 'equalizedLr');
    zeros_(b);
    if (lrMul !== 1) {
      delete (module as Record<string, unknown>).bias;
      module.registerParameter('biasOrig', b);
      parametrize(module, 'bias', () => mul(Reflect.get(module, 'biasOrig') as Tensor, lrMul));
    }
  }
  return module;
}
