/**
 * Self-attention GAN (docs/models.md "GANs": sagan; notes 002 §3.3: SAGAN applies self-attention
 * to a GAN on a convolutional backbone; Zhang et al. 2019).
 *
 * Model: the projection GAN of projgan (conditional BN in G, D = ψ(φ(x)) + emb(y)ᵀφ(x), as SAGAN
 * itself is class-conditional) with a self-attention block at 14x14 in both networks: in G after
 * the first upsampling, in D after the first downsampling (models/blocks/projection.ts,
 * `SelfAttention2d`: x + γ·attention, γ starting at 0). Spectral norm on every weight of both G and
 * D, as SAGAN found it steadies G too.
 * Loss: hinge, one D step per G step. TTUR (Heusel et al. 2017): D learns `discriminatorLrScale`
 * (4) times faster than G (SAGAN: 4e-4 vs 1e-4), instead of several D steps per G step; Adam
 * β (0, 0.9), SAGAN's.
 * Sampling: pick y, draw z ~ N(0, I), run G(z, y) in eval mode; the grid's row r shows class r.
 */
import type { DeviceName } from '../src/index.js';
import { ProjectionGan, type ProjectionGanConfig } from './blocks/projection.js';
import { adamWith, projectionTraining } from './projgan.js';
import { registerModel } from './registry.js';

export interface SaganConfig extends ProjectionGanConfig {
  /** D's learning rate over G's (the entry's lr is G's). */
  discriminatorLrScale: number;
}

export class Sagan extends ProjectionGan {
  constructor(override readonly config: SaganConfig, device?: DeviceName) {
    super(config, device, { attention: true, generatorSpectralNorm: true });
  }
}

const SAGAN_BETAS: [number, number] = [0, 0.9];

export const sagan = registerModel({
  name: 'sagan',
  description: 'SAGAN: self-attention at 14x14 in G and D, spectral norm on both, projection D, hinge, TTUR (D lr 4x G lr); grid row r = class r',
  notes: 'notes 002 §3.3',
  dataRange: [-1, 1],
  fields: ['images', 'labels'],
  config: { zDim: 100, classes: 10, width: 64, discriminatorLrScale: 4 } as SaganConfig,
  training: { batch: 64, lr: 1e-4, steps: 2500, sampleEvery: 250 },
  withoutGpu: { config: { width: 16 }, steps: 2500, sampleEvery: 500 },
  build: (config, device) => new Sagan(config, device),
  train: (model, { lr }) => projectionTraining(model, {
    optD: adamWith(model.discriminatorPart(), lr * model.config.discriminatorLrScale, SAGAN_BETAS),
    optG: adamWith(model.generator, lr, SAGAN_BETAS),
  }, 'sagan'),
});
