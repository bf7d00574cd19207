/**
 * StyleGAN2 (Karras et al. 2020), with a StyleGAN3-style variant (docs/models.md "GANs": stylegan;
 * notes 003 GANs: StyleGAN-3, the alias-free GAN shown as a hierarchical GAN; notes 001 Generative
 * Model §3 for its metric, the perceptual path length).
 *
 * Model: a mapping network z -> w (pixel norm, equalised linear layers at 1/100 lr), then a
 * synthesis network from a learnt 4x4 constant up 4 -> 8 -> 16 -> 32: per resolution a 2x
 * (bilinear) up layer and a layer, each a modulated/demodulated 3x3 conv (one grouped conv for the
 * batch) of its own style A(w), with per-pixel noise and LeakyReLU, and a toRGB 1x1 modulated
 * conv whose outputs are upsampled and summed (the skip generator). The 32x32 image is cropped to
 * the data's 28x28. `variant: 'stylegan3'` starts from Fourier features rotated and shifted by w
 * and applies every LeakyReLU at twice the resolution, low-passed back (filtered non-linearities).
 * D: the ProGAN critic at 28x28 (equalised lr, minibatch stddev).
 * Loss: non-saturating logistic (BCE) for both, R1 on D every `r1Every` steps (λ·every), the
 * path-length penalty on G every `plEvery` steps; style mixing (two ws, a random crossover layer)
 * in `mixing` of the steps; Adam β (0, 0.99); an EMA of G samples.
 * Sampling: z through the EMA generator, w truncated towards the running mean of w by ψ
 * (`truncation`, 1 = none); `synthesize(ws)` is the image of per-layer ws, for inverting images.
 */
import * as T from '../src/index.js';
import { nn, optim } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { discriminatorLoss, generatorLoss } from './blocks/gan.js';
import { ProgressiveCritic } from './blocks/progressive.js';
import { FourierInput, MappingNetwork, StyleLayer, pathLengthNoise, pathLengths } from './blocks/style.js';
import { adversarialRound, evaluating, requireField } from './blocks/train.js';
import type { GenerativeModel, SampleOptions, Training } from './protocol.js';
import { registerModel } from './registry.js';

export type StyleganVariant = 'stylegan2' | 'stylegan3';

export interface StyleganConfig {
  zDim: number;
  wDim: number;
  mappingLayers: number;
  /** Channels at 32x32; twice as many at 16x16, four times at 8x8 and 4x4 (D: 2w, w, w). */
  width: number;
  variant: StyleganVariant;
  r1Gamma: number;
  r1Every: number;
  plWeight: number;
  plEvery: number;
  /** The share of steps whose fakes mix two styles. */
  mixing: number;
  /** ψ of the truncation trick used by `sample` (1 = none). */
  truncation: number;
  emaDecay: number;
}

/** A deterministic number in [0, 1) from the step (mulberry32), so mixing is the same on every device and on resume. */
export function stepUniform(step: number, salt: number): number {
  let a = (step * 0x9e3779b1 + salt * 0x85ebca6b) >>> 0;
  a = Math.imul(a ^ (a >>> 15), a | 1);
  a ^= a + Math.imul(a ^ (a >>> 7), a | 61);
  return ((a ^ (a >>> 14)) >>> 0) / 4294967296;
}

export class StyleGenerator extends nn.Module {
  mapping: MappingNetwork;
  constant: nn.Parameter | null;
  fourier: FourierInput | null;
  /** conv 4, then per resolution 8, 16, 32: the up layer and the layer. */
  layers: nn.ModuleList<StyleLayer>;
  toRgb: nn.ModuleList<StyleLayer>;
  /** The running mean of w (the truncation trick's centre). */
  wAvg!: Tensor;

