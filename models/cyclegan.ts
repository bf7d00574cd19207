/**
 * CycleGAN, unpaired translation between two domains (docs/models.md "Translation": cyclegan;
 * notes 002 §3.3, notes 003 "Image to image: CycleGAN"), on the synthetic unpaired tasks
 * (models/tasks): `inverted` (digit <-> inverted), `thick` (thin <-> thick), `italic` (upright <-> italic).
 *
 * Model: two ResNet generators, G: A -> B and F: B -> A (7x7 conv with reflection padding, a
 * stride-2 conv to 14x14, `blocks` residual blocks with reflection padding, a transposed conv
 * back to 28x28, a 7x7 conv, tanh; instance norm throughout, as Zhu et al.), and two PatchGANs
 * D_B (is it a real b?) and D_A with instance norm.
 * Loss (Zhu et al.): least-squares GAN, D minimises ½[(D(y) - 1)² + D(ỹ)²] with ỹ drawn from a
 * replay buffer of 50 past fakes (blocks/translation.ts ReplayBuffer); G and F minimise
 * (D_B(G(a)) - 1)² + (D_A(F(b)) - 1)² + 10·(‖F(G(a)) - a‖₁ + ‖G(F(b)) - b‖₁) + 5·(‖G(b) - b‖₁ + ‖F(a) - a‖₁):
 * the cycle makes the two maps inverse to each other, so a translation keeps the digit; the
 * identity term keeps what is already in the target domain. Adam 2e-4, β1 0.5.
 * Sampling: G applied to n kept sources of domain a (the last training batch's), or to the first n
 * of a given record's `a` (`genlab eval`: the held-out digits').
 */
import * as T from '../src/index.js';
import { nn } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { ganAdam } from './blocks/gan.js';
import { adversarialRound, evaluating, requireField } from './blocks/train.js';
import { PatchDiscriminator, ReplayBuffer, SourceBank, l1, tripletRows } from './blocks/translation.js';
import type { Batch, GenerativeModel, SampleOptions, Training } from './protocol.js';
import { registerModel } from './registry.js';

export interface CycleganConfig {
  task: 'inverted' | 'thick' | 'italic';
  /** Channels at 28x28 (twice as many at 14x14) in G and D. */
  width: number;
  /** Residual blocks at 14x14. */
  blocks: number;
  cycleWeight: number;
  identityWeight: number;
  /** Past fakes the discriminators are shown. */
  poolSize: number;
}

/** conv 3x3 (reflection padding) -> IN -> ReLU -> conv 3x3 -> IN, added to its input. */
class ResidualBlock extends nn.Module {
  body: nn.Sequential;

  constructor(channels: number, device?: DeviceName) {
    super();
    const conv = () => new nn.Conv2d(channels, channels, 3, { padding: 1, paddingMode: 'reflect', device });
    this.body = new nn.Sequential(conv(), new nn.InstanceNorm2d(channels, { affine: true, device }), new nn.ReLU(), conv(), new nn.InstanceNorm2d(channels, { affine: true, device }));
  }

  forward(x: Tensor): Tensor {
    return T.add(x, this.body.forward(x));
  }
}

/** The ResNet generator at 28x28 (Johnson et al., as CycleGAN uses it); `inChannels` counts any broadcast domain channels (StarGAN). */
export class ResnetGenerator extends nn.Module {
  net: nn.Sequential;

  constructor(width: number, blocks: number, device?: DeviceName, inChannels = 1) {
    super();
    const w = width;
    const norm = (c: number) => new nn.InstanceNorm2d(c, { affine: true, device });
    this.net = new nn.Sequential(
      new nn.Conv2d(inChannels, w, 7, { padding: 3, paddingMode: 'reflect', device }), norm(w), new nn.ReLU(),
      new nn.Conv2d(w, 2 * w, 4, { stride: 2, padding: 1, device }), norm(2 * w), new nn.ReLU(),
      ...Array.from({ length: blocks }, () => new ResidualBlock(2 * w, device)),
      new nn.ConvTranspose2d(2 * w, w, 4, { stride: 2, padding: 1, device }), norm(w), new nn.ReLU(),
      new nn.Conv2d(w, 1, 7, { padding: 3, paddingMode: 'reflect', device }), new nn.Tanh(),
    );
  }

  forward(x: Tensor): Tensor {
    return this.net.forward(x);
  }
}

/** Least-squares GAN losses: the critic's ½[(D(real) - 1)² + D(fake)²] and the generator's (D(fake) - 1)². */
export const lsganCritic = (real: Tensor, fake: Tensor): Tensor => T.mul(T.add(T.mean(T.square(T.sub(real, 1))), T.mean(T.square(fake))), 0.5);
export const lsganGenerator = (fake: Tensor): Tensor => T.mean(T.square(T.sub(fake, 1)));

