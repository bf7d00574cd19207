/**
 * BicycleGAN, paired translation with many outputs per input (docs/models.md "Translation":
 * bicyclegan; notes 003 "Image to image: BiCycleGAN", one input, many outputs), on the paired tasks
 * (models/tasks): `edges` (outline -> digit) or `occluded` (digit with a grey square -> digit).
 *
 * Model (Zhu et al. 2017): G(A, z) is the pix2pix U-Net (blocks/translation.ts) whose input is the
 * source with the code z [zDim] broadcast to zDim constant planes (the paper's "add to input"). E is a
 * conv encoder of a target image, 28 -> 14 -> 7, average-pooled, to the mean μ and log-variance
 * log σ² of q(z | B). Two PatchGANs (instance norm) on the image alone, one per half of the game.
 * Loss, each batch split in two halves as the reference code does (B₁, B₂ the halves' targets, A
 * the first half's sources):
 * - cVAE-GAN (B -> z -> B̂): z = μ + σ·ε from E(B₁), B̂ = G(A, z); λ‖B̂ - B₁‖₁ with λ 10 and the
 *   KL(E(B₁) || N(0, I)) per example with weight 0.01 keep z an informative, Gaussian code;
 * - cLR-GAN (z -> B̃ -> ẑ): z ~ N(0, I), B̃ = G(A, z), and E must recover it: λ_z‖μ(E(B̃)) - z‖₁ with
 *   λ_z 0.5, so G cannot ignore z (pix2pix's noise was ignored: one output per input);
 * - least-squares GAN: D_vae tells B₁ from B̂, D_lr tells B₂ from B̃; G and E minimise both
 *   (D(fake) - 1)² terms.
 * The latent regression trains G only (E frozen for that term, as the paper: trained jointly, G and
 * E learn to hide the code in the image). Adam 2e-4, β1 0.5, for D, and for G and E together.
 * Sampling: n kept sources (the last batch's) or the first n of `sources.source`, each with a
 * fresh z ~ N(0, I); the preview is one row per source: the source, 6 outputs for 6 codes, the
 * target.
 */
import * as T from '../src/index.js';
import { nn } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { ganAdam } from './blocks/gan.js';
import { adversarialRound, evaluating, requireField } from './blocks/train.js';
import { PatchDiscriminator, SourceBank, UNet28, l1 } from './blocks/translation.js';
import { lsganCritic, lsganGenerator } from './cyclegan.js';
import type { Batch, GenerativeModel, SampleOptions, Training } from './protocol.js';
import { registerModel } from './registry.js';

export interface BicycleganConfig {
  task: 'edges' | 'occluded';
  /** Channels at 14x14 in G, E and each D (twice as many at 7x7). */
  width: number;
  zDim: number;
  /** λ, the weight of the cVAE-GAN's L1 reconstruction. */
  l1Weight: number;
  klWeight: number;
  /** λ_z, the weight of the cLR-GAN's latent regression. */
  latentWeight: number;
}

/** Outputs per source in the preview's rows (a row of 8: source, outputs, target). */
export const PREVIEW_CODES = 6;

/** E(B): conv 28 -> 14 -> 7 (LeakyReLU 0.2), the mean over the 7x7 map, then linear heads to μ and log σ². */
export class LatentEncoder extends nn.Module {
  trunk: nn.Sequential;
  mean: nn.Linear;
  logVar: nn.Linear;

  constructor(width: number, zDim: number, device?: DeviceName) {
    super();
    const w = width;
    this.trunk = new nn.Sequential(
      new nn.Conv2d(1, w, 4, { stride: 2, padding: 1, device }), new nn.LeakyReLU(0.2),
      new nn.Conv2d(w, 2 * w, 4, { stride: 2, padding: 1, device }), new nn.LeakyReLU(0.2),
    );
    this.mean = new nn.Linear(2 * w, zDim, { device });
    this.logVar = new nn.Linear(2 * w, zDim, { device });
  }

