// The GANs of issue "GAN family II", first half: the hinge loss, spectral norm, the projection
// discriminator with conditional batch norm (projgan), the 2C contrastive loss (contragan), the
// f-divergences (fgan) and self-attention (sagan). Closed forms against hand-computed values.
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { hingeDiscriminatorLoss, hingeGeneratorLoss } from '../models/index.js';

const f64 = { dtype: 'float64', device: 'cpu' } as const;

describe('hinge loss', () => {
  it('D pays max(0, 1 - real) + max(0, 1 + fake) on average, G pays -mean(fake)', () => {
    const real = T.tensor([2, 0.5, -1], f64);
    const fake = T.tensor([-3, 0, 0.25], f64);
    expect(hingeDiscriminatorLoss(real, fake).dataSync()[0]).toBeCloseTo((0 + 0.5 + 2) / 3 + (0 + 1 + 1.25) / 3, 12);
    expect(hingeGeneratorLoss(fake).dataSync()[0]).toBeCloseTo((3 - 0 - 0.25) / 3, 12);
  });
});