export class Cyclegan extends nn.Module implements GenerativeModel {
  /** G: A -> B. */
  toB: ResnetGenerator;
  /** F: B -> A. */
  toA: ResnetGenerator;
  criticB: PatchDiscriminator;
  criticA: PatchDiscriminator;
  poolB: ReplayBuffer;
  poolA: ReplayBuffer;
  bank: SourceBank;

  constructor(readonly config: CycleganConfig, device?: DeviceName) {
    super();
    const { width, blocks, poolSize } = config;
    this.toB = new ResnetGenerator(width, blocks, device);
    this.toA = new ResnetGenerator(width, blocks, device);
    this.criticB = new PatchDiscriminator(1, width, 'instance', device);
    this.criticA = new PatchDiscriminator(1, width, 'instance', device);
    nn.dcganInit_(this);
    this.poolB = new ReplayBuffer(poolSize, [1, 28, 28], device);
    this.poolA = new ReplayBuffer(poolSize, [1, 28, 28], device);
    this.bank = new SourceBank(64, [1, 28, 28], device);
  }

  generators(): nn.Module {
    return new nn.ModuleList([this.toB, this.toA]);
  }

  /** G(a) for n kept sources of domain a (or the first n of `sources.a`). */
  sample(n: number, options: SampleOptions = {}): Tensor {
    return evaluating(this.toB, () => this.toB.forward(this.bank.take(n, options.sources, 'a', 'cyclegan')));
  }

  /** Rows of a, G(a), F(G(a)) (the cycle back), then b, F(b), G(F(b)): as many images as the batch's digits. */
  preview(batch: Batch): Tensor {
    const a = requireField(batch, 'a', 'cyclegan');
    const b = requireField(batch, 'b', 'cyclegan');
    return evaluating(this.generators(), () => {
      const [ab, ba] = [this.toB.forward(a), this.toA.forward(b)];
      return tripletRows([a, ab, this.toA.forward(ab), b, ba, this.toB.forward(ba)], 8, a.shape[0]! + b.shape[0]!);
    });
  }
}

function cycleganTraining(model: Cyclegan, lr: number): Training {
  const critics = new nn.ModuleList([model.criticB, model.criticA]);
  const optD = ganAdam(critics, lr);
  const optG = ganAdam(model.generators(), lr);
  const { cycleWeight, identityWeight, poolSize } = model.config;
  return {
    optimizers: { d: optD, g: optG },
    step(batch, context) {
      const a = requireField(batch, 'a', 'cyclegan');
      const b = requireField(batch, 'b', 'cyclegan');
      model.bank.remember(a);
      // The pools fill by one batch a step until full (the batch size is fixed for a run).
      const filled = Math.min(poolSize, context.step * a.shape[0]!);
      return T.tidy(() => {
        const fakeB = model.toB.forward(a);
        const fakeA = model.toA.forward(b);
        const pastB = model.poolB.query(fakeB, filled, 2 * context.step);
        const pastA = model.poolA.query(fakeA, filled, 2 * context.step + 1);
        let cycle: Tensor | undefined;
        const losses = adversarialRound({
          critic: critics, optD, optG,
          dLoss: () => T.add(lsganCritic(model.criticB.forward(b), model.criticB.forward(pastB)), lsganCritic(model.criticA.forward(a), model.criticA.forward(pastA))),
          gLoss: () => {
            const adversarial = T.add(lsganGenerator(model.criticB.forward(fakeB)), lsganGenerator(model.criticA.forward(fakeA)));
            const cycled = T.add(l1(model.toA.forward(fakeB), a), l1(model.toB.forward(fakeA), b));
            cycle = T.keep(cycled.detach());
            const identity = T.add(l1(model.toB.forward(b), b), l1(model.toA.forward(a), a));
            return T.add(adversarial, T.add(T.mul(cycled, cycleWeight), T.mul(identity, identityWeight)));
          },
        }, context);
        return { cycle: cycle!, ...losses };
      });
    },
  };
}

export const cyclegan = registerModel({
  name: 'cyclegan',
  description: 'CycleGAN: two ResNet G (reflection pad), two PatchGAN D, LSGAN + 10 cycle + 5 identity L1, replay buffer 50; unpaired tasks',
  notes: 'notes 002 §3.3; notes 003 (image to image: CycleGAN)',
  dataRange: [-1, 1],
  fields: ['a', 'b'],
  task: (config) => config.task,
  config: { task: 'inverted', width: 16, blocks: 3, cycleWeight: 10, identityWeight: 5, poolSize: 50 } as CycleganConfig,
  choices: { task: ['inverted', 'thick', 'italic'] },
  training: { batch: 16, lr: 2e-4, steps: 3000, sampleEvery: 500 },
  withoutGpu: { config: { width: 8, blocks: 2 }, steps: 1000, sampleEvery: 250 },
  build: (config, device) => new Cyclegan(config, device),
  train: (model, { lr }) => cycleganTraining(model, lr),
});
