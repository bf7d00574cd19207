/**
 * InstaGAN, instance-aware unpaired translation (docs/models.md "Translation": instagan; notes 003
 * "Image to image: InstaGAN", translation between objects of very different shapes), on the
 * `instances` task (models/tasks/instances.ts): canvases of two plain digits <-> of two bold ones,
 * each digit with its instance mask.
 *
 * Model (Mo et al. 2019): a generator translates an image together with its set of instance masks
 * and returns both. An image encoder reads x, a mask encoder (shared by all instances) reads each
 * mask m_k, and the instance features are pooled over the set by a sum, so G does not depend on the
 * instances' order. The image decoder reads [f(x), Σ_k f(m_k)]; the mask decoder reads, for each k,
 * [f(x), Σ_j f(m_j), f(m_k)] and draws instance k's new mask (sigmoid). Encoders 28 -> 14 (3x3 conv,
 * 4x4 stride-2 conv), decoders 14 -> 28 (4x4 transposed conv, 3x3 conv), instance norm. D reads the
 * image and the summed mask features in the same way and ends in a PatchGAN (7x7 logits).
 * Loss: CycleGAN's (models/cyclegan.ts: LSGAN with a replay buffer of past fakes, image + masks
 * together) on (image, masks) pairs, cycle and identity L1 on the images and the masks, plus the
 * context-preserving loss ‖w ⊙ (x - G(x))‖₁ with w = min(1 - ∪_k m_k, 1 - ∪_k m'_k): pixels outside
 * every instance before and after translation must not change. λ_cyc 10, λ_idt 10, λ_ctx 10. Not
 * here: the paper's sequential mini-batch translation (for many instances; two fit at once).
 * Sampling: G's images for n kept canvases of domain a (the last batch's) or the first n of
 * `sources.a` with `sources.masksA`; the preview shows a, G(a), G's masks, then b, F(b), F's masks.
 */
import * as T from '../src/index.js';
import { nn } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { ganAdam } from './blocks/gan.js';
import { adversarialRound, evaluating, requireField } from './blocks/train.js';
import { ReplayBuffer, SourceBank, firstRows, l1, tripletRows } from './blocks/translation.js';
import { lsganCritic, lsganGenerator } from './cyclegan.js';
import type { Batch, GenerativeModel, SampleOptions, Training } from './protocol.js';
import { registerModel } from './registry.js';
import { INSTANCES } from './tasks/instances.js';

export interface InstaganConfig {
  task: 'instances';
  /** Channels at 28x28 (twice as many at 14x14). */
  width: number;
  cycleWeight: number;
  identityWeight: number;
  contextWeight: number;
  /** Past fakes the discriminators are shown. */
  poolSize: number;
}

/** An image (or mask) with its masks: what each domain holds. */
export interface Instances {
  image: Tensor;
  /** [N, INSTANCES, H, W] in [0, 1]. */
  masks: Tensor;
}

const norm = (c: number, device?: DeviceName) => new nn.InstanceNorm2d(c, { affine: true, device });

/** 28 -> 14: conv 3x3 -> IN -> ReLU -> conv 4x4 stride 2 -> IN -> ReLU, 2w channels out. */
function encoder(inChannels: number, w: number, device?: DeviceName): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(inChannels, w, 3, { padding: 1, device }), norm(w, device), new nn.ReLU(),
    new nn.Conv2d(w, 2 * w, 4, { stride: 2, padding: 1, device }), norm(2 * w, device), new nn.ReLU(),
  );
}

/** 14 -> 28: transposed conv 4x4 stride 2 -> IN -> ReLU -> conv 3x3 to one channel (logits). */
function decoder(inChannels: number, w: number, device?: DeviceName): nn.Sequential {
  return new nn.Sequential(
    new nn.ConvTranspose2d(inChannels, w, 4, { stride: 2, padding: 1, device }), norm(w, device), new nn.ReLU(),
    new nn.Conv2d(w, 1, 3, { padding: 1, device }),
  );
}

/** f(m_k) for every instance, [N, K, C, h, w], by one shared encoder over the N·K masks. */
function perInstance(maskEncoder: nn.Sequential, masks: Tensor): Tensor {
  const [n, k, h, w] = masks.shape as [number, number, number, number];
  const f = maskEncoder.forward(T.reshape(masks, [n * k, 1, h, w]));
  return T.reshape(f, [n, k, ...f.shape.slice(1)]);
}

export class InstaGenerator extends nn.Module {
  imageEncoder: nn.Sequential;
  maskEncoder: nn.Sequential;
  imageDecoder: nn.Sequential;
  maskDecoder: nn.Sequential;

