/**
 * Numeric codes passed to the WGSL kernels' `override` constants: the position in each list is
 * the code. The WGSL side names them (`const OP_EXP = 5u;` in kernels/lib/unary_ops.wgsl,
 * binary_ops.wgsl, epilogue.wgsl and dtype.wgsl, kernels/reduce.wgsl); test/wgsl-library.test.ts
 * checks that both sides agree.
 */
import { DeviceError } from '../../errors.js';
import type { BinaryOp, DType, Epilogue, ReduceOp, UnaryOp } from '../backend.js';

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

/** The activations fused into the conv kernels' output (their ACTIVATION override). */
export const EPILOGUES: readonly Epilogue['activation'][] = ['none', 'relu', 'leakyRelu', 'tanh', 'sigmoid', 'silu'];

export const DTYPES: readonly DType[] = ['float32', 'int32', 'bool'];

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
