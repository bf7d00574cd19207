/**
 * The encoder/decoder pairs the autoencoding models choose between: the convolutional nets of the
 * notes 002 §2 example (conv-autoencoder.ts), or the fully connected ones of Kingma and Welling's VAE
 * paper (784 -> 512 -> 256 -> z and back), about 20x cheaper per step. A model file names the
 * pair it wants with `arch`; the model's equations do not depend on it.
 */
import { nn } from '../../src/index.js';
import type { DeviceName } from '../../src/index.js';
import { ConvDecoder, ConvEncoder, encoderFeatures } from './conv-autoencoder.js';

export type ImageNetArch = 'conv' | 'mlp';
export const IMAGE_NET_ARCHS: readonly ImageNetArch[] = ['conv', 'mlp'];

export interface ImageNetSizes {
  latent: number;
  /** conv: encoder widths (the decoder mirrors them). */
  channels: readonly number[];
  /** mlp: hidden layer sizes of the encoder (the decoder mirrors them). */
  hidden: readonly number[];
}

/** An encoder from images [N, 1, 28, 28] to `features` per image, and a decoder from codes [N, latent] to pixel logits [N, 1, 28, 28]. */
export function imageNets(arch: ImageNetArch, sizes: ImageNetSizes, device?: DeviceName): { encoder: nn.Sequential; decoder: nn.Sequential; features: number } {
  if (arch === 'mlp') {
    const { hidden, latent } = sizes;
    return { encoder: mlpEncoder(hidden, device), decoder: mlpDecoder(latent, hidden, device), features: hidden[hidden.length - 1]! };
  }
  return { encoder: new ConvEncoder(sizes.channels, device), decoder: new ConvDecoder(sizes.latent, sizes.channels, device), features: encoderFeatures(sizes.channels) };
}

/** Flattened image -> hidden[0] -> ... -> hidden[last], ReLU after each: the heads go on top. */
function mlpEncoder(hidden: readonly number[], device?: DeviceName): nn.Sequential {
  const net = new nn.Sequential(new nn.Flatten());
  hidden.forEach((h, i) => net.append(new nn.Linear(i === 0 ? 784 : hidden[i - 1]!, h, { device })).append(new nn.ReLU()));
  return net;
}

/** z -> hidden[last] -> ... -> hidden[0] with ReLU, then 784 pixel logits as an image. */
function mlpDecoder(latent: number, hidden: readonly number[], device?: DeviceName): nn.Sequential {
  const net = new nn.Sequential();
  const sizes = [latent, ...[...hidden].reverse()];
  for (let i = 1; i < sizes.length; i++) net.append(new nn.Linear(sizes[i - 1]!, sizes[i]!, { device })).append(new nn.ReLU());
  return net.append(new nn.Linear(sizes[sizes.length - 1]!, 784, { device })).append(new nn.Unflatten(1, [1, 28, 28]));
}