  forward(image: Tensor): { mu: Tensor; logVar: Tensor } {
    const pooled = T.mean(this.trunk.forward(image), [2, 3]);
    return { mu: this.mean.forward(pooled), logVar: this.logVar.forward(pooled) };
  }
}

export class Bicyclegan extends nn.Module implements GenerativeModel {
  generator: UNet28;
  encoder: LatentEncoder;
  /** D of the cVAE-GAN half (B̂ = G(A, E(B))) and of the cLR-GAN half (B̃ = G(A, z)). */
  criticVae: PatchDiscriminator;
  criticLr: PatchDiscriminator;
  bank: SourceBank;

  constructor(readonly config: BicycleganConfig, device?: DeviceName) {
    super();
    const { width, zDim } = config;
    this.generator = new UNet28(1 + zDim, width, 1, device);
    this.encoder = new LatentEncoder(width, zDim, device);
    this.criticVae = new PatchDiscriminator(1, width, 'instance', device);
    this.criticLr = new PatchDiscriminator(1, width, 'instance', device);
    nn.dcganInit_(this);
    this.bank = new SourceBank(64, [1, 28, 28], device);
  }

  /** G(A, z): sources [N, 1, H, W] with codes z [N, zDim] as zDim constant planes. */
  translate(source: Tensor, z: Tensor): Tensor {
    const [n, , h, w] = source.shape as [number, number, number, number];
    const d = this.config.zDim;
    return this.generator.forward(T.cat([source, T.expand(T.reshape(z, [n, d, 1, 1]), [n, d, h, w])], 1));
  }

  /** Fresh codes z ~ N(0, I) for n sources. */
  codes(n: number, device: DeviceName): Tensor {
    return T.randn([n, this.config.zDim], { device });
  }

  /** z = μ + σ·ε drawn from q(z | B) (the reparameterisation: gradients reach E through μ and σ). */
  static reparameterize(mu: Tensor, logVar: Tensor): Tensor {
    return T.add(mu, T.mul(T.exp(T.mul(logVar, 0.5)), T.randnLike(mu)));
  }

  /** G(A, z) for n kept sources (or the first n of `sources.source`), a fresh z each, in eval mode. */
  sample(n: number, options: SampleOptions = {}): Tensor {
    return evaluating(this.generator, () => {
      const source = this.bank.take(n, options.sources, 'source', 'bicyclegan');
      return this.translate(source, this.codes(n, source.device));
    });
  }

  /** One row of 8 per source: the source, its translations under PREVIEW_CODES fresh codes, the target; as many images as the batch's. */
  preview(batch: Batch): Tensor {
    const source = requireField(batch, 'source', 'bicyclegan');
    const target = requireField(batch, 'target', 'bicyclegan');
    const n = source.shape[0]!;
    return evaluating(this.generator, () => {
      const rows = Math.ceil(n / (PREVIEW_CODES + 2));
      const parts: Tensor[] = [];
      for (let r = 0; r < rows; r++) {
        // Past the batch's end, the first sources again (only for tiny batches).
        const one = (x: Tensor) => T.slice(x, [{ start: r % n, stop: (r % n) + 1 }]);
        const a = one(source);
        const many = T.expand(a, [PREVIEW_CODES, ...a.shape.slice(1)]);
        parts.push(a, this.translate(many, this.codes(PREVIEW_CODES, a.device)), one(target));
      }
      return T.slice(T.cat(parts, 0), [{ stop: n }]);
    });
  }
}

/** The two halves of a batch along the first axis; a typed error when there are fewer than 2 rows. */
function halves(x: Tensor): [Tensor, Tensor] {
  const half = Math.floor(x.shape[0]! / 2);
  if (half === 0) throw new T.ShapeError(`bicyclegan: a batch needs at least 2 pairs (one for each half of the game), got ${T.fmtShape(x.shape)}`);
  return [T.slice(x, [{ stop: half }]), T.slice(x, [{ start: half, stop: 2 * half }])];
}

