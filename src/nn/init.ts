/**
 * Weight initialisation, as torch.nn.init: functions ending in `_` overwrite a tensor's values in
 * place (the same object, so they work on a module's parameters) and return it. Random draws use
 * the global generator (`manualSeed`), so initialisation is reproducible and device-independent.
 */
import { ArgumentError, ShapeError, fmtShape } from '../errors.js';
import { noGrad } from '../autograd.js';
import { tidy } from '../memory.js';
import { add, full, mul, rand, randn, tensor } from '../ops/index.js';
import type { Tensor } from '../tensor.js';

/** The activation a layer's output goes through, for calculateGain (PyTorch's names in camelCase). */
export type Nonlinearity =
  | 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'convTranspose1d' | 'convTranspose2d' | 'convTranspose3d'
  | 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu' | 'selu';

/** Which fan Kaiming init scales by: 'fanIn' keeps the forward pass's variance, 'fanOut' the backward pass's. */
export type FanMode = 'fanIn' | 'fanOut';

/** The recommended gain for a nonlinearity (torch.nn.init.calculate_gain). `param` is leakyRelu's slope. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'leakyRelu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu': return 3 / 4;
    default: return 1;
  }
}

/** [fanIn, fanOut] of a weight laid out as PyTorch's: [out, in, ...kernel] (transposed convs: [in, out, ...]). */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  if (t.shape.length < 2) {
    throw new ShapeError(`init: fan in and fan out need a tensor with at least 2 dims, got ${fmtShape(t.shape)}`);
  }
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return [t.shape[1]! * receptive, t.shape[0]! * receptive];
}

/** Replace `t`'s values with `make()`'s, which has t's shape (the temporaries are freed). */
function overwrite(t: Tensor, make: () => Tensor): Tensor {
  noGrad(() => tidy(() => void t.assign_(make())));
  return t;
}

const place = (t: Tensor) => ({ dtype: t.dtype, device: t.device });

/** Fills `t` in place with draws from U(a, b) (default U(0, 1)); returns `t`. */
export function uniform_(t: Tensor, a = 0, b = 1): Tensor {
  return overwrite(t, () => add(mul(rand(t.shape, place(t)), b - a), a));
}

/** Fills `t` in place with draws from N(mean, std²) (default N(0, 1)); returns `t`. */
export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  return overwrite(t, () => add(mul(randn(t.shape, place(t)), std), mean));
}

/** Fills `t` in place with `value`; returns `t`. */
export function constant_(t: Tensor, value: number): Tensor {
  return overwrite(t, () => full(t.shape, value, place(t)));
}

/** Fills `t` in place with 0; returns `t`. */
export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
/** Fills `t` in place with 1; returns `t`. */
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);

/** Glorot & Bengio (2010): U(-a, a) with a = gain * sqrt(6 / (fanIn + fanOut)). */
export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -bound, bound);
}

/** Glorot & Bengio (2010): N(0, std^2) with std = gain * sqrt(2 / (fanIn + fanOut)). */
export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}

/** Options of kaimingUniform_ and kaimingNormal_ (He et al. 2015), as torch.nn.init's. */
export interface KaimingOptions {
  /** leakyRelu's negative slope (PyTorch's layers use sqrt(5) for their default init). */
  a?: number;
  /** The fan the variance is scaled by (default 'fanIn'). */
  mode?: FanMode;
  /** The activation after the layer, for the gain (default 'leakyRelu', with slope `a`). */
  nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, opts: KaimingOptions): number {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const fan = (opts.mode ?? 'fanIn') === 'fanIn' ? fanIn : fanOut;
  if (fan === 0) throw new ShapeError(`init: cannot initialise an empty tensor of shape ${fmtShape(t.shape)}`);
  return calculateGain(opts.nonlinearity ?? 'leakyRelu', opts.a ?? 0) / Math.sqrt(fan);
}

/** He et al. (2015): U(-b, b) with b = gain * sqrt(3 / fan). */
export function kaimingUniform_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, opts);
  return uniform_(t, -bound, bound);
}

/** He et al. (2015): N(0, (gain / sqrt(fan))^2). */
export function kaimingNormal_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd(t, opts));
}

/**
 * Saxe et al. (2014): a (semi-)orthogonal matrix times `gain`, from the QR decomposition of a
 * Gaussian matrix with R's diagonal made positive (so the result is uniformly distributed).
 * Dims after the first are flattened. The decomposition runs on the host in float64.
 */
export function orthogonal_(t: Tensor, gain = 1): Tensor {
  if (t.shape.length < 2) throw new ShapeError(`orthogonal_: needs at least 2 dims, got ${fmtShape(t.shape)}`);
  const rows = t.shape[0]!;
  const cols = t.size / rows;
  const gaussian = randn([rows, cols], { dtype: 'float64', device: 'cpu' });
  const a = Float64Array.from(gaussian.dataSync());
  gaussian.dispose();
  const transposed = rows < cols;
  const [n, m] = transposed ? [cols, rows] : [rows, cols];
  // Column j of the n x m matrix A (A = the Gaussian, or its transpose).
  const col = (j: number) => Float64Array.from({ length: n }, (_, i) => (transposed ? a[j * cols + i]! : a[i * cols + j]!));
  const q: Float64Array[] = [];
  // Modified Gram-Schmidt: R's diagonal (the norms) is positive, which is the sign convention wanted.
  for (let j = 0; j < m; j++) {
    const v = col(j);
    for (const u of q) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += u[i]! * v[i]!;
      for (let i = 0; i < n; i++) v[i]! -= dot * u[i]!;
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += v[i]! * v[i]!;
    norm = Math.sqrt(norm);
    if (norm === 0) throw new ArgumentError('orthogonal_: the random matrix was rank deficient; try again');
    q.push(v.map((x) => x / norm));
  }
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[i * cols + j] = gain * (transposed ? q[i]![j]! : q[j]![i]!);
  }
  return overwrite(t, () => tensor(out, { shape: t.shape, ...place(t) }));
}
