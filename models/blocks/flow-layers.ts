/**
 * The invertible layers of the normalising flows (notes 000 §3, notes 001 Generative Model §1: an
 * exact density through invertible maps, log p(x) = log p(z) + log |det ∂z/∂x|). Each layer maps
 * x to y and gives log |det ∂y/∂x| per example, cheaply, because its Jacobian is triangular or
 * block-diagonal; each has an exact inverse.
 * - `Squeeze`: 2x2 space-to-depth, [C, H, W] -> [4C, H/2, W/2] (a permutation: log det 0).
 * - `ActNorm`: a per-channel affine map whose bias and scale start from the first batch's
 *   statistics (data-dependent init, Glow §3.1), so the first outputs have mean 0, variance 1.
 * - `InvertibleConv1x1`: a learned channel mixing W = P L (U + diag(s)) in LU form (Glow §3.2),
 *   whose log det is H·W·Σ log|s| with no determinant to compute.
 * - `AffineCoupling`: half the values pass through and set a scale and shift of the other half
 *   (RealNVP §3.3); the halves are channels or a checkerboard of pixels (RealNVP §3.4).
 */
import * as T from '../../src/index.js';
import { nn } from '../../src/index.js';
import type { DeviceName, Tensor } from '../../src/index.js';
import { householderQr, luFactor } from '../../src/ops/linalg-host.js';

/** An invertible layer: `forward` gives y and log |det ∂y/∂x| [N]; `inverse` undoes it exactly. */
export interface FlowLayer extends nn.Module {
  forward(x: Tensor): { y: Tensor; logdet: Tensor };
  inverse(y: Tensor): Tensor;
}

/** A per-example log det that is the same for every example: `value` (a scalar tensor) expanded to [N]. */
const perExample = (value: Tensor, x: Tensor): Tensor => T.expand(T.reshape(value, [1]), [x.shape[0]!]);
const pixels = (x: Tensor): number => x.shape[2]! * x.shape[3]!;

export class Squeeze extends nn.Module implements FlowLayer {
  forward(x: Tensor): { y: Tensor; logdet: Tensor } {
    return { y: T.pixelUnshuffle(x, 2), logdet: T.zeros([x.shape[0]!], { dtype: x.dtype, device: x.device }) };
  }

  inverse(y: Tensor): Tensor {
    return T.pixelShuffle(y, 2);
  }
}

/**
 * The scale is exp(3·logScale), as in OpenAI's Glow code (`logscale_factor`): Adam moves a weight
 * by about lr a step, and the scales must grow to ~256 (the background pixels' 1/256-wide bins
 * stretched to unit width), which at factor 1 takes thousands of steps.
 */
const LOG_SCALE_FACTOR = 3;

export class ActNorm extends nn.Module implements FlowLayer {
  bias: nn.Parameter;
  /** log of the per-channel scale, divided by LOG_SCALE_FACTOR. */
  logScale: nn.Parameter;
  /** Set by the training's first step: the next forward sets bias and scale from its input. */
  initializing = false;

  constructor(channels: number, device?: DeviceName) {
    super();
    this.bias = nn.Parameter.create(() => T.zeros([1, channels, 1, 1], { device }));
    this.logScale = nn.Parameter.create(() => T.zeros([1, channels, 1, 1], { device }));
  }

  /** bias = -mean, scale = 1/std per channel of x over the batch and the pixels. */
  private initializeFrom(x: Tensor): void {
    const [bias, logScale] = T.noGrad(() => T.tidy(() => {
      const mean = T.mean(x, [0, 2, 3], true);
      const variance = T.mean(T.square(T.sub(x, mean)), [0, 2, 3], true);
      return [T.neg(mean), T.mul(T.log(T.add(variance, 1e-6)), -0.5 / LOG_SCALE_FACTOR)];
    }));
    this.bias.assign_(bias!);
    this.logScale.assign_(logScale!);
    bias!.dispose();
    logScale!.dispose();
  }

  forward(x: Tensor): { y: Tensor; logdet: Tensor } {
    if (this.initializing) {
      this.initializing = false;
      this.initializeFrom(x);
    }
    const y = T.mul(T.add(x, this.bias), T.exp(T.mul(this.logScale, LOG_SCALE_FACTOR)));
    return { y, logdet: perExample(T.mul(T.sum(this.logScale), LOG_SCALE_FACTOR * pixels(x)), x) };
  }

