/**
 * StyleGAN's generator pieces (Karras et al. 2019, 2020 "StyleGAN2", 2021 "alias-free GAN"):
 * - the modulated / demodulated convolution, done for the whole batch as one grouped conv
 *   (the batch folded into the channels, one group per example);
 * - a style layer: modulated conv + per-pixel noise with a learnt strength + bias + LeakyReLU;
 * - the mapping network z -> w (8 equalised linear layers at 1/100 of the learning rate);
 * - path-length regularisation's per-example lengths ‖J_wᵀ y‖;
 * - the StyleGAN3-style pieces: a Fourier-feature input whose rotation and shift come from w, and
 *   a filtered LeakyReLU (applied at twice the resolution, low-passed and decimated back).
 */
import * as T from '../../src/index.js';
import { nn } from '../../src/index.js';
import type { DeviceName, Tensor } from '../../src/index.js';
import { equalLinear, lrelu, pixelNorm } from './progressive.js';

/**
 * x [N, C, H, W] convolved with `weight` [O, C, k, k] modulated per example by `styles` [N, C]:
 * w'[n, o, c] = w[o, c]·s[n, c], then (demodulate) divided by sqrt(Σ_{c,k} w'² + 1e-8) so each
 * output feature has unit expected variance; one conv2d with groups = N does all N convolutions.
 */
export function modulatedConv2d(x: Tensor, weight: Tensor, styles: Tensor, opts: { demodulate?: boolean; padding?: number } = {}): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [o, , kh, kw] = weight.shape as [number, number, number, number];
  let wm = T.mul(T.unsqueeze(weight, 0), T.reshape(styles, [n, 1, c, 1, 1]));
  if (opts.demodulate ?? true) wm = T.mul(wm, T.rsqrt(T.add(T.sum(T.square(wm), [2, 3, 4], true), 1e-8)));
  const y = T.conv2d(T.reshape(x, [1, n * c, h, w]), T.reshape(wm, [n * o, c, kh, kw]), null, { padding: opts.padding ?? 0, groups: n });
  return T.reshape(y, [n, o, y.shape[2]!, y.shape[3]!]);
}

/** Bilinear 2x upsampling, the generator's way up (a smooth interpolation, not nearest's blocks). */
export const upBilinear = (x: Tensor): Tensor => T.interpolate(x, { scaleFactor: 2, mode: 'bilinear' });

/** The [1, 2, 1] ⊗ [1, 2, 1] / 16 low-pass, stride 2: blur then keep every second pixel. */
function lowpassDecimate(x: Tensor): Tensor {
  const c = x.shape[1]!;
  const taps = T.tensor([1, 2, 1, 2, 4, 2, 1, 2, 1].map((v) => v / 16), { shape: [1, 1, 3, 3], dtype: x.dtype, device: x.device });
  return T.conv2d(x, T.expand(taps, [c, 1, 3, 3]), null, { stride: 2, padding: 1, groups: c });
}

/**
 * The alias-free GAN's filtered non-linearity: the LeakyReLU's new high frequencies would alias at
 * the layer's sampling rate, so it runs at twice the rate (bilinear up), is low-passed and
 * decimated back to the layer's size.
 */
export function filteredLrelu(x: Tensor): Tensor {
  return T.mul(lowpassDecimate(lrelu(upBilinear(x))), Math.SQRT2);
}

/**
 * One synthesis layer: (2x up), modulated k x k conv of the style A(w), noise B·ε (ε ~ N(0, 1) per
 * pixel, B learnt from 0), bias, activation. The weight is stored N(0, 1) and scaled by
 * 1/sqrt(fan-in) at run time (equalised learning rate); the affine A starts at bias 1, so styles
 * start at 1. `activation: 'none'` with k = 1 and no demodulation is the toRGB layer.
 */
export class StyleLayer extends nn.Module {
  weight: nn.Parameter;
  affine: nn.Linear;
  noiseStrength: nn.Parameter | null;
  bias: nn.Parameter;
  private readonly scale: number;

  constructor(inC: number, outC: number, wDim: number, readonly opts: { k?: number; up?: boolean; demodulate?: boolean; noise?: boolean; activation?: 'lrelu' | 'filtered' | 'none'; device?: DeviceName }) {
    super();
    const k = opts.k ?? 3;
    const device = opts.device;
    this.weight = nn.Parameter.create(() => T.randn([outC, inC, k, k], { device }));
    this.affine = equalLinear(wDim, inC, { gain: 1, device });
    nn.init.constant_(this.affine.bias!, 1);
    this.noiseStrength = (opts.noise ?? true) ? nn.Parameter.create(() => T.zeros([1], { device })) : null;
    this.bias = nn.Parameter.create(() => T.zeros([outC], { device }));
    this.scale = 1 / Math.sqrt(inC * k * k);
  }

