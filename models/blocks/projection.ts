/**
 * The pieces of the projection-discriminator GANs (projgan, contragan, sagan): a generator with
 * conditional batch norm, a discriminator trunk whose every weight is spectrally normalised, the
 * SAGAN self-attention block, and the model that joins them with the projection head
 * D(x, y) = ψ(φ(x)) + emb(y)ᵀφ(x) (Miyato and Koyama 2018; notes 003 *Conditional generative
 * models*: ProjGAN among the ways D takes the condition).
 */
import * as T from '../../src/index.js';
import { nn } from '../../src/index.js';
import type { DeviceName, Tensor } from '../../src/index.js';
import { gridLabels } from '../cgan.js';
import type { GenerativeModel, SampleOptions } from '../protocol.js';
import { latent } from './gan.js';
import { deviceOf, evaluating } from './train.js';

const sn = <M extends nn.Module>(m: M): M => nn.spectralNorm(m);

/**
 * Runs `iterations` power iterations on every spectrally normalised weight in `module` (each read
 * of the weight in training mode runs one), as torch's spectral_norm parametrisation does at
 * registration: from its random start, σ = uᵀWv is far below the largest singular value, and the
 * first steps would see weights (and logits) scaled up by orders of magnitude.
 */
export function warmSpectralNorm(module: nn.Module, iterations = 15): void {
  module.apply((m) => {
    if (!('weightOrig' in m)) return;
    for (let i = 0; i < iterations; i++) T.noGrad(() => (m as unknown as { weight: Tensor }).weight.dispose());
  });
}

/**
 * Batch norm whose scale and shift are looked up by class (de Vries et al. 2017; the projection
 * paper's G): BN(x) γ_y + β_y. γ starts at 1 and β at 0, so an untrained layer is plain BN.
 */
export class ConditionalBatchNorm2d extends nn.Module {
  norm: nn.BatchNorm2d;
  gain: nn.Embedding;
  shift: nn.Embedding;

  constructor(classes: number, channels: number, device?: DeviceName) {
    super();
    this.norm = new nn.BatchNorm2d(channels, { affine: false, device });
    this.gain = new nn.Embedding(classes, channels, { device });
    this.shift = new nn.Embedding(classes, channels, { device });
    nn.init.constant_(this.gain.weight, 1);
    nn.init.constant_(this.shift.weight, 0);
  }

  forward(x: Tensor, labels: Tensor): Tensor {
    const perChannel = (t: Tensor) => T.reshape(t, [x.shape[0]!, x.shape[1]!, 1, 1]);
    return T.add(T.mul(this.norm.forward(x), perChannel(this.gain.forward(labels))), perChannel(this.shift.forward(labels)));
  }
}

/**
 * SAGAN's self-attention (Zhang et al. 2019; notes 002 §3.3) over the H·W positions: queries and
 * keys are 1x1 convs to C/8 channels, values a 1x1 conv to C; o_j = Σ_i softmax_i(q_jᵀk_i) v_i and
 * the block returns x + γ o with γ a learned scalar starting at 0, so the network first trains as
 * a plain convnet and lets attention in as γ grows. The convs are spectrally normalised.
 */
export class SelfAttention2d extends nn.Module {
  query: nn.Conv2d;
  key: nn.Conv2d;
  value: nn.Conv2d;
  gamma: nn.Parameter;

  constructor(channels: number, device?: DeviceName) {
    super();
    const inner = Math.max(1, Math.floor(channels / 8));
    this.query = sn(new nn.Conv2d(channels, inner, 1, { bias: false, device }));
    this.key = sn(new nn.Conv2d(channels, inner, 1, { bias: false, device }));
    this.value = sn(new nn.Conv2d(channels, channels, 1, { bias: false, device }));
    this.gamma = nn.Parameter.create(() => T.zeros([], { device }));
  }

  /** The attention map [N, HW (queries), HW (keys)], each row a softmax. */
  attention(x: Tensor): Tensor {
    const [n, , h, w] = x.shape as [number, number, number, number];
    const flat = (t: Tensor) => T.reshape(t, [n, t.shape[1]!, h * w]);
    const q = flat(this.query.forward(x));
    const k = flat(this.key.forward(x));
    return T.softmax(T.matmul(T.transpose(q, 1, 2), k), -1);
  }

  forward(x: Tensor): Tensor {
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const v = T.reshape(this.value.forward(x), [n, c, h * w]);
    const o = T.matmul(v, T.transpose(this.attention(x), 1, 2));
    return T.add(x, T.mul(this.gamma, T.reshape(o, [n, c, h, w])));
  }
}

/** How the projection models differ: self-attention at 14x14 and spectral norm in G (SAGAN). */
export interface ProjectionOptions {
  attention?: boolean;
  generatorSpectralNorm?: boolean;
}

/**
 * The DCGAN generator (linear -> 2w x7x7 -> convT -> w x14x14 -> convT -> 1x28x28, tanh) with
 * conditional batch norm in place of BN, so the class sets each layer's scale and shift.
 */
export class ConditionalGenerator extends nn.Module {
  input: nn.Linear;
  norm1: ConditionalBatchNorm2d;
  up1: nn.ConvTranspose2d;
  norm2: ConditionalBatchNorm2d;
  attention: SelfAttention2d | null;
  up2: nn.ConvTranspose2d;

