/**
 * Perceptual path length (Karras et al., 2019, StyleGAN §3): how much the image changes, in a
 * perceptual feature space, for a small step along the generator's latent path:
 *
 *   PPL = E[ d(G(lerp/slerp(z0, z1, t)), G(lerp/slerp(z0, z1, t + ε))) / ε² ],  t ~ U(0, 1), ε = 1e-4,
 *
 * slerp for Gaussian latents z, lerp for an intermediate (style) space w; the mean over the
 * distances between the 1st and 99th percentiles (numpy 'lower' and 'higher'), as the reference
 * code drops outliers. The distance d is the squared Euclidean distance between the feature
 * extractor's features (the reference uses LPIPS, a squared distance between normalised VGG
 * features; the shipped feature network stands in for it, as it does for Inception).
 * The generators here feed z to their first layer without normalising it, so the slerped unit
 * direction is scaled back to the interpolated norm (StyleGAN normalises z, which makes this moot).
 */
import { ArgumentError } from '../errors.js';
import { philoxFill, seedToKey } from '../random.js';
import type { FeatureExtractor } from './extractor.js';
import type { Tensor } from '../tensor.js';

/** A generator as perceptualPathLength walks it: its latent space and how codes become images. */
export interface LatentPath {
  /** Size of a latent code. */
  dim: number;
  /** 'z': codes drawn from N(0, I), interpolated by slerp; 'w': codes from `sample`, by lerp. */
  space: 'z' | 'w';
  /** Codes [n, dim] for the 'w' space (e.g. the mapping network of N(0, I) draws). */
  sample?(z: Float64Array, n: number): Promise<Float64Array>;
  /** Images in [0, 1] ([n, C, H, W]) from codes (n rows of dim); the caller disposes them. */
  decode(codes: Float64Array, n: number): Promise<Tensor>;
}

/** Options of perceptualPathLength. */
export interface PplOptions {
  /** Pairs of codes drawn (default 2000). */
  n?: number;
  /** The step along the path (default 1e-4). */
  epsilon?: number;
  /** Pairs decoded at once (default 100). */
  batch?: number;
  /** Seed of the codes and positions drawn (default 0). */
  seed?: number;
}

/** What perceptualPathLength returns. */
export interface Ppl {
  /** The trimmed mean of d / ε² (lower: a smoother latent space). */
  mean: number;
  /** Distances kept between the percentiles, and drawn. */
  kept: number;
  /** Pairs drawn. */
  n: number;
  /** The step used. */
  epsilon: number;
  /** The latent space walked. */
  space: 'z' | 'w';
}

/** Spherical interpolation of directions, with the norm interpolated linearly. */
export function slerp(a: ArrayLike<number>, b: ArrayLike<number>, t: number, out: Float64Array, offset: number): void {
  const d = out.length === 0 ? 0 : a.length;
  let na = 0, nb = 0, dot = 0;
  for (let i = 0; i < d; i++) {
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
    dot += a[i]! * b[i]!;
  }
  na = Math.sqrt(na);
  nb = Math.sqrt(nb);
  const cos = Math.min(1, Math.max(-1, dot / (na * nb)));
  const omega = Math.acos(cos);
  const norm = (1 - t) * na + t * nb;
  const so = Math.sin(omega);
  // Nearly parallel codes: the spherical weights tend to the linear ones.
  const [wa, wb] = so < 1e-12 ? [1 - t, t] : [Math.sin((1 - t) * omega) / so, Math.sin(t * omega) / so];
  let len = 0;
  for (let i = 0; i < d; i++) {
    const v = (wa * a[i]!) / na + (wb * b[i]!) / nb;
    out[offset + i] = v;
    len += v * v;
  }
  const scale = norm / Math.sqrt(len);
  for (let i = 0; i < d; i++) out[offset + i] *= scale;
}

function lerp(a: ArrayLike<number>, b: ArrayLike<number>, t: number, out: Float64Array, offset: number): void {
  for (let i = 0; i < a.length; i++) out[offset + i] = a[i]! + t * (b[i]! - a[i]!);
}

/** The mean of the values between numpy's percentile(q, 'lower') and percentile(100 - q, 'higher'). */
export function trimmedMean(values: Float64Array, q = 1): { mean: number; kept: number } {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const lo = sorted[Math.floor((q / 100) * (n - 1))]!;
  const hi = sorted[Math.ceil(((100 - q) / 100) * (n - 1))]!;
  let sum = 0, kept = 0;
  for (const v of values) if (v >= lo && v <= hi) { sum += v; kept++; }
  return { mean: sum / kept, kept };
}

/** PPL of a generator's latent path under a feature extractor's distance. Throws ArgumentError for a 'w' path without sample(). */
export async function perceptualPathLength(path: LatentPath, extractor: FeatureExtractor, opts: PplOptions = {}): Promise<Ppl> {
  const n = opts.n ?? 2000;
  const epsilon = opts.epsilon ?? 1e-4;
  const batch = opts.batch ?? 100;
  if (path.space === 'w' && !path.sample) throw new ArgumentError('perceptualPathLength: a w-space path needs sample()');
  const key = seedToKey(opts.seed ?? 0);
  const d = path.dim;
  const distances = new Float64Array(n);
  const interpolate = path.space === 'z' ? slerp : lerp;
  for (let start = 0, b = 0; start < n; start += batch, b++) {
    const m = Math.min(batch, n - start);
    let ends: Float64Array = new Float64Array(2 * m * d);
    philoxFill(ends, 'normal', key, 3 * b);
    if (path.space === 'w') ends = await path.sample!(ends, 2 * m);
    const ts = new Float64Array(m);
    philoxFill(ts, 'uniform', key, 3 * b + 1);
    // Rows 0..m-1 at t, rows m..2m-1 at t + ε.
    const codes = new Float64Array(2 * m * d);
    for (let i = 0; i < m; i++) {
      const a = ends.subarray(2 * i * d, (2 * i + 1) * d);
      const c = ends.subarray((2 * i + 1) * d, (2 * i + 2) * d);
      interpolate(a, c, ts[i]!, codes, i * d);
      interpolate(a, c, ts[i]! + epsilon, codes, (m + i) * d);
    }
    const images = await path.decode(codes, 2 * m);
    const { features } = await extractor.extract(images);
    images.dispose();
    const f = extractor.featureDim;
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let k = 0; k < f; k++) s += (features[i * f + k]! - features[(m + i) * f + k]!) ** 2;
      distances[start + i] = s / (epsilon * epsilon);
    }
  }
  const { mean, kept } = trimmedMean(distances);
  return { mean, kept, n, epsilon, space: path.space };
}
