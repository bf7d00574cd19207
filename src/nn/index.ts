/** Neural-network building blocks (torch.nn): Module, Parameter, layers, initialisation and weight wrappers. */
export { Module, stateName } from './module.js';
export { Parameter } from './parameter.js';
export * as init from './init.js';
export { dcganInit_ } from './gan-init.js';
export { Linear, type LayerOptions } from './linear.js';
export { Conv2d, ConvTranspose2d, type Conv2dOptions, type ConvTranspose2dOptions } from './conv.js';
export { Conv1d, PReLU, Unfold, Fold, PixelShuffle, PixelUnshuffle, type Conv1dOptions } from './layers-extra.js';
export { BatchNorm1d, BatchNorm2d, LayerNorm, GroupNorm, InstanceNorm2d, type BatchNormOptions } from './normalization.js';
export { Embedding, type EmbeddingOptions } from './embedding.js';
export { Dropout } from './dropout.js';
export { MultiheadAttention, type MultiheadAttentionOptions, type MultiheadAttentionCall } from './attention.js';
export { Upsample } from './upsample.js';
export { ReLU, LeakyReLU, ELU, GELU, SiLU, Sigmoid, Tanh, Softplus, Softmax, LogSoftmax } from './activation.js';
export { Sequential, ModuleList, type Layer } from './container.js';
export { Flatten, Unflatten, Identity } from './reshape.js';
export { spectralNorm, type SpectralNormOptions } from './spectral-norm.js';
export { weightNorm } from './weight-norm.js';
export { equalizedLr } from './equalized-lr.js';
