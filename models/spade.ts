/**
 * SPADE (GauGAN), images from a semantic label map by spatially-adaptive normalisation
 * (docs/models.md "Translation": spade; notes 003 "Image to image: SPADE"), on the `label-map`
 * task (models/tasks): a one-hot map {background, stroke, hole} of a digit -> the digit.
 *
 * Model (Park et al.): G starts from a code z ~ N(0, I) (so one map has many images), a linear
 * layer to 7x7, then SPADE residual blocks at 7, 14 and 28 with nearest upsampling between. Each
 * SPADE layer normalises x by the batch's per-channel statistics with no learned affine, then
 * modulates it per pixel: SPADE(x, m) = (x - μ_c)/σ_c · (1 + γ(m)) + β(m), where γ and β are 3x3
 * convs of a shared 3x3 conv + ReLU of the label map m resized (nearest) to x's size. A plain
 * normalisation layer would wash a flat label map out of the activations; here the layout enters
 * at every layer. D is multi-scale: two PatchGANs (instance norm) on (m, image) stacked as
 * channels, at 28x28 and at 14x14 (average-pooled).
 * Loss: hinge, D: Σ_s E max(0, 1 - D_s(m, x)) + E max(0, 1 + D_s(m, G(z, m))); G: -Σ_s E D_s(m, G)
 * + λ_fm · feature matching, the L1 distance between D's hidden features of the real and the
 * generated image, summed over layers and averaged over scales, λ_fm 10. Adam β (0, 0.9), D at 4x
 * G's rate (TTUR, as the paper). Not here: the paper's VGG perceptual loss (no VGG at 28x28) and
 * the optional style encoder with its KL term.
 * Sampling: fresh z for n kept label maps (the last batch's) or the first n of `sources.labelMap`;
 * the preview shows the maps (stroke white, hole grey, background black), outputs and targets.
 */
import * as T from '../src/index.js';
import { nn, optim } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { hingeDiscriminatorLoss, hingeGeneratorLoss } from './blocks/gan.js';
import { adversarialRound, evaluating, requireField } from './blocks/train.js';
import { PatchDiscriminator, SourceBank, l1, tripletRows } from './blocks/translation.js';
import type { Batch, GenerativeModel, SampleOptions, Training } from './protocol.js';
import { registerModel } from './registry.js';
import { LABEL_MAP_CLASSES } from './tasks/index.js';

export interface SpadeConfig {
  task: 'label-map';
  /** Channels at 28x28 (twice as many at 7 and 14) in G, and at 14x14 in each D. */
  width: number;
  zDim: number;
  /** Channels of the shared conv that reads the label map in each SPADE layer. */
  hidden: number;
  fmWeight: number;
}

const CLASSES = LABEL_MAP_CLASSES.length;

/** SPADE(x, m) = BN(x) · (1 + γ(m)) + β(m): a parameter-free batch norm modulated per pixel by the label map. */
export class Spade extends nn.Module {
  norm: nn.BatchNorm2d;
  shared: nn.Sequential;
  gamma: nn.Conv2d;
  beta: nn.Conv2d;

  constructor(channels: number, labels: number, hidden: number, device?: DeviceName) {
    super();
    this.norm = new nn.BatchNorm2d(channels, { affine: false, device });
    this.shared = new nn.Sequential(new nn.Conv2d(labels, hidden, 3, { padding: 1, device }), new nn.ReLU());
    this.gamma = new nn.Conv2d(hidden, channels, 3, { padding: 1, device });
    this.beta = new nn.Conv2d(hidden, channels, 3, { padding: 1, device });
  }

  forward(x: Tensor, labelMap: Tensor): Tensor {
    const size = [x.shape[2]!, x.shape[3]!];
    const m = labelMap.shape[2] === size[0] && labelMap.shape[3] === size[1] ? labelMap : T.interpolate(labelMap, { size, mode: 'nearest' });
    const h = this.shared.forward(m);
    return T.add(T.mul(this.norm.forward(x), T.add(this.gamma.forward(h), 1)), this.beta.forward(h));
  }
}