  constructor(readonly config: StyleganConfig, device?: DeviceName) {
    super();
    const { wDim, width, variant } = config;
    const channels = [4 * width, 4 * width, 2 * width, width];
    this.mapping = new MappingNetwork(config.zDim, wDim, config.mappingLayers, device);
    const fourier = variant === 'stylegan3';
    this.constant = fourier ? null : nn.Parameter.create(() => T.randn([1, channels[0]!, 4, 4], { device }));
    this.fourier = fourier ? new FourierInput(channels[0]!, wDim, 4, 2, device) : null;
    const activation = fourier ? 'filtered' : 'lrelu';
    const layers = [new StyleLayer(channels[0]!, channels[0]!, wDim, { activation, device })];
    for (let r = 1; r < channels.length; r++) {
      layers.push(new StyleLayer(channels[r - 1]!, channels[r]!, wDim, { up: true, activation, device }));
      layers.push(new StyleLayer(channels[r]!, channels[r]!, wDim, { activation, device }));
    }
    this.layers = new nn.ModuleList(layers);
    this.toRgb = new nn.ModuleList(channels.map((c) => new StyleLayer(c, 1, wDim, { k: 1, demodulate: false, noise: false, activation: 'none', device })));
    this.registerBuffer('wAvg', T.zeros([wDim], { device }));
  }

  /** How many ws the synthesis reads: one per layer and per toRGB. */
  get numWs(): number {
    return this.layers.length + this.toRgb.length;
  }

  /** w for codes z, pulled towards the mean w by ψ when ψ < 1. */
  map(z: Tensor, psi = 1): Tensor {
    const w = this.mapping.forward(z);
    return psi === 1 ? w : T.add(this.wAvg, T.mul(T.sub(w, this.wAvg), psi));
  }

  /** [N, L, wDim]: w1 for the first `cutoff` layer inputs and w2 for the rest (style mixing). */
  broadcast(w1: Tensor, w2 = w1, cutoff = this.numWs): Tensor {
    const [n, d] = w1.shape as [number, number];
    const spread = (w: Tensor, k: number) => T.expand(T.unsqueeze(w, 1), [n, k, d]);
    return cutoff >= this.numWs ? spread(w1, this.numWs) : T.cat([spread(w1, cutoff), spread(w2, this.numWs - cutoff)], 1);
  }

  /** Images [N, 1, 28, 28] (the centre of 32x32; unbounded, ≈ [-1, 1]) from per-layer styles ws [N, L, wDim]. */
  synthesize(ws: Tensor, noise = true): Tensor {
    const styles = T.split(ws, 1, 1).map((w) => T.squeeze(w, 1));
    let next = 0;
    const style = () => styles[next++]!;
    const n = ws.shape[0]!;
    let x = this.fourier ? this.fourier.forward(styles[0]!) : T.expand(this.constant!, [n, ...this.constant!.shape.slice(1)]);
    const layers = [...this.layers];
    x = layers[0]!.forward(x, style(), noise);
    let rgb = this.toRgb.at(0).forward(x, style());
    for (let r = 1; r < this.toRgb.length; r++) {
      x = layers[2 * r]!.forward(layers[2 * r - 1]!.forward(x, style(), noise), style(), noise);
      rgb = T.add(T.interpolate(rgb, { scaleFactor: 2, mode: 'bilinear' }), this.toRgb.at(r).forward(x, style()));
    }
    return T.slice(rgb, [{}, {}, { start: 2, stop: 30 }, { start: 2, stop: 30 }]);
  }

  /** Fresh images: z ~ N(0, I), w truncated by ψ. */
  generate(n: number, psi = 1): Tensor {
    return this.synthesize(this.broadcast(this.map(T.randn([n, this.config.zDim], { device: this.wAvg.device }), psi)));
  }
}

export class Stylegan extends nn.Module implements GenerativeModel {
  generator: StyleGenerator;
  discriminator: ProgressiveCritic;
  /** The generator's EMA: what `sample` draws from. */
  ema: StyleGenerator;
  /** The running mean path length a of the penalty (|J_wᵀy| - a)². */
  plMean!: Tensor;

  constructor(readonly config: StyleganConfig, device?: DeviceName) {
    super();
    const w = config.width;
    this.generator = new StyleGenerator(config, device);
    this.discriminator = new ProgressiveCritic([2 * w, w, w], device);
    this.ema = new StyleGenerator(config, device);
    this.ema.loadStateDict(this.generator.stateDict());
    this.ema.requiresGrad_(false);
    this.registerBuffer('plMean', T.zeros([], { device }));
  }

  /** Samples of the EMA generator with the configured truncation ψ (or `psi`), clamped to [-1, 1]. */
  sample(n: number, options: SampleOptions & { psi?: number } = {}): Tensor {
    return evaluating(this.ema, () => T.clamp(this.ema.generate(n, options.psi ?? this.config.truncation), -1, 1));
  }
}