  /** `noise` false leaves the noise out (PPL compares two nearby ws, which must not differ by noise). */
  forward(x: Tensor, w: Tensor, noise = true): Tensor {
    const input = this.opts.up ? upBilinear(x) : x;
    const k = this.weight.shape[2]!;
    let y = modulatedConv2d(input, T.mul(this.weight, this.scale), this.affine.forward(w), { demodulate: this.opts.demodulate ?? true, padding: (k - 1) / 2 });
    const [n, , h, wd] = y.shape as [number, number, number, number];
    if (this.noiseStrength && noise) y = T.add(y, T.mul(T.randn([n, 1, h, wd], { device: y.device, dtype: y.dtype }), this.noiseStrength));
    y = T.add(y, T.reshape(this.bias, [1, -1, 1, 1]));
    const act = this.opts.activation ?? 'lrelu';
    return act === 'none' ? y : act === 'filtered' ? filteredLrelu(y) : T.mul(lrelu(y), Math.SQRT2);
  }
}

/** z -> w: pixel norm of z, then `layers` equalised linear layers with LeakyReLU, at lr x 0.01. */
export class MappingNetwork extends nn.Module {
  layers: nn.ModuleList<nn.Linear>;

  constructor(zDim: number, wDim: number, layers: number, device?: DeviceName) {
    super();
    this.layers = new nn.ModuleList(Array.from({ length: layers }, (_, i) => equalLinear(i === 0 ? zDim : wDim, wDim, { lrMultiplier: 0.01, device })));
  }

  forward(z: Tensor): Tensor {
    let h = pixelNorm(z, -1);
    for (const layer of this.layers) h = lrelu(layer.forward(h));
    return h;
  }
}

/**
 * The StyleGAN3-style input: C Fourier features sin(2π f·p' + φ) sampled on a size x size grid
 * over [-1/2, 1/2]², at fixed random frequencies |f| ≤ bandwidth (cycles per unit) and phases;
 * p' is the grid rotated and shifted by a transform A(w) that starts at the identity, so w moves
 * the picture continuously rather than choosing a fixed-grid texture.
 */
export class FourierInput extends nn.Module {
  frequencies!: Tensor;
  phases!: Tensor;
  transform: nn.Linear;

  constructor(readonly channels: number, wDim: number, readonly size: number, bandwidth: number, device?: DeviceName) {
    super();
    const f = T.tidy(() => {
      const dir = T.randn([channels, 2], { device });
      const radius = T.mul(T.sqrt(T.rand([channels, 1], { device })), bandwidth);
      return T.mul(T.div(dir, T.sqrt(T.sum(T.square(dir), 1, true))), radius);
    });
    this.registerBuffer('frequencies', f);
    this.registerBuffer('phases', T.sub(T.rand([channels], { device }), 0.5));
    this.transform = equalLinear(wDim, 4, { gain: 1, device });
    nn.init.constant_(Reflect.get(this.transform, 'weightOrig') as Tensor, 0);
    T.noGrad(() => T.tidy(() => void this.transform.bias!.assign_(T.tensor([1, 0, 0, 0], { device }))));
  }

  forward(w: Tensor): Tensor {
    const n = w.shape[0]!;
    const s = this.size;
    const axis = Array.from({ length: s }, (_, i) => (i + 0.5) / s - 0.5);
    const grid = T.tensor(axis.flatMap((y) => axis.flatMap((x) => [x, y])), { shape: [1, s * s, 2], device: w.device, dtype: w.dtype });
    const t = this.transform.forward(w);
    const [rot, shift] = T.split(t, [2, 2], 1);
    const r = T.div(rot!, T.sqrt(T.add(T.sum(T.square(rot!), 1, true), 1e-8)));
    const [cos, sin] = T.split(r, 1, 1);
    const [gx, gy] = T.split(grid, 1, 2);
    const [tx, ty] = T.split(shift!, 1, 1);
    // p' = R p + t per example: [N, s², 1] each.
    const px = T.add(T.sub(T.mul(gx!, T.unsqueeze(cos!, 1)), T.mul(gy!, T.unsqueeze(sin!, 1))), T.unsqueeze(tx!, 1));
    const py = T.add(T.add(T.mul(gx!, T.unsqueeze(sin!, 1)), T.mul(gy!, T.unsqueeze(cos!, 1))), T.unsqueeze(ty!, 1));
    const [fx, fy] = T.split(this.frequencies, 1, 1);
    const arg = T.add(T.add(T.mul(px, T.reshape(fx!, [1, 1, -1])), T.mul(py, T.reshape(fy!, [1, 1, -1]))), this.phases);
    return T.reshape(T.permute(T.sin(T.mul(arg, 2 * Math.PI)), [0, 2, 1]), [n, this.channels, s, s]);
  }
}

/**
 * Path lengths ‖J_wᵀ y‖ per example (StyleGAN2 §3.2): `images` [N, ...] made from `ws`
 * [N, L, wDim], y [same as images] Gaussian noise scaled by 1/sqrt(pixels); the squared norm of
 * the gradient is averaged over the L layer inputs, as the reference does.
 */
export function pathLengths(images: Tensor, ws: Tensor, y: Tensor): Tensor {
  const [g] = T.gradients(T.sum(T.mul(images, y)), [ws], { createGraph: true });
  return T.sqrt(T.mean(T.sum(T.square(g!), 2), 1));
}

/** The noise y of `pathLengths`: N(0, 1) over sqrt(H·W), so the lengths do not grow with the image size. */
export function pathLengthNoise(images: Tensor): Tensor {
  const [h, w] = images.shape.slice(-2) as [number, number];
  return T.div(T.randn([...images.shape], { device: images.device, dtype: images.dtype }), Math.sqrt(h * w));
}
