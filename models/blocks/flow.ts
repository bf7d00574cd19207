/**
 * The multi-scale flow both RealNVP and Glow are (notes 000 §3; RealNVP §3.6, Glow §3): levels of
 * invertible layers, each level starting with a squeeze (28 -> 14 -> 7 on MNIST) and ending, but
 * for the last, by factoring half its channels out as latents. The models differ only in the
 * layers of a level, which their files give as a `LevelBuilder`.
 *
 * Data: images x in [0, 1] with 256 levels are dequantised, y = (255 x + u) / 256 with
 * u ~ U[0, 1)^D, then mapped to the flow's space (Glow: v = y - 1/2; RealNVP: the logit of
 * α + (1 - 2α) y). Loss: -log p(x) in bits per dimension, where
 *   log P(x) ≥ E_u [log p_flow(v) + log |det ∂v/∂y|] - D log 256
 * (the discrete probability of the 1/256-wide bin, bounded by one draw of u), the number the
 * papers report. Sampling: every latent drawn from N(0, T² I) at temperature T, then the exact
 * inverse of each layer in reverse.
 */
import * as T from '../../src/index.js';
import { nn, optim } from '../../src/index.js';
import type { DeviceName, Tensor } from '../../src/index.js';
import type { Batch, GenerativeModel, Training } from '../protocol.js';
import { ActNorm, type FlowLayer } from './flow-layers.js';
import { deviceOf, evaluating, minimize, requireField } from './train.js';

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * Factor-out with a learned prior (Glow §3.3): half the channels leave the flow as
 * z = (x_out - μ(x_kept)) · exp(-log σ(x_kept)), an affine layer conditioned on the half that goes
 * on, so every latent is N(0, I) and the prior's log-density is log det = -Σ log σ.
 */
export class FactorOut extends nn.Module {
  conv: nn.Conv2d;

  constructor(readonly channels: number, device?: DeviceName) {
    super();
    const kept = Math.floor(channels / 2);
    this.conv = new nn.Conv2d(kept, 2 * (channels - kept), 3, { padding: 1, device });
    // Zero weights: the prior starts as N(0, I).
    for (const p of this.conv.parameters()) p.assign_(T.zerosLike(p));
  }

  private prior(kept: Tensor): [Tensor, Tensor] {
    const [mean, logSigma] = T.chunk(this.conv.forward(kept), 2, 1);
    return [mean!, logSigma!];
  }

  forward(x: Tensor): { kept: Tensor; z: Tensor; logdet: Tensor } {
    const half = Math.floor(this.channels / 2);
    const [kept, out] = T.split(x, [half, this.channels - half], 1);
    const [mean, logSigma] = this.prior(kept!);
    return { kept: kept!, z: T.mul(T.sub(out!, mean), T.exp(T.neg(logSigma))), logdet: T.neg(T.sum(logSigma, [1, 2, 3])) };
  }

  inverse(kept: Tensor, z: Tensor): Tensor {
    const [mean, logSigma] = this.prior(kept);
    return T.cat([kept, T.add(T.mul(z, T.exp(logSigma)), mean)], 1);
  }
}

/** The layers of level `level` for an input of `channels` channels; they must squeeze once (x4 channels, /2 size). */
export type LevelBuilder = (level: number, channels: number) => FlowLayer[];

export class MultiScaleFlow extends nn.Module {
  levels: nn.ModuleList<nn.ModuleList<FlowLayer>>;
  splits: nn.ModuleList<FactorOut>;
  /** [C, H, W] of each latent, in the order `encode` returns them. */
  readonly latentShapes: number[][] = [];

  constructor(channels: number, size: number, levels: number, build: LevelBuilder, device?: DeviceName) {
    super();
    this.levels = new nn.ModuleList();
    this.splits = new nn.ModuleList();
    for (let level = 0; level < levels; level++) {
      this.levels.append(new nn.ModuleList(build(level, channels)));
      [channels, size] = [channels * 4, size / 2];
      if (level === levels - 1) break;
      this.splits.append(new FactorOut(channels, device));
      this.latentShapes.push([channels - Math.floor(channels / 2), size, size]);
      channels = Math.floor(channels / 2);
    }
    this.latentShapes.push([channels, size, size]);
  }

  /** x -> the latents (each N(0, I) under the model) and log |det ∂z/∂x| [N]. */
  encode(x: Tensor): { zs: Tensor[]; logdet: Tensor } {
    const zs: Tensor[] = [];
    let logdet = T.zeros([x.shape[0]!], { dtype: x.dtype, device: x.device });
    let h = x;
    [...this.levels].forEach((layers, level) => {
      for (const layer of layers) {
        const out = layer.forward(h);
        [h, logdet] = [out.y, T.add(logdet, out.logdet)];
      }
      if (level < this.splits.length) {
        const out = this.splits.at(level).forward(h);
        zs.push(out.z);
        [h, logdet] = [out.kept, T.add(logdet, out.logdet)];
      }
    });
    zs.push(h);
    return { zs, logdet };
  }

  /** The exact inverse of `encode`. */
  decode(zs: readonly Tensor[]): Tensor {
    let h = zs.at(-1)!;
    for (let level = this.levels.length - 1; level >= 0; level--) {
      if (level < this.splits.length) h = this.splits.at(level).inverse(h, zs[level]!);
      const layers = [...this.levels.at(level)];
      for (let i = layers.length - 1; i >= 0; i--) h = layers[i]!.inverse(h);
    }
    return h;
  }

