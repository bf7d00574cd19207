/**
 * Numeric codes shared with the WGSL kernels' `override` constants. The position in each list is
 * the code the kernel's `switch` expects; keep both sides in the same order.
 */
import { DeviceError } from '../../errors.js';
import type { BinaryOp, DType, ReduceOp, UnaryOp } from '../backend.js';

export const UNARY_OPS: readonly UnaryOp[] = [
  'neg', 'abs', 'sign', 'square', 'reciprocal',
  'exp', 'log', 'log1p', 'expm1', 'sqrt', 'rsqrt',
  'sin', 'cos', 'tanh', 'sigmoid', 'erf',
  'relu', 'leakyRelu', 'elu', 'gelu', 'silu', 'softplus',
  'floor', 'ceil', 'round',
  'logicalNot',
];

export const BINARY_OPS: readonly BinaryOp[] = [
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'mod',
  'eq', 'ne', 'lt', 'le', 'gt', 'ge',
  'logicalAnd', 'logicalOr',
];

export const REDUCE_OPS: readonly ReduceOp[] = ['sum', 'prod', 'max', 'min'];

/** How kernels interpret a 32-bit word: 0 float32, 1 int32, 2 bool (0/1 per word). */
export function dtypeCode(dtype: DType): number {
  switch (dtype) {
    case 'float32': return 0;
    case 'int32': return 1;
    case 'bool': return 2;
    case 'float64': throw new DeviceError('float64 is not supported by the WebGPU backend (WGSL has no f64); use float32');
  }
}

export function opCode<T>(list: readonly T[], op: T): number {
  const code = list.indexOf(op);
  if (code < 0) throw new DeviceError(`the WebGPU backend has no kernel for '${String(op)}'`);
  return code;
}