  constructor(width: number, device?: DeviceName) {
    super();
    const w = width;
    this.imageEncoder = encoder(1, w, device);
    this.maskEncoder = encoder(1, w, device);
    this.imageDecoder = decoder(4 * w, w, device);
    this.maskDecoder = decoder(6 * w, w, device);
  }

  forward({ image, masks }: Instances): Instances {
    const [n, k] = masks.shape as [number, number];
    const fx = this.imageEncoder.forward(image);
    const fm = perInstance(this.maskEncoder, masks);
    // The set's feature: a sum, the same for any order of the instances.
    const shared = T.cat([fx, T.sum(fm, 1)], 1);
    const each = T.cat([T.expand(T.unsqueeze(shared, 1), [n, k, ...shared.shape.slice(1)]), fm], 2);
    const drawn = this.maskDecoder.forward(T.reshape(each, [n * k, ...each.shape.slice(2)]));
    return { image: T.tanh(this.imageDecoder.forward(shared)), masks: T.reshape(T.sigmoid(drawn), masks.shape) };
  }
}

/** D(x, {m_k}): the image's and the summed masks' features, then a PatchGAN head to 7x7 logits. */
export class InstaDiscriminator extends nn.Module {
  imageTrunk: nn.Sequential;
  maskTrunk: nn.Sequential;
  head: nn.Sequential;

  constructor(width: number, device?: DeviceName) {
    super();
    const w = width;
    const trunk = () => new nn.Sequential(new nn.Conv2d(1, w, 4, { stride: 2, padding: 1, device }), new nn.LeakyReLU(0.2));
    this.imageTrunk = trunk();
    this.maskTrunk = trunk();
    this.head = new nn.Sequential(
      new nn.Conv2d(2 * w, 2 * w, 4, { stride: 2, padding: 1, device }), norm(2 * w, device), new nn.LeakyReLU(0.2),
      new nn.Conv2d(2 * w, 1, 3, { padding: 1, device }),
    );
  }

  forward({ image, masks }: Instances): Tensor {
    return this.head.forward(T.cat([this.imageTrunk.forward(image), T.sum(perInstance(this.maskTrunk, masks), 1)], 1));
  }
}

/** The union of an instance set's masks, [N, 1, H, W]: the most any instance covers each pixel. */
export const union = (masks: Tensor): Tensor => T.max(masks, 1, true);

/** Context preservation: mean |w ⊙ (x - y)| with w = min(1 - ∪ masks of x, 1 - ∪ masks of y), the pixels in no instance before or after. */
export function contextLoss(from: Instances, to: Instances): Tensor {
  const w = T.minimum(T.sub(1, union(from.masks)), T.sub(1, union(to.masks)));
  return T.mean(T.abs(T.mul(w, T.sub(from.image, to.image))));
}

/** The image and the masks stacked as channels (for the pools and the bank), and back. */
const stacked = (x: Instances): Tensor => T.cat([x.image, x.masks], 1);
const unstacked = (t: Tensor): Instances => ({ image: T.slice(t, [{}, { stop: 1 }]), masks: T.slice(t, [{}, { start: 1 }]) });

export class Instagan extends nn.Module implements GenerativeModel {
  /** G: A -> B and F: B -> A, each on (image, masks). */
  toB: InstaGenerator;
  toA: InstaGenerator;
  criticB: InstaDiscriminator;
  criticA: InstaDiscriminator;
  poolB: ReplayBuffer;
  poolA: ReplayBuffer;
  bank: SourceBank;

  constructor(readonly config: InstaganConfig, device?: DeviceName) {
    super();
    const { width, poolSize } = config;
    this.toB = new InstaGenerator(width, device);
    this.toA = new InstaGenerator(width, device);
    this.criticB = new InstaDiscriminator(width, device);
    this.criticA = new InstaDiscriminator(width, device);
    nn.dcganInit_(this);
    const shape = [1 + INSTANCES, 28, 28];
    this.poolB = new ReplayBuffer(poolSize, shape, device);
    this.poolA = new ReplayBuffer(poolSize, shape, device);
    this.bank = new SourceBank(64, shape, device);
  }

  generators(): nn.Module {
    return new nn.ModuleList([this.toB, this.toA]);
  }

