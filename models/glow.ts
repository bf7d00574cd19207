/**
 * Glow (Kingma and Dhariwal, 2018), a normalising flow: an exact density through invertible maps
 * (notes 000 §3, notes 001 Generative Model §1).
 *
 * Model: 2 levels (28 -> 14 -> 7). Each squeezes 2x2 pixels into channels, then takes `depth`
 * steps of flow: actnorm (per-channel affine, initialised from the first batch to zero mean and
 * unit variance), an invertible 1x1 convolution in LU form (W = P L (U + diag s), log det
 * H·W·Σ log|s|), and an affine coupling whose scale is log sigmoid(a + 2) of a small conv net of
 * the other half of the channels. Between the levels half the channels are factored out under a
 * Gaussian prior conditioned on the other half. Pixels are dequantised, y = (255 x + u) / 256, and
 * shifted to v = y - 1/2 (models/blocks/flow.ts).
 * Loss: -log P(x) in bits per dimension (the dequantised bound), Adam.
 * Sampling: every latent from N(0, T² I) at the configured temperature T, then the exact inverse.
 */
import type { DeviceName } from '../src/index.js';
import { ActNorm, AffineCoupling, InvertibleConv1x1, Squeeze, type FlowLayer } from './blocks/flow-layers.js';
import { FlowModel, flowTraining, type FlowConfig, type LevelBuilder } from './blocks/flow.js';
import { registerModel } from './registry.js';

export type GlowConfig = FlowConfig;

/** A level: squeeze, then `depth` steps of actnorm, invertible 1x1 conv and affine coupling. */
export function glowLevels(config: Pick<GlowConfig, 'width' | 'depth'>, device?: DeviceName): LevelBuilder {
  return (_level, channels) => {
    const c = 4 * channels;
    const layers: FlowLayer[] = [new Squeeze()];
    for (let i = 0; i < config.depth; i++) {
      layers.push(new ActNorm(c, device), new InvertibleConv1x1(c, device), new AffineCoupling(c, 'channel', 0, config.width, 'sigmoid', device));
    }
    return layers;
  };
}

export class Glow extends FlowModel {
  constructor(config: GlowConfig, device?: DeviceName) {
    super(config, glowLevels(config, device), device);
  }
}

export const glow = registerModel({
  name: 'glow',
  description: 'Glow: 2 levels (28->14->7) of actnorm, LU 1x1 conv and affine coupling; NLL in bits/dim, samples at temperature T',
  notes: 'notes 000 §3, notes 001 Generative Model §1',
  dataRange: [0, 1],
  fields: ['images'],
  config: { width: 64, depth: 8, levels: 2, temperature: 0.7, logitAlpha: 0 } as GlowConfig,
  // lr 3e-3, not the paper's 1e-3: a CPU run has a few hundred steps, and after 30 the light
  // configuration is at 5.7 bits/dim with 3e-3 against 6.6 with 1e-3.
  training: { batch: 64, lr: 3e-3, steps: 5000, sampleEvery: 500 },
  withoutGpu: { config: { width: 32, depth: 4 }, steps: 400, sampleEvery: 200 },
  build: (config, device) => new Glow(config, device),
  train: (model, { lr }) => flowTraining(model, lr, 'glow'),
});
