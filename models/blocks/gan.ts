/**
 * Shared pieces of the GANs of notes 002 §3 and notes 003: the two adversarial losses, the
 * alternating D-then-G update of the unconditional GANs, the DCGAN generator and discriminator trunks, and the Adam setting
 * every GAN here trains with.
 *
 * D maximises log D(x) + log(1 - D(G(z))); with logits l this is the BCE of real -> 1 and
 * fake -> 0. G minimises log(1 - D(G(z))) in the original minimax game, whose gradient vanishes
 * exactly when D confidently rejects the fakes (early training): notes 003 ("GANs 학습 in
 * Practice") replaces it by maximising log D(G(z)), the non-saturating loss, our default.
 */
import * as T from '../../src/index.js';
import { nn, optim } from '../../src/index.js';
import type { DeviceName, Tensor } from '../../src/index.js';
import type { Training } from '../protocol.js';
import { adversarialRound, deviceOf, evaluating, requireField, warmedEma } from './train.js';

/** 'non-saturating': min -log D(G(z)) (default). 'minimax': min log(1 - D(G(z))), as in the game's value function. */
export type GeneratorLoss = 'non-saturating' | 'minimax';
export const GENERATOR_LOSSES: readonly GeneratorLoss[] = ['non-saturating', 'minimax'];

/**
 * BCE-with-logits of real logits against 1 plus fake logits against 0 (≈ 2 ln 2 = 1.386 when D is fooled).
 * `smoothing` s > 0 is one-sided label smoothing (Salimans et al. 2016): real images are aimed at
 * 1 - s, fakes still at 0, so D stops being rewarded for ever more confident real logits.
 */
export function discriminatorLoss(realLogits: Tensor, fakeLogits: Tensor, smoothing = 0): Tensor {
  const realTarget = smoothing === 0 ? T.onesLike(realLogits) : T.fullLike(realLogits, 1 - smoothing);
  return T.add(T.bceWithLogits(realLogits, realTarget), T.bceWithLogits(fakeLogits, T.zerosLike(fakeLogits)));
}

/** G's loss on D's logits for its fakes. log(1 - sigmoid(l)) = -softplus(l) = -BCE(l, 0). */
export function generatorLoss(fakeLogits: Tensor, kind: GeneratorLoss): Tensor {
  return kind === 'minimax'
    ? T.neg(T.bceWithLogits(fakeLogits, T.zerosLike(fakeLogits)))
    : T.bceWithLogits(fakeLogits, T.onesLike(fakeLogits));
}

/**
 * The hinge loss of D (Lim and Ye 2017; SN-GAN, the projection discriminator, SAGAN):
 * E max(0, 1 - D(x)) + E max(0, 1 + D(G(z))). D stops pushing a logit once it is past the margin,
 * so a confident D no longer grows its logits without bound.
 */
export function hingeDiscriminatorLoss(realLogits: Tensor, fakeLogits: Tensor): Tensor {
  return T.add(T.mean(T.relu(T.sub(1, realLogits))), T.mean(T.relu(T.add(fakeLogits, 1))));
}

/** G's side of the hinge game: -E D(G(z)). */
export function hingeGeneratorLoss(fakeLogits: Tensor): Tensor {
  return T.neg(T.mean(fakeLogits));
}

/** Adam with lr 2e-4 and β1 0.5 (Radford et al.): a lower β1 damps momentum in the moving target of a two-player game. */
export function ganAdam(module: nn.Module, lr: number): optim.Adam {
  return new optim.Adam(module.parameters(), { lr, betas: [0.5, 0.999] });
}

/** What the unconditional GANs (gan, dcgan) share: G, a D giving one logit per image, and G(z) for fresh codes. */
/** A generator: a module mapping latent codes [n, zDim] to images. */
type Generator = nn.Module & { forward(z: Tensor): Tensor };

export interface UnconditionalGan extends nn.Module {
  generator: Generator;
  discriminator: nn.Sequential;
  config: { generatorLoss: GeneratorLoss; emaDecay?: number; labelSmoothing?: number; discriminatorLrScale?: number; r1?: number };
  /** An exponential moving average of G's weights, which sampling uses; absent when emaDecay is 0. */
  ema?: Generator;
  generate(n: number): Tensor;
}

/** The generator that sampling runs: the EMA of G where the model keeps one, else G. */
export const samplingGenerator = (model: UnconditionalGan): Generator => model.ema ?? model.generator;

/** `n` images from z ~ N(0, I) through the sampling generator in eval mode (BN running statistics). */
export function sampleUnconditional(model: UnconditionalGan & { config: { zDim: number } }, n: number): Tensor {
  const g = samplingGenerator(model);
  return evaluating(g, () => g.forward(latent(n, model.config.zDim, deviceOf(g))));
}

/**
 * Their training: one D step on real images vs detached fakes, then one G step against the frozen D,
 * then the EMA of G (when the model keeps one) moves toward G.
 */
