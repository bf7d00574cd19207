/**
 * @genlab/tensor: tensors with reverse-mode autograd on a WebGPU backend of hand-written WGSL
 * kernels, with a float64-capable CPU reference backend.
 *
 * @module @genlab/tensor
 */
export { Tensor } from './tensor.js';
export type { DType, DeviceName, HostArray, MatmulVariant, MomentsVariant, RowVariant } from './backend/backend.js';
export * from './errors.js';
export { tidy, scope, keep, memory, setMemoryBudget, type MemoryInfo, type Disposable } from './memory.js';
export type { NestedArray } from './format.js';
export type { SoftmaxOptions } from './ops/softmax.js';
export { noGrad, enableGrad, isGradEnabled, grad, valueAndGrad, gradients, type GradNode } from './autograd.js';
export { getDefaultDevice, setDefaultDevice, getBackend } from './backend/registry.js';
export { initWebGPU, initWasm, sync, flush, deviceInfo, type DeviceInfo, type InitWebGPUOptions, type GpuProvider } from './device.js';
export { manualSeed } from './ops/creation.js';
export * from './ops/creation.js';
export * from './ops/elementwise.js';
export * from './ops/reduce.js';
export * from './ops/shapeops.js';
export * from './ops/matmul.js';
export * from './ops/trig.js';
export * from './ops/elementwise-extra.js';
export * from './ops/activations.js';
export * from './ops/shape-extra.js';
export * from './ops/diagonal.js';
export * from './ops/einsum.js';
export * from './ops/reduce-extra.js';
export * from './ops/scan.js';
export * from './ops/order-stats.js';
export * from './ops/indexing-extra.js';
export * from './ops/pool-extra.js';
export * from './ops/losses-extra.js';
export * from './ops/losses-seq.js';
export * from './ops/spatial-extra.js';
export * from './ops/grid.js';
export * from './ops/roi.js';
export * from './ops/linalg.js';
export * from './ops/linalg-decomp.js';
export * from './ops/random-extra.js';
export * from './ops/random-dist.js';
export * from './ops/conv3d.js';
export * from './ops/norm-local.js';
export { softmax, logSoftmax } from './ops/softmax.js';
export { scaledDotProductAttention, attentionReference, type AttentionOptions } from './ops/attention.js';
export { takeAlongAxis, gather, scatterAdd, indexSelect, embedding, oneHot } from './ops/indexing.js';
export { cumsum } from './ops/cumsum.js';
export { sort, argsort, topk, type SortResult } from './ops/sort.js';
export { maskedFill, tril, triu, trilMask } from './ops/masking.js';
export { normalize, cosineSimilarity, cdist } from './ops/distance.js';
export { mseLoss, l1Loss, bceWithLogits, bce, crossEntropy, nllLoss, klDivGaussian, type Reduction, type BceOptions, type ClassLossOptions } from './ops/losses.js';
export { multinomial, categorical, gumbelSoftmax } from './ops/sampling.js';
export { lstmCell } from './ops/rnn.js';
export { conv2d, convTranspose2d, type Conv2dOptions, type ConvTranspose2dOptions, type ConvVariant, type Activation } from './ops/conv.js';
export { moments, batchNorm, layerNorm, groupNorm, instanceNorm, type BatchNormOptions } from './ops/norm.js';
export { maxPool2d, avgPool2d, adaptiveAvgPool2d, globalAvgPool2d, type Pool2dOptions, type AvgPool2dOptions } from './ops/pool.js';
export { interpolate, pixelShuffle, pixelUnshuffle, type InterpolateOptions, type InterpolateMode, type PadMode } from './ops/resample.js';
export { dropout } from './ops/dropout.js';
export type { Padding2d, ConvPadding, Pair } from './ops/spatial.js';
export type { CreateOptions, TensorLike, Scalar } from './ops/core.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as io from './io/index.js';
export * as metrics from './metrics/index.js';
