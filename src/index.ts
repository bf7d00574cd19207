/**
 * @genlab/tensor: tensors with reverse-mode autograd on a WebGPU backend of hand-written WGSL
 * kernels, with a float64-capable CPU reference backend.
 */
export { Tensor } from './tensor.js';
export type { DType, DeviceName, HostArray, MatmulVariant } from './backend/backend.js';
export * from './errors.js';
export { tidy, scope, keep, memory, type MemoryInfo } from './memory.js';
export { noGrad, enableGrad, isGradEnabled, grad, valueAndGrad, gradients, type GradNode } from './autograd.js';
export { getDefaultDevice, setDefaultDevice, getBackend } from './backend/registry.js';
export { initWebGPU, sync, flush, deviceInfo, type DeviceInfo } from './device.js';
export { manualSeed } from './ops/creation.js';
export * from './ops/creation.js';
export * from './ops/elementwise.js';
export * from './ops/reduce.js';
export * from './ops/shapeops.js';
export * from './ops/matmul.js';
export type { CreateOptions, TensorLike, Scalar } from './ops/core.js';