function bicycleganTraining(model: Bicyclegan, lr: number): Training {
  const critics = new nn.ModuleList([model.criticVae, model.criticLr]);
  const optD = ganAdam(critics, lr);
  const optG = ganAdam(new nn.ModuleList([model.generator, model.encoder]), lr);
  const { l1Weight, klWeight, latentWeight } = model.config;
  return {
    optimizers: { d: optD, g: optG },
    step(batch, context) {
      const source = requireField(batch, 'source', 'bicyclegan');
      const target = requireField(batch, 'target', 'bicyclegan');
      model.bank.remember(source);
      return T.tidy(() => {
        const [a] = halves(source);
        const [b1, b2] = halves(target);
        const { mu, logVar } = model.encoder.forward(b1);
        const rebuilt = model.translate(a, Bicyclegan.reparameterize(mu, logVar));
        const z = model.codes(a.shape[0]!, a.device);
        const drawn = model.translate(a, z);
        const terms: Record<string, Tensor> = {};
        const losses = adversarialRound({
          critic: critics, optD, optG,
          dLoss: () => T.add(
            lsganCritic(model.criticVae.forward(b1), model.criticVae.forward(rebuilt.detach())),
            lsganCritic(model.criticLr.forward(b2), model.criticLr.forward(drawn.detach())),
          ),
          gLoss: () => {
            const adversarial = T.add(lsganGenerator(model.criticVae.forward(rebuilt)), lsganGenerator(model.criticLr.forward(drawn)));
            const reconstruction = l1(rebuilt, b1);
            const kl = T.klDivGaussian(mu, logVar);
            // The latent regression moves G only: its backward runs here with E frozen (the
            // graph kept for the main backward, which shares B̃'s part), and its gradient stays
            // in G's .grad for the optimizer step that follows.
            model.encoder.requiresGrad_(false);
            const latent = T.mul(l1(model.encoder.forward(drawn).mu, z), latentWeight);
            try {
              latent.backward(undefined, { retainGraph: true });
            } finally {
              model.encoder.requiresGrad_(true);
            }
            Object.assign(terms, { l1: T.keep(reconstruction.detach()), kl: T.keep(kl.detach()), latent: T.keep(T.div(latent, latentWeight).detach()) });
            const main = T.add(adversarial, T.add(T.mul(reconstruction, l1Weight), T.mul(kl, klWeight)));
            // The whole objective's value; the latent term's gradient is already in.
            return T.add(main, latent.detach());
          },
        }, context);
        // The L1 distance of the encoded reconstruction to its targets first: the number to watch.
        return { l1: terms.l1!, kl: terms.kl!, latent: terms.latent!, ...losses };
      });
    },
  };
}

export const bicyclegan = registerModel({
  name: 'bicyclegan',
  description: 'BicycleGAN: U-Net G(A, z) with z as input planes, conv encoder E(B) -> (mu, log var), cVAE-GAN (10 L1 + 0.01 KL) + cLR-GAN (0.5 latent L1), LSGAN PatchGANs; paired edges/occluded, many outputs per input',
  notes: 'notes 003 (image to image: BiCycleGAN)',
  dataRange: [-1, 1],
  fields: ['source', 'target'],
  task: (config) => config.task,
  config: { task: 'edges', width: 32, zDim: 8, l1Weight: 10, klWeight: 0.01, latentWeight: 0.5 } as BicycleganConfig,
  choices: { task: ['edges', 'occluded'] },
  training: { batch: 32, lr: 2e-4, steps: 3000, sampleEvery: 500 },
  withoutGpu: { config: { width: 16 }, steps: 2000, sampleEvery: 250 },
  build: (config, device) => new Bicyclegan(config, device),
  train: (model, { lr }) => bicycleganTraining(model, lr),
});