  inverse(y: Tensor): Tensor {
    return T.sub(T.mul(y, T.exp(T.mul(this.logScale, -LOG_SCALE_FACTOR))), this.bias);
  }
}

/**
 * (I + N)⁻¹ for strictly triangular N [c, c]: N is nilpotent (N^c = 0), so the inverse is the
 * finite series Σ (-N)^k = Π_j (I + (-N)^(2^j)), log2 c matrix products on any device.
 */
function unitTriangularInverse(strict: Tensor): Tensor {
  const c = strict.shape[0]!;
  const eye = T.eye(c, c, { dtype: strict.dtype, device: strict.device });
  let power = T.neg(strict);
  let inverse = T.add(eye, power);
  for (let span = 2; span < c; span *= 2) {
    power = T.matmul(power, power);
    inverse = T.matmul(inverse, T.add(eye, power));
  }
  return inverse;
}

export class InvertibleConv1x1 extends nn.Module implements FlowLayer {
  /** The LU factors' free entries: L's below the diagonal, U's above it, log|s| on U's diagonal. */
  lower: nn.Parameter;
  upper: nn.Parameter;
  logS: nn.Parameter;
  declare permutation: Tensor;
  declare signS: Tensor;
  declare lowerMask: Tensor;

  /** W starts as a random rotation (Glow): the LU factors of the Q of a Gaussian matrix, made on the host. */
  constructor(readonly channels: number, device?: DeviceName) {
    super();
    const c = channels;
    const gaussian = T.randn([c, c], { dtype: 'float64', device: 'cpu' });
    const lu = householderQr(gaussian.dataSync(), c, c).q;
    gaussian.dispose();
    // P Q = L U with P the row order `perm`: Q = Pᵀ L U, and Pᵀ is what the weight keeps.
    const { perm } = luFactor(lu, c);
    const at = (keep: (i: number, j: number) => boolean) => Array.from({ length: c * c }, (_, k) => (keep(Math.floor(k / c), k % c) ? lu[k]! : 0));
    const diagonal = Array.from({ length: c }, (_, i) => lu[i * c + i]!);
    const place = { device, shape: [c, c] };
    const permutation = new Float64Array(c * c);
    perm.forEach((row, i) => (permutation[row * c + i] = 1));
    this.lower = nn.Parameter.create(() => T.tensor(at((i, j) => i > j), place));
    this.upper = nn.Parameter.create(() => T.tensor(at((i, j) => i < j), place));
    this.logS = nn.Parameter.create(() => T.tensor(diagonal.map((d) => Math.log(Math.abs(d))), { device }));
    this.registerBuffer('permutation', T.tensor(Array.from(permutation), place));
    this.registerBuffer('signS', T.tensor(diagonal.map(Math.sign), { device }));
    this.registerBuffer('lowerMask', T.cast(T.trilMask(c, c, -1, device ?? T.getDefaultDevice()), 'float32'));
  }

  /** The strictly lower part of L, the strictly upper part of U (the masks keep the other entries at zero). */
  private factors(): { l: Tensor; u: Tensor; s: Tensor } {
    const mask = this.lowerMask;
    return { l: T.mul(this.lower, mask), u: T.mul(this.upper, T.transpose(mask, 0, 1)), s: T.mul(this.signS, T.exp(this.logS)) };
  }

  /** W = P L U [c, c], U = diag(s) + its strict upper part. */
  weight(): Tensor {
    const { l, u, s } = this.factors();
    const eye = T.eye(this.channels, this.channels, { dtype: l.dtype, device: l.device });
    return T.matmul(T.matmul(this.permutation, T.add(eye, l)), T.add(T.diagEmbed(s), u));
  }

  /** W⁻¹ = U⁻¹ L⁻¹ Pᵀ, with U = diag(s)(I + diag(1/s) U_strict). */
  inverseWeight(): Tensor {
    const { l, u, s } = this.factors();
    const sInverse = T.reciprocal(s);
    const uInverse = T.mul(unitTriangularInverse(T.mul(T.unsqueeze(sInverse, 1), u)), T.unsqueeze(sInverse, 0));
    return T.matmul(T.matmul(uInverse, unitTriangularInverse(l)), T.transpose(this.permutation, 0, 1));
  }

  forward(x: Tensor): { y: Tensor; logdet: Tensor } {
    const y = T.conv2d(x, T.reshape(this.weight(), [this.channels, this.channels, 1, 1]));
    return { y, logdet: perExample(T.mul(T.sum(this.logS), pixels(x)), x) };
  }

