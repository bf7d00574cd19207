/** Batch transforms for the DataLoader: each maps a batch of images in [0, 1] on the device. */
import { add, cast, gt, mul, randnLike, sub } from '../ops/index.js';
import type { Tensor } from '../tensor.js';

/**
 * A batch transform: images [B, C, H, W] in [0, 1] on the device to the batch a model trains on.
 */
export type Transform = (images: Tensor) => Tensor;

/** [0, 1] -> [-1, 1], the range of tanh generators. */
export const toSymmetric = (): Transform => (x) => sub(mul(x, 2), 1);

/** 1 where a pixel exceeds `threshold`, else 0 (binarised MNIST for Bernoulli likelihoods and RBMs). */
export const binarize = (threshold = 0.5): Transform => (x) => cast(gt(x, threshold), x.dtype);

/** Adds N(0, std^2) noise (denoising autoencoders; dequantisation). */
export const gaussianNoise = (std: number): Transform => (x) => add(x, mul(randnLike(x), std));

/** Applies transforms left to right. */
export const compose = (...transforms: Transform[]): Transform => (x) => transforms.reduce((y, t) => t(y), x);