  constructor(readonly zDim: number, classes: number, readonly width: number, options: ProjectionOptions = {}, device?: DeviceName) {
    super();
    this.input = new nn.Linear(zDim, 2 * width * 49, { bias: false, device });
    this.norm1 = new ConditionalBatchNorm2d(classes, 2 * width, device);
    this.up1 = new nn.ConvTranspose2d(2 * width, width, 4, { stride: 2, padding: 1, bias: false, device });
    this.norm2 = new ConditionalBatchNorm2d(classes, width, device);
    this.up2 = new nn.ConvTranspose2d(width, 1, 4, { stride: 2, padding: 1, device });
    // Initialised before any weight becomes a spectrally normalised getter.
    nn.dcganInit_(this);
    if (options.generatorSpectralNorm) for (const layer of [this.input, this.up1, this.up2]) sn(layer);
    this.attention = options.attention ? new SelfAttention2d(width, device) : null;
  }

  /** Images [N, 1, 28, 28] in [-1, 1] from codes [N, zDim] and labels int32 [N]. */
  forward(z: Tensor, labels: Tensor): Tensor {
    let h = T.reshape(this.input.forward(z), [z.shape[0]!, 2 * this.width, 7, 7]);
    h = T.relu(this.norm1.forward(h, labels));
    h = T.relu(this.norm2.forward(this.up1.forward(h), labels));
    if (this.attention) h = this.attention.forward(h);
    return T.tanh(this.up2.forward(h));
  }
}

/**
 * φ(x): spectrally normalised convs 4x4 stride 2 (28 -> 14 -> 7, w then 2w channels) and a 3x3
 * conv at 7x7, LeakyReLU(0.1) after each and no batch norm (SN bounds D's Lipschitz constant;
 * BN's batch coupling would undo it), flattened to `features` [N, 2w·49]. Self-attention at 14x14
 * when asked.
 */
export class SnDiscriminatorTrunk extends nn.Module {
  readonly features: number;
  net: nn.Sequential;

  constructor(width: number, options: ProjectionOptions = {}, device?: DeviceName) {
    super();
    this.features = 2 * width * 49;
    this.net = new nn.Sequential(sn(new nn.Conv2d(1, width, 4, { stride: 2, padding: 1, device })), new nn.LeakyReLU(0.1));
    if (options.attention) this.net.append(new SelfAttention2d(width, device));
    this.net.append(sn(new nn.Conv2d(width, 2 * width, 4, { stride: 2, padding: 1, device }))).append(new nn.LeakyReLU(0.1))
      .append(sn(new nn.Conv2d(2 * width, 2 * width, 3, { padding: 1, device }))).append(new nn.LeakyReLU(0.1))
      .append(new nn.Flatten());
  }

  forward(x: Tensor): Tensor {
    return this.net.forward(x);
  }
}

export interface ProjectionGanConfig {
  zDim: number;
  classes: number;
  /** Channels at 14x14 (twice as many at 7x7) in G and D. */
  width: number;
}

/** G with conditional BN; D = ψ(φ(x)) + emb(y)ᵀφ(x), every weight of D spectrally normalised. */
export class ProjectionGan extends nn.Module implements GenerativeModel {
  generator: ConditionalGenerator;
  trunk: SnDiscriminatorTrunk;
  /** ψ: the unconditional part of the logit. */
  head: nn.Linear;
  /** emb(y): one vector per class, in φ's space. */
  projection: nn.Embedding;

  constructor(readonly config: ProjectionGanConfig, device?: DeviceName, options: ProjectionOptions = {}) {
    super();
    const { zDim, classes, width } = config;
    this.generator = new ConditionalGenerator(zDim, classes, width, options, device);
    this.trunk = new SnDiscriminatorTrunk(width, options, device);
    this.head = sn(new nn.Linear(this.trunk.features, 1, { device }));
    this.projection = sn(new nn.Embedding(classes, this.trunk.features, { device }));
    warmSpectralNorm(this);
  }

  generateClasses(labels: Tensor, generator: ConditionalGenerator = this.generator): Tensor {
    return generator.forward(latent(labels.shape[0]!, this.config.zDim, labels.device), labels);
  }

  /** The projection logit [N, 1] from D's features φ(x) [N, F]: ψ(φ) + Σ_f emb(y)_f φ_f. */
  projectionLogits(features: Tensor, labels: Tensor): Tensor {
    return T.add(this.head.forward(features), T.sum(T.mul(this.projection.forward(labels), features), 1, true));
  }

  discriminate(images: Tensor, labels: Tensor): Tensor {
    return this.projectionLogits(this.trunk.forward(images), labels);
  }

  discriminatorPart(): nn.Module {
    return new nn.ModuleList([this.trunk, this.head, this.projection]);
  }

  /** The generator sampling uses (contragan's EMA copy). */
  samplingGenerator(): ConditionalGenerator {
    return this.generator;
  }

  /** G in eval mode (BN running statistics) for the classes `labels` (default: row r of 8 is class r). */
  sample(n: number, options: SampleOptions = {}): Tensor {
    const g = this.samplingGenerator();
    return evaluating(g, () => this.generateClasses(options.labels ?? gridLabels(n, this.config.classes, deviceOf(this)), g));
  }
}