  /** G's images for n kept canvases of domain a (or the first n of `sources.a` with `sources.masksA`). */
  sample(n: number, options: SampleOptions = {}): Tensor {
    return evaluating(this.toB, () => {
      const given = options.sources;
      const a = given
        ? { image: firstRows(requireField(given, 'a', 'instagan'), n, 'instagan: sources.a'), masks: firstRows(requireField(given, 'masksA', 'instagan'), n, 'instagan: sources.masksA') }
        : unstacked(this.bank.take(n));
      return this.toB.forward(a).image;
    });
  }

  /** Rows of a, G(a), G's masks (their union, white on black), then b, F(b), F's masks: as many images as the batch's canvases. */
  preview(batch: Batch): Tensor {
    const [a, b] = domains(batch);
    const drawn = (m: Tensor) => T.sub(T.mul(union(m), 2), 1);
    return evaluating(this.generators(), () => {
      const [ab, ba] = [this.toB.forward(a), this.toA.forward(b)];
      return tripletRows([a.image, ab.image, drawn(ab.masks), b.image, ba.image, drawn(ba.masks)], 8, a.image.shape[0]! + b.image.shape[0]!);
    });
  }
}

function domains(batch: Batch): [Instances, Instances] {
  const field = (f: 'a' | 'b' | 'masksA' | 'masksB') => requireField(batch, f, 'instagan');
  return [{ image: field('a'), masks: field('masksA') }, { image: field('b'), masks: field('masksB') }];
}

/** Σ of mean |x - y| over the image and the masks. */
const l1Pair = (x: Instances, y: Instances): Tensor => T.add(l1(x.image, y.image), l1(x.masks, y.masks));

function instaganTraining(model: Instagan, lr: number): Training {
  const critics = new nn.ModuleList([model.criticB, model.criticA]);
  const optD = ganAdam(critics, lr);
  const optG = ganAdam(model.generators(), lr);
  const { cycleWeight, identityWeight, contextWeight, poolSize } = model.config;
  return {
    optimizers: { d: optD, g: optG },
    step(batch, context) {
      const [a, b] = domains(batch);
      model.bank.remember(stacked(a));
      const filled = Math.min(poolSize, context.step * a.image.shape[0]!);
      return T.tidy(() => {
        const [fakeB, fakeA] = [model.toB.forward(a), model.toA.forward(b)];
        const pastB = unstacked(model.poolB.query(stacked(fakeB), filled, 2 * context.step));
        const pastA = unstacked(model.poolA.query(stacked(fakeA), filled, 2 * context.step + 1));
        const terms: Record<string, Tensor> = {};
        const losses = adversarialRound({
          critic: critics, optD, optG,
          dLoss: () => T.add(lsganCritic(model.criticB.forward(b), model.criticB.forward(pastB)), lsganCritic(model.criticA.forward(a), model.criticA.forward(pastA))),
          gLoss: () => {
            const adversarial = T.add(lsganGenerator(model.criticB.forward(fakeB)), lsganGenerator(model.criticA.forward(fakeA)));
            const cycle = T.add(l1Pair(model.toA.forward(fakeB), a), l1Pair(model.toB.forward(fakeA), b));
            const identity = T.add(l1Pair(model.toB.forward(b), b), l1Pair(model.toA.forward(a), a));
            const kept = T.add(contextLoss(a, fakeB), contextLoss(b, fakeA));
            Object.assign(terms, { cycle: T.keep(cycle.detach()), context: T.keep(kept.detach()) });
            const weighted = T.add(T.mul(cycle, cycleWeight), T.add(T.mul(identity, identityWeight), T.mul(kept, contextWeight)));
            return T.add(adversarial, weighted);
          },
        }, context);
        return { cycle: terms.cycle!, context: terms.context!, ...losses };
      });
    },
  };
}

export const instagan = registerModel({
  name: 'instagan',
  description: 'InstaGAN: G and F on (image, instance masks) with sum-pooled instance features, D on the same, LSGAN + 10 cycle + 10 identity (images and masks) + 10 context-preserving L1, replay buffer 50; instances task',
  notes: 'notes 003 (image to image: InstaGAN)',
  dataRange: [-1, 1],
  fields: ['a', 'masksA', 'b', 'masksB'],
  task: (config) => config.task,
  config: { task: 'instances', width: 16, cycleWeight: 10, identityWeight: 10, contextWeight: 10, poolSize: 50 } as InstaganConfig,
  choices: { task: ['instances'] },
  training: { batch: 32, lr: 2e-4, steps: 3000, sampleEvery: 500 },
  withoutGpu: { config: { width: 8 }, steps: 1000, sampleEvery: 250 },
  build: (config, device) => new Instagan(config, device),
  train: (model, { lr }) => instaganTraining(model, lr),
});
