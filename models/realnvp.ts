/**
 * RealNVP (Dinh, Sohl-Dickstein and Bengio, 2017), a normalising flow: an exact density through
 * invertible maps (notes 000 §3, notes 001 Generative Model §1).
 *
 * Model: 2 levels (28 -> 14 -> 7). Each level has affine couplings with a checkerboard mask at its
 * input resolution (half the pixels, alternating, set a scale and shift of the others), a 2x2
 * squeeze into channels, then couplings with a channel mask (alternating halves); the coupling's
 * log-scale is tanh of a small conv net's output. An actnorm (initialised from the first batch)
 * before each coupling stands in for the paper's batch norm, which would make the density depend
 * on the batch. Between the levels half the channels are factored out under a Gaussian prior
 * conditioned on the other half. Pixels are dequantised, y = (255 x + u) / 256, and taken to
 * logit space, v = logit(α + (1 - 2α) y), as in the paper (models/blocks/flow.ts).
 * Loss: -log P(x) in bits per dimension (the dequantised bound, with the logit's log det), Adam.
 * Sampling: every latent from N(0, T² I) at the configured temperature T, then the exact inverse.
 */
import type { DeviceName } from '../src/index.js';
import { ActNorm, AffineCoupling, Squeeze, type CouplingMask, type FlowLayer } from './blocks/flow-layers.js';
import { FlowModel, flowTraining, type FlowConfig, type LevelBuilder } from './blocks/flow.js';
import { registerModel } from './registry.js';

export type RealNvpConfig = FlowConfig;

/**
 * A level: `depth` couplings, the first half (rounded up) with alternating checkerboards, then a
 * squeeze and the rest with alternating channel halves; an actnorm before each.
 */
export function realNvpLevels(config: Pick<RealNvpConfig, 'width' | 'depth'>, device?: DeviceName): LevelBuilder {
  return (_level, channels) => {
    const layers: FlowLayer[] = [];
    const couple = (c: number, mask: CouplingMask, i: number) => {
      layers.push(new ActNorm(c, device), new AffineCoupling(c, mask, (i % 2) as 0 | 1, config.width, 'tanh', device));
    };
    const checkerboard = Math.ceil(config.depth / 2);
    for (let i = 0; i < checkerboard; i++) couple(channels, 'checkerboard', i);
    layers.push(new Squeeze());
    for (let i = 0; i < config.depth - checkerboard; i++) couple(4 * channels, 'channel', i);
    return layers;
  };
}

export class RealNvp extends FlowModel {
  constructor(config: RealNvpConfig, device?: DeviceName) {
    super(config, realNvpLevels(config, device), device);
  }
}

export const realnvp = registerModel({
  name: 'realnvp',
  description: 'RealNVP: 2 levels (28->14->7) of checkerboard and channel affine couplings; NLL in bits/dim, samples at temperature T',
  notes: 'notes 000 §3, notes 001 Generative Model §1',
  dataRange: [0, 1],
  fields: ['images'],
  config: { width: 64, depth: 6, levels: 2, temperature: 0.7, logitAlpha: 0.05 } as RealNvpConfig,
  // lr 3e-3 as glow's (measured there: a CPU run has a few hundred steps); the paper's is 1e-3.
  training: { batch: 64, lr: 3e-3, steps: 5000, sampleEvery: 500 },
  withoutGpu: { config: { width: 32, depth: 4 }, steps: 300, sampleEvery: 100 },
  build: (config, device) => new RealNvp(config, device),
  train: (model, { lr }) => flowTraining(model, lr, 'realnvp'),
});