/** SPADE -> LeakyReLU -> conv 3x3, twice, added to the input (through SPADE -> conv 1x1 when the width changes). */
export class SpadeBlock extends nn.Module {
  norm0: Spade;
  conv0: nn.Conv2d;
  norm1: Spade;
  conv1: nn.Conv2d;
  shortcutNorm: Spade | null;
  shortcut: nn.Conv2d | null;

  constructor(inChannels: number, outChannels: number, hidden: number, device?: DeviceName) {
    super();
    const mid = Math.min(inChannels, outChannels);
    this.norm0 = new Spade(inChannels, CLASSES, hidden, device);
    this.conv0 = new nn.Conv2d(inChannels, mid, 3, { padding: 1, device });
    this.norm1 = new Spade(mid, CLASSES, hidden, device);
    this.conv1 = new nn.Conv2d(mid, outChannels, 3, { padding: 1, device });
    const learned = inChannels !== outChannels;
    this.shortcutNorm = learned ? new Spade(inChannels, CLASSES, hidden, device) : null;
    this.shortcut = learned ? new nn.Conv2d(inChannels, outChannels, 1, { bias: false, device }) : null;
  }

  forward(x: Tensor, m: Tensor): Tensor {
    const act = (t: Tensor) => T.leakyRelu(t, 0.2);
    const dx = this.conv1.forward(act(this.norm1.forward(this.conv0.forward(act(this.norm0.forward(x, m))), m)));
    const skip = this.shortcut ? this.shortcut.forward(this.shortcutNorm!.forward(x, m)) : x;
    return T.add(skip, dx);
  }
}

export class SpadeGenerator extends nn.Module {
  project: nn.Linear;
  blocks: nn.ModuleList<SpadeBlock>;
  out: nn.Conv2d;

  constructor(readonly config: SpadeConfig, device?: DeviceName) {
    super();
    const { width: w, zDim, hidden } = config;
    this.project = new nn.Linear(zDim, 2 * w * 49, { device });
    this.blocks = new nn.ModuleList([new SpadeBlock(2 * w, 2 * w, hidden, device), new SpadeBlock(2 * w, w, hidden, device), new SpadeBlock(w, w, hidden, device)]);
    this.out = new nn.Conv2d(w, 1, 3, { padding: 1, device });
  }

  /** Images [N, 1, 28, 28] for codes z [N, zDim] and label maps [N, 3, 28, 28]. */
  forward(z: Tensor, labelMap: Tensor): Tensor {
    let h = T.reshape(this.project.forward(z), [z.shape[0]!, 2 * this.config.width, 7, 7]);
    [...this.blocks].forEach((block, i) => {
      h = block.forward(h, labelMap);
      if (i < 2) h = T.interpolate(h, { scaleFactor: 2, mode: 'nearest' });
    });
    return T.tanh(this.out.forward(T.leakyRelu(h, 0.2)));
  }
}

/** A PatchGAN's hidden features (after each LeakyReLU) and, last, its logits. */
export function patchFeatures(d: PatchDiscriminator, x: Tensor): Tensor[] {
  const out: Tensor[] = [];
  let h = x;
  for (const layer of d.net) {
    h = layer.forward(h);
    if (layer instanceof nn.LeakyReLU) out.push(h);
  }
  out.push(h);
  return out;
}

export class SpadeGan extends nn.Module implements GenerativeModel {
  generator: SpadeGenerator;
  /** D at 28x28 and at 14x14. */
  critics: nn.ModuleList<PatchDiscriminator>;
  bank: SourceBank;

  constructor(readonly config: SpadeConfig, device?: DeviceName) {
    super();
    this.generator = new SpadeGenerator(config, device);
    this.critics = new nn.ModuleList([0, 1].map(() => new PatchDiscriminator(CLASSES + 1, config.width, 'instance', device)));
    this.bank = new SourceBank(64, [CLASSES, 28, 28], device);
  }

  generate(labelMap: Tensor): Tensor {
    return this.generator.forward(T.randn([labelMap.shape[0]!, this.config.zDim], { device: labelMap.device }), labelMap);
  }