  inverse(y: Tensor): Tensor {
    return T.conv2d(y, T.reshape(this.inverseWeight(), [this.channels, this.channels, 1, 1]));
  }
}

export type CouplingMask = 'channel' | 'checkerboard';
/** How the net's raw output bounds the log-scale: Glow's log sigmoid(a + 2), RealNVP's tanh(a). */
export type ScaleBound = 'sigmoid' | 'tanh';

/**
 * y_b = x_b ⊙ exp(s(x_a)) + t(x_a), y_a = x_a: the Jacobian is triangular with diagonal exp(s),
 * so log det = Σ s. `parity` picks which half conditions (alternate it so every value changes).
 */
export class AffineCoupling extends nn.Module implements FlowLayer {
  net: nn.Sequential;

  constructor(readonly channels: number, readonly mask: CouplingMask, readonly parity: 0 | 1, width: number, readonly bound: ScaleBound, device?: DeviceName) {
    super();
    const half = Math.floor(channels / 2);
    const [conditioning, transformed] = mask === 'checkerboard' ? [channels, channels] : parity === 0 ? [half, channels - half] : [channels - half, half];
    const last = new nn.Conv2d(width, 2 * transformed, 3, { padding: 1, device });
    // Zero weights make each coupling the identity (up to the bound's offset) at the start.
    for (const p of last.parameters()) p.assign_(T.zerosLike(p));
    this.net = new nn.Sequential(
      new nn.Conv2d(conditioning, width, 3, { padding: 1, device }), new nn.ReLU(),
      new nn.Conv2d(width, width, 1, { device }), new nn.ReLU(),
      last,
    );
  }

  /** The checkerboard [1, 1, H, W]: 1 on the pixels that condition (i + j + parity even). */
  private board(x: Tensor): Tensor {
    const [h, w] = [x.shape[2]!, x.shape[3]!];
    const values = Array.from({ length: h * w }, (_, k) => ((Math.floor(k / w) + (k % w) + this.parity) % 2 === 0 ? 1 : 0));
    return T.tensor(values, { shape: [1, 1, h, w], dtype: x.dtype, device: x.device });
  }

  /** Log-scale and shift of the transformed part, from the conditioning part. */
  private scaleAndShift(conditioning: Tensor): { logScale: Tensor; shift: Tensor } {
    const [raw, shift] = T.chunk(this.net.forward(conditioning), 2, 1);
    const logScale = this.bound === 'sigmoid' ? T.neg(T.softplus(T.neg(T.add(raw!, 2)))) : T.tanh(raw!);
    return { logScale, shift: shift! };
  }

  /** (conditioning, transformed) halves of x along channels, in the order `parity` says. */
  private halves(x: Tensor): [Tensor, Tensor] {
    const [first, second] = T.split(x, [Math.floor(this.channels / 2), this.channels - Math.floor(this.channels / 2)], 1);
    return this.parity === 0 ? [first!, second!] : [second!, first!];
  }

  private join(conditioning: Tensor, transformed: Tensor): Tensor {
    return T.cat(this.parity === 0 ? [conditioning, transformed] : [transformed, conditioning], 1);
  }

  forward(x: Tensor): { y: Tensor; logdet: Tensor } {
    if (this.mask === 'checkerboard') {
      const b = this.board(x);
      const open = T.sub(1, b);
      const { logScale, shift } = this.scaleAndShift(T.mul(x, b));
      const s = T.mul(logScale, open);
      return { y: T.add(T.mul(x, T.exp(s)), T.mul(shift, open)), logdet: T.sum(s, [1, 2, 3]) };
    }
    const [a, rest] = this.halves(x);
    const { logScale, shift } = this.scaleAndShift(a);
    return { y: this.join(a, T.add(T.mul(rest, T.exp(logScale)), shift)), logdet: T.sum(logScale, [1, 2, 3]) };
  }

  inverse(y: Tensor): Tensor {
    if (this.mask === 'checkerboard') {
      const b = this.board(y);
      const open = T.sub(1, b);
      const { logScale, shift } = this.scaleAndShift(T.mul(y, b));
      return T.mul(T.sub(y, T.mul(shift, open)), T.exp(T.neg(T.mul(logScale, open))));
    }
    const [a, rest] = this.halves(y);
    const { logScale, shift } = this.scaleAndShift(a);
    return this.join(a, T.mul(T.sub(rest, shift), T.exp(T.neg(logScale))));
  }
}