export function unconditionalGanTraining(model: UnconditionalGan, lr: number): Training {
  const d = model.discriminator;
  // TTUR (Heusel et al. 2017): D may learn faster than G instead of taking several steps per G step.
  const optD = ganAdam(d, lr * (model.config.discriminatorLrScale ?? 1));
  const optG = ganAdam(model.generator, lr);
  return {
    optimizers: { d: optD, g: optG },
    step(batch, context) {
      const real = requireField(batch, 'images', model.constructor.name);
      return T.tidy(() => {
        const fake = model.generate(real.shape[0]!);
        return adversarialRound({
          critic: d, optD, optG,
          dLoss: () => discriminatorLoss(d.forward(real), d.forward(fake.detach()), model.config.labelSmoothing ?? 0),
          gLoss: () => generatorLoss(d.forward(fake), model.config.generatorLoss),
          // R1 (Mescheder et al. 2018): γ/2 E‖∇D(x)‖² on real images keeps D flat where the data
          // are, which damps the oscillation around the equilibrium; lazily, every 16 steps.
          ...(model.config.r1 ? { penalty: { kind: 'r1' as const, weight: model.config.r1, every: 16, critic: (x: Tensor) => d.forward(x), real, fake: () => fake } } : {}),
          ...warmedEma(model.ema, model.generator, model.config.emaDecay ?? 0, context.step),
        }, context);
      });
    },
  };
}

/** `n` standard-normal latent codes [n, zDim] on `device`. */
export const latent = (n: number, zDim: number, device: DeviceName): Tensor => T.randn([n, zDim], { device });

/** `n` uniformly drawn class labels (int32 [n]). */
export const randomLabels = (n: number, classes: number, device: DeviceName): Tensor => T.randint(0, classes, [n], { device, dtype: 'int32' });

/**
 * The DCGAN generator of docs/models.md: linear -> (2w)x7x7, then two transposed convs 4x4 stride 2
 * (padding 1 exactly doubles the size) to w x14x14 and 1x28x28, with w = `width` (64: 128x7x7 ->
 * 64x14x14 as in docs/models.md). BN + ReLU on every hidden layer (the notes' "Batch Normalization ...
 * 학습 안정성"); tanh maps the output to the data's [-1, 1]. Initialise the model that holds it
 * with `nn.dcganInit_`.
 */
export class DcganGenerator extends nn.Module {
  net: nn.Sequential;

  constructor(readonly inDim: number, width = 64, device?: DeviceName) {
    super();
    const top = 2 * width;
    this.net = new nn.Sequential(
      new nn.Linear(inDim, top * 7 * 7, { bias: false, device }), new nn.BatchNorm1d(top * 7 * 7, { device }), new nn.ReLU(),
      new nn.Unflatten(1, [top, 7, 7]),
      new nn.ConvTranspose2d(top, width, 4, { stride: 2, padding: 1, bias: false, device }), new nn.BatchNorm2d(width, { device }), new nn.ReLU(),
      new nn.ConvTranspose2d(width, 1, 4, { stride: 2, padding: 1, device }), new nn.Tanh(),
    );
  }

  /** Images [N, 1, 28, 28] in [-1, 1] from codes [N, inDim]. */
  forward(v: Tensor): Tensor {
    return this.net.forward(v);
  }
}

/**
 * The DCGAN discriminator trunk: the generator mirrored, strided 4x4 convs 28 -> 14 -> 7 to w and
 * 2w channels with LeakyReLU(0.2) (no pooling: the stride learns its own downsampling), BN on the
 * inner layer only (not on the input, as in DCGAN), flattened to `features` [N, 2w*7*7] for the
 * heads, which are single linear layers (no fully connected hidden layers).
 */
export class DcganDiscriminatorTrunk extends nn.Module {
  readonly features: number;
  net: nn.Sequential;

  constructor(inChannels: number, width = 64, device?: DeviceName, spectral = false) {
    super();
    this.features = 2 * width * 7 * 7;
    // With `spectral`, each conv's weight is divided by its largest singular value (Miyato et al.
    // 2018), which bounds D's Lipschitz constant and replaces batch norm (SN-GANs' D has none).
    const sn = <M extends nn.Module>(m: M): M => (spectral ? nn.spectralNorm(m) : m);
    this.net = new nn.Sequential(
      sn(new nn.Conv2d(inChannels, width, 4, { stride: 2, padding: 1, device })), new nn.LeakyReLU(0.2),
      sn(new nn.Conv2d(width, 2 * width, 4, { stride: 2, padding: 1, bias: spectral, device })),
      ...(spectral ? [] : [new nn.BatchNorm2d(2 * width, { device })]), new nn.LeakyReLU(0.2),
      new nn.Flatten(),
    );
  }

  forward(x: Tensor): Tensor {
    return this.net.forward(x);
  }
}