  /** log p(x) [N] by the change of variables: Σ log N(z; 0, I) + log |det ∂z/∂x|. */
  logProb(x: Tensor): Tensor {
    const { zs, logdet } = this.encode(x);
    return zs.reduce((sum, z) => T.sub(sum, T.mul(T.sum(T.add(T.square(z), LOG_2PI), [1, 2, 3]), 0.5)), logdet);
  }

  /** Latents for `n` samples from N(0, T² I). */
  sampleLatents(n: number, temperature: number, device: DeviceName): Tensor[] {
    return this.latentShapes.map((shape) => T.mul(T.randn([n, ...shape], { device }), temperature));
  }
}

export interface FlowConfig {
  /** Channels of the coupling nets' hidden layers. */
  width: number;
  /** Flow steps per level. */
  depth: number;
  /** Squeeze levels: 2 is 28 -> 14 -> 7. */
  levels: number;
  /** Sampling temperature T: latents from N(0, T² I) (Glow samples at 0.7; 1 is the model's own density). */
  temperature: number;
  /** 0: v = y - 1/2 (Glow); α > 0: v = logit(α + (1 - 2α) y) (RealNVP). */
  logitAlpha: number;
}

/** A flow over 1x28x28 images in [0, 1] with 256 levels; see the file's docstring. */
export class FlowModel extends nn.Module implements GenerativeModel {
  flow: MultiScaleFlow;

  constructor(readonly config: FlowConfig, build: LevelBuilder, device?: DeviceName) {
    super();
    this.flow = new MultiScaleFlow(1, 28, config.levels, build, device);
  }

  /** y = (255 x + u) / 256, u ~ U[0, 1): the 256 levels spread over their bins. */
  dequantize(x: Tensor): Tensor {
    return T.div(T.add(T.mul(x, 255), T.randLike(x)), 256);
  }

  /** y in [0, 1] -> the flow's space, with log |det ∂v/∂y| [N]. */
  toFlowSpace(y: Tensor): { v: Tensor; logdet: Tensor } {
    const alpha = this.config.logitAlpha;
    if (alpha <= 0) return { v: T.sub(y, 0.5), logdet: T.zeros([y.shape[0]!], { dtype: y.dtype, device: y.device }) };
    const p = T.add(T.mul(y, 1 - 2 * alpha), alpha);
    const [logP, log1mP] = [T.log(p), T.log(T.sub(1, p))];
    // dv/dy = (1 - 2α) / (p (1 - p)).
    const logdet = T.sub(Math.log(1 - 2 * alpha) * y.shape.slice(1).reduce((a, b) => a * b, 1), T.sum(T.add(logP, log1mP), [1, 2, 3]));
    return { v: T.sub(logP, log1mP), logdet };
  }

  /**
   * The inverse of `toFlowSpace`, clamped to [0, 1]. A latent far in the tails (T = 1 early in
   * training) can overflow float32 in the couplings' inverse, exp(-s) with s very negative; such
   * pixels come out as their clamped values, NaN as 0, so one diverged sample does not poison a
   * batch's metrics.
   */
  fromFlowSpace(v: Tensor): Tensor {
    const alpha = this.config.logitAlpha;
    const y = alpha <= 0 ? T.add(v, 0.5) : T.div(T.sub(T.sigmoid(v), alpha), 1 - 2 * alpha);
    return T.clamp(T.nanToNum(y), 0, 1);
  }

  /** log P(x) in nats [N] for images x in [0, 1], bounded with one dequantisation draw. */
  logProbDiscrete(x: Tensor): Tensor {
    const { v, logdet } = this.toFlowSpace(this.dequantize(x));
    const dims = x.shape.slice(1).reduce((a, b) => a * b, 1);
    return T.sub(T.add(this.flow.logProb(v), logdet), dims * Math.log(256));
  }

  /** -log P(x) / (D log 2), the batch mean: bits per dimension. */
  bitsPerDim(x: Tensor): Tensor {
    const dims = x.shape.slice(1).reduce((a, b) => a * b, 1);
    return T.div(T.neg(T.mean(this.logProbDiscrete(x))), dims * Math.LN2);
  }

  /** The data-dependent init: every ActNorm takes its bias and scale from `x`'s pass through the flow. */
  initialize(x: Tensor): void {
    for (const m of this.modules()) if (m instanceof ActNorm) m.initializing = true;
    T.noGrad(() => T.tidy(() => this.logProbDiscrete(x)));
  }

  sample(n: number): Tensor {
    return evaluating(this, () => this.fromFlowSpace(this.flow.decode(this.flow.sampleLatents(n, this.config.temperature, deviceOf(this)))));
  }

  logLikelihood({ images }: Batch): Tensor {
    return evaluating(this, () => this.logProbDiscrete(images!));
  }
}

/** Adam on bits/dim; the first step (step 0 of the run, not of a resume) first runs the data-dependent init. */
export function flowTraining(model: FlowModel, lr: number, name: string): Training {
  const adam = new optim.Adam(model.parameters(), { lr });
  return {
    optimizers: { adam },
    step: (batch, { step }) => {
      const x = requireField(batch, 'images', name);
      if (step === 0) model.initialize(x);
      return minimize(adam, () => ({ bitsPerDim: model.bitsPerDim(x) }));
    },
  };
}