/** Adam's lr and β for a player regularised every k steps: scaled by k / (k + 1) (StyleGAN2 App. B). */
function lazyAdam(module: nn.Module, lr: number, every: number): optim.Adam {
  const c = every / (every + 1);
  return new optim.Adam(module.parameters(), { lr: lr * c, betas: [0, 0.99 ** c] });
}

/** x ← x + (1 - decay)(target - x), without a tape. */
function track(x: Tensor, target: Tensor, decay: number): void {
  T.noGrad(() => {
    const next = T.tidy(() => T.add(x, T.mul(T.sub(target.detach(), x), 1 - decay)));
    x.assign_(next);
    next.dispose();
  });
}

function styleganTraining(model: Stylegan, lr: number): Training {
  const { config, generator: g, discriminator: d } = model;
  const optD = lazyAdam(d, lr, config.r1Every);
  const optG = lazyAdam(g, lr, config.plEvery);
  return {
    optimizers: { d: optD, g: optG },
    step(batch, context) {
      const real = requireField(batch, 'images', 'stylegan');
      const n = real.shape[0]!;
      return T.tidy(() => {
        const z = () => T.randn([n, config.zDim], { device: real.device });
        const w1 = g.map(z());
        track(g.wAvg, T.mean(w1, 0), 0.995);
        const mixed = stepUniform(context.step, 1) < config.mixing;
        const cutoff = mixed ? 1 + Math.floor(stepUniform(context.step, 2) * (g.numWs - 1)) : g.numWs;
        const fake = g.synthesize(g.broadcast(w1, mixed ? g.map(z()) : w1, cutoff));
        let pl: Tensor | undefined;
        let adversarial: Tensor | undefined;
        const plDue = config.plWeight > 0 && context.step % config.plEvery === 0;
        const losses = adversarialRound({
          critic: d, optD, optG,
          dLoss: () => discriminatorLoss(d.forward(real), d.forward(fake.detach())),
          gLoss: () => {
            const loss = generatorLoss(d.forward(fake), 'non-saturating');
            if (!plDue) return loss;
            adversarial = T.keep(loss.detach());
            const ws = g.broadcast(g.map(T.randn([Math.max(1, n >> 1), config.zDim], { device: real.device })));
            const images = g.synthesize(ws);
            const lengths = pathLengths(images, ws, pathLengthNoise(images));
            const penalty = T.mean(T.square(T.sub(lengths, model.plMean)));
            track(model.plMean, T.mean(lengths), 0.99);
            pl = T.keep(penalty.detach());
            return T.add(loss, T.mul(penalty, config.plWeight * config.plEvery));
          },
          penalty: { kind: 'r1', weight: config.r1Gamma, every: config.r1Every, critic: (x) => d.forward(x), real, fake: () => fake },
          ema: { average: model.ema, source: g, decay: config.emaDecay },
        }, context);
        // On path-length steps `g` reports the adversarial term alone, so the curve stays comparable.
        if (adversarial) losses.g = adversarial;
        return { ...losses, ...(pl ? { pl } : {}) };
      });
    },
  };
}

export const stylegan = registerModel({
  name: 'stylegan',
  description: 'StyleGAN2: mapping net, modulated convs 4->32 (cropped to 28), noise, mixing, lazy R1 + path length; variant=stylegan3',
  notes: 'notes 003 (GANs: StyleGAN-3)',
  dataRange: [-1, 1],
  fields: ['images'],
  config: {
    zDim: 64, wDim: 64, mappingLayers: 4, width: 32, variant: 'stylegan2', r1Gamma: 0.1, r1Every: 16, plWeight: 2, plEvery: 4,
    mixing: 0.9, truncation: 1, emaDecay: 0.995,
  } as StyleganConfig,
  choices: { variant: ['stylegan2', 'stylegan3'] },
  training: { batch: 32, lr: 2e-3, steps: 5000, sampleEvery: 500 },
  withoutGpu: { config: { width: 8, mappingLayers: 2 }, steps: 1200, sampleEvery: 300 },
  build: (config, device) => new Stylegan(config, device),
  train: (model, { lr }) => styleganTraining(model, lr),
});