  /** Each scale's features of (m, image): the full-size pair, then the pair average-pooled to 14x14. */
  judge(labelMap: Tensor, image: Tensor): Tensor[][] {
    const pair = T.cat([labelMap, image], 1);
    return [...this.critics].map((d, s) => patchFeatures(d, s === 0 ? pair : T.avgPool2d(pair, 2)));
  }

  sample(n: number, options: SampleOptions = {}): Tensor {
    return evaluating(this.generator, () => this.generate(this.bank.take(n, options.sources, 'labelMap', 'spade')));
  }

  preview(batch: Batch): Tensor {
    const m = requireField(batch, 'labelMap', 'spade');
    const images = requireField(batch, 'images', 'spade');
    // stroke - background: strokes at 1, holes at 0, background at -1.
    const drawn = T.sub(T.slice(m, [{}, { start: 1, stop: 2 }]), T.slice(m, [{}, { stop: 1 }]));
    return evaluating(this.generator, () => tripletRows([drawn, this.generate(m), images]));
  }
}

/** Σ_s Σ_layers mean |D_s^(i)(real) - D_s^(i)(fake)| / scales, the real features held fixed (logits excluded). */
export function featureMatching(real: Tensor[][], fake: Tensor[][]): Tensor {
  const perScale = fake.map((layers, s) => layers.slice(0, -1).map((f, i) => l1(f, real[s]![i]!.detach())).reduce((a, b) => T.add(a, b)));
  return T.div(perScale.reduce((a, b) => T.add(a, b)), fake.length);
}

function spadeTraining(model: SpadeGan, lr: number): Training {
  const optD = new optim.Adam(model.critics.parameters(), { lr: 4 * lr, betas: [0, 0.9] });
  const optG = new optim.Adam(model.generator.parameters(), { lr, betas: [0, 0.9] });
  const logits = (features: Tensor[][]) => features.map((f) => f[f.length - 1]!);
  const sum = (ts: Tensor[]) => ts.reduce((a, b) => T.add(a, b));
  return {
    optimizers: { d: optD, g: optG },
    step(batch, context) {
      const m = requireField(batch, 'labelMap', 'spade');
      const x = requireField(batch, 'images', 'spade');
      model.bank.remember(m);
      return T.tidy(() => {
        const fake = model.generate(m);
        let fm: Tensor | undefined;
        const losses = adversarialRound({
          critic: model.critics, optD, optG,
          dLoss: () => {
            const [real, forged] = [logits(model.judge(m, x)), logits(model.judge(m, fake.detach()))];
            return sum(real.map((r, s) => hingeDiscriminatorLoss(r, forged[s]!)));
          },
          gLoss: () => {
            const forged = model.judge(m, fake);
            const matched = featureMatching(model.judge(m, x), forged);
            fm = T.keep(matched.detach());
            return T.add(sum(logits(forged).map(hingeGeneratorLoss)), T.mul(matched, model.config.fmWeight));
          },
        }, context);
        return { fm: fm!, ...losses };
      });
    },
  };
}

export const spade = registerModel({
  name: 'spade',
  description: 'SPADE (GauGAN): z -> 7x7 -> SPADE residual blocks at 7/14/28 modulated by the label map, two-scale PatchGAN on (map, image), hinge + 10 feature matching; label-map task',
  notes: 'notes 003 (image to image: SPADE)',
  dataRange: [-1, 1],
  fields: ['labelMap', 'images'],
  task: (config) => config.task,
  config: { task: 'label-map', width: 16, zDim: 32, hidden: 16, fmWeight: 10 } as SpadeConfig,
  choices: { task: ['label-map'] },
  training: { batch: 16, lr: 1e-4, steps: 3000, sampleEvery: 500 },
  withoutGpu: { config: { width: 8, hidden: 8 }, steps: 1000, sampleEvery: 250 },
  build: (config, device) => new SpadeGan(config, device),
  train: (model, { lr }) => spadeTraining(model, lr),
});
