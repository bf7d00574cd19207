/**
 * Weight wrappers (spectral norm, weight norm, equalised learning rate) recompute a layer's
 * weight from other tensors on every access. They turn the layer's `weight` property into a
 * getter, so the layer's own forward is untouched, and store what the weight is computed from as
 * ordinary parameters and buffers, under PyTorch's names (`weight_orig`, `weight_u`, `weight_g`, ...).
 */
import { ArgumentError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import type { Module } from './module.js';
import { Parameter } from './parameter.js';

/** The Parameter at `module[name]`, checked. */
export function parameterOf(module: Module, name: string, wrapper: string): Parameter {
  const d = Object.getOwnPropertyDescriptor(module, name);
  if (!d || !('value' in d) || !(d.value instanceof Parameter)) {
    throw new ArgumentError(`${wrapper}: ${module.constructor.name} has no parameter '${name}' (or it is already wrapped)`);
  }
  return d.value;
}

/** Replace the property `name` with a getter (not enumerable, so never listed as state). */
export function parametrize(module: Module, name: string, compute: () => Tensor): void {
  Object.defineProperty(module, name, { get: compute, configurable: true, enumerable: false });
}
