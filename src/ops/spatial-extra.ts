/**
 * 1-D convolution and pooling, im2col as an op (unfold / fold), and RMS norm. The 1-D ops are
 * the 2-D kernels on an [N, C, 1, L] view; unfold is a grouped convolution with one-hot kernels
 * (each output channel copies one kernel tap of one channel, exactly, as multiplying by 1 and
 * adding zeros rounds nothing) and fold is its adjoint, the transposed convolution with the same
 * kernels, so both run on every backend with their gradients.
 */
import { ArgumentError, ShapeError, fmtShape } from '../errors.js';
import { normAxes, requireNumberList } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, composite, requireFloat } from './core.js';
import { conv2d, convTranspose2d } from './conv.js';
import { tensor } from './creation.js';
import { add, mul, rsqrt, square } from './elementwise.js';
import { avgPool2d, maxPool2d } from './pool.js';
import { mean } from './reduce.js';
import { reshape, squeeze, unsqueeze } from './shapeops.js';
import { checkRank, intPair, type Pair } from './spatial.js';

function positiveInt(op: string, name: string, v: number, min = 1): number {
  if (!Number.isInteger(v) || v < min) throw new ArgumentError(`${op}: ${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

/** Options of conv1d (torch.nn.functional.conv1d's). */
export interface Conv1dOptions {
  /** Step between windows (default 1). */
  stride?: number;
  /** Zeros on both ends (a number), or 'same' / 'valid'. */
  padding?: number | 'same' | 'valid';
  /** Spacing between kernel taps (default 1). */
  dilation?: number;
  /** Channel groups convolved separately; must divide both channel counts (default 1). */
  groups?: number;
}

/** 1-D convolution of x [N, C, L] with weight [O, C / groups, k] (+ bias [O]). @torch torch.nn.functional.conv1d */
export function conv1d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv1dOptions = {}): Tensor {
  const op = 'conv1d';
  checkInputs(op, x, weight);
  checkRank(op, 'input', x, 3, 'N, C, L');
  checkRank(op, 'weight', weight, 3, 'O, C / groups, k');
  const p = opts.padding ?? 0;
  const padding = typeof p === 'string' ? p : ([0, 0, positiveInt(op, 'padding', p, 0), p] as const);
  return composite([x, weight, ...(bias ? [bias] : [])], () => squeeze(conv2d(unsqueeze(x, 2), unsqueeze(weight, 2), bias, {
    stride: [1, positiveInt(op, 'stride', opts.stride ?? 1)],
    dilation: [1, positiveInt(op, 'dilation', opts.dilation ?? 1)],
    padding,
    groups: opts.groups ?? 1,
  }), 2));
}

/** Options of convTranspose1d (torch.nn.functional.conv_transpose1d's). */
export interface ConvTranspose1dOptions {
  /** The output's step per input position (default 1). */
  stride?: number;
  /** Removed from both ends of the output (default 0). */
  padding?: number;
  /** Added to the output's end, to pick among the lengths a stride allows (default 0; less than stride or dilation). */
  outputPadding?: number;
  /** Spacing between kernel taps (default 1). */
  dilation?: number;
  /** Channel groups convolved separately (default 1). */
  groups?: number;
}

/** Transposed 1-D convolution of x [N, Cin, L] with weight [Cin, Cout / groups, k]. @torch torch.nn.functional.conv_transpose1d */
export function convTranspose1d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: ConvTranspose1dOptions = {}): Tensor {
  const op = 'convTranspose1d';
  checkInputs(op, x, weight);
  checkRank(op, 'input', x, 3, 'N, Cin, L');
  checkRank(op, 'weight', weight, 3, 'Cin, Cout / groups, k');
  const p = positiveInt(op, 'padding', opts.padding ?? 0, 0);
  return composite([x, weight, ...(bias ? [bias] : [])], () => squeeze(convTranspose2d(unsqueeze(x, 2), unsqueeze(weight, 2), bias, {
    stride: [1, positiveInt(op, 'stride', opts.stride ?? 1)],
    dilation: [1, positiveInt(op, 'dilation', opts.dilation ?? 1)],
    padding: [0, 0, p, p],
    outputPadding: [0, positiveInt(op, 'outputPadding', opts.outputPadding ?? 0, 0)],
    groups: opts.groups ?? 1,
  }), 2));
}

/** Options of maxPool1d and avgPool1d. */
export interface Pool1dOptions {
  /** Default: the kernel size. */
  stride?: number;
  /** Padding on both ends, at most half the kernel (default 0). */
  padding?: number;
}

function pool1d(op: string, x: Tensor, kernelSize: number, opts: Pool1dOptions & { countIncludePad?: boolean }, max: boolean): Tensor {
  checkInputs(op, x);
  checkRank(op, 'input', x, 3, 'N, C, L');
  const k = positiveInt(op, 'kernelSize', kernelSize);
  const p = positiveInt(op, 'padding', opts.padding ?? 0, 0);
  const options = { stride: [1, positiveInt(op, 'stride', opts.stride ?? k)] as const, padding: [0, 0, p, p] as const };
  return composite([x], () => {
    const planar = unsqueeze(x, 2);
    const pooled = max ? maxPool2d(planar, [1, k], options) : avgPool2d(planar, [1, k], { ...options, countIncludePad: opts.countIncludePad ?? true });
    return squeeze(pooled, 2);
  });
}

/** Max over windows of x [N, C, L]. @torch torch.nn.functional.max_pool1d */
export const maxPool1d = (x: Tensor, kernelSize: number, opts: Pool1dOptions = {}): Tensor => pool1d('maxPool1d', x, kernelSize, opts, true);

/** Mean over windows of x [N, C, L] (padded cells count unless countIncludePad is false). @torch torch.nn.functional.avg_pool1d */
export const avgPool1d = (x: Tensor, kernelSize: number, opts: Pool1dOptions & { countIncludePad?: boolean } = {}): Tensor => pool1d('avgPool1d', x, kernelSize, opts, false);

/** Options of unfold and fold (torch.nn.functional.unfold's). */
export interface UnfoldOptions {
  /** Spacing between a block's taps (default 1). */
  dilation?: Pair;
  /** Zeros around the image (default 0). */
  padding?: Pair;
  /** Step between blocks (default 1). */
  stride?: Pair;
}

/** [C * kh * kw, 1, kh, kw] one-hot kernels: output channel c * kh * kw + t copies tap t of channel c. */
function tapKernels(channels: number, kh: number, kw: number, like: Tensor): Tensor {
  const taps = kh * kw;
  const values = new Float64Array(channels * taps * taps);
  for (let c = 0; c < channels; c++) for (let t = 0; t < taps; t++) values[(c * taps + t) * taps + t] = 1;
  return tensor(values, { shape: [channels * taps, 1, kh, kw], dtype: like.dtype, device: like.device });
}

/**
 * im2col: the sliding kh x kw blocks of x [N, C, H, W] as columns, [N, C * kh * kw, L] with L the
 * number of block positions (ViT patches, locally connected layers). @torch torch.nn.functional.unfold
 */
export function unfold(x: Tensor, kernelSize: Pair, opts: UnfoldOptions = {}): Tensor {
  const op = 'unfold';
  checkInputs(op, x);
  checkRank(op, 'input', x, 4, 'N, C, H, W');
  requireFloat(op, x);
  const [kh, kw] = intPair(op, 'kernelSize', kernelSize);
  const [ph, pw] = intPair(op, 'padding', opts.padding ?? 0, 0);
  const [n, c] = x.shape as [number, number];
  return composite([x], () => {
    const cols = conv2d(x, tapKernels(c, kh, kw, x), null, { stride: opts.stride ?? 1, dilation: opts.dilation ?? 1, padding: [ph, pw], groups: c });
    return reshape(cols, [n, c * kh * kw, -1]);
  });
}

/**
 * col2im, the adjoint of unfold: columns [N, C * kh * kw, L] summed back into [N, C, H, W]
 * (overlapping blocks add up). @torch torch.nn.functional.fold
 */
export function fold(cols: Tensor, outputSize: Pair, kernelSize: Pair, opts: UnfoldOptions = {}): Tensor {
  const op = 'fold';
  checkInputs(op, cols);
  checkRank(op, 'input', cols, 3, 'N, C * kh * kw, L');
  requireFloat(op, cols);
  const [h, w] = intPair(op, 'outputSize', outputSize);
  const [kh, kw] = intPair(op, 'kernelSize', kernelSize);
  const [ph, pw] = intPair(op, 'padding', opts.padding ?? 0, 0);
  const [sh, sw] = intPair(op, 'stride', opts.stride ?? 1);
  const [dh, dw] = intPair(op, 'dilation', opts.dilation ?? 1);
  const [n, ck, l] = cols.shape as [number, number, number];
  const blocks = (size: number, k: number, p: number, s: number, d: number) => Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;
  const [bh, bw] = [blocks(h, kh, ph, sh, dh), blocks(w, kw, pw, sw, dw)];
  if (ck % (kh * kw) !== 0 || bh <= 0 || bw <= 0 || bh * bw !== l) {
    throw new ShapeError(`${op}: input ${fmtShape(cols.shape)} does not hold C * ${kh * kw} rows of ${Math.max(bh, 0) * Math.max(bw, 0)} blocks for output ${h}x${w} (kernel ${kh}x${kw}, padding [${ph}, ${pw}], stride [${sh}, ${sw}], dilation [${dh}, ${dw}])`);
  }
  const c = ck / (kh * kw);
  // The transposed convolution's natural size can fall short of the output by less than a stride.
  const natural = (b: number, k: number, p: number, s: number, d: number) => (b - 1) * s - 2 * p + d * (k - 1) + 1;
  return composite([cols], () => convTranspose2d(reshape(cols, [n, ck, bh, bw]), tapKernels(c, kh, kw, cols), null, {
    stride: [sh, sw], dilation: [dh, dw], padding: [ph, pw],
    outputPadding: [h - natural(bh, kh, ph, sh, dh), w - natural(bw, kw, pw, sw, dw)],
    groups: c,
  }));
}

const FLOAT32_EPS = 2 ** -23;

/**
 * x / sqrt(mean(x^2) + eps) over the last `normalizedShape.length` dims, times `weight` (of
 * normalizedShape) when given; eps defaults to the dtype's machine epsilon, as PyTorch. @torch torch.nn.functional.rms_norm
 */
export function rmsNorm(x: Tensor, normalizedShape: readonly number[], weight: Tensor | null = null, eps?: number): Tensor {
  const op = 'rmsNorm';
  checkInputs(op, x, ...(weight ? [weight] : []));
  requireFloat(op, x);
  requireNumberList(op, 'normalizedShape', normalizedShape);
  const k = normalizedShape.length;
  if (k === 0 || k > x.shape.length || normalizedShape.some((d, i) => d !== x.shape[x.shape.length - k + i])) {
    throw new ShapeError(`${op}: normalizedShape ${fmtShape(normalizedShape)} must be the trailing dims of the input ${fmtShape(x.shape)}`);
  }
  if (weight && (weight.shape.length !== k || weight.shape.some((d, i) => d !== normalizedShape[i]))) {
    throw new ShapeError(`${op}: weight ${fmtShape(weight.shape)} must have normalizedShape ${fmtShape(normalizedShape)}`);
  }
  const epsilon = eps ?? (x.dtype === 'float64' ? Number.EPSILON : FLOAT32_EPS);
  if (!(epsilon >= 0)) throw new ArgumentError(`${op}: eps must be non-negative, got ${eps}`);
  const axes = normAxes(op, normalizedShape.map((_, i) => i - k), x.shape);
  return composite([x, ...(weight ? [weight] : [])], () => {
    const y = mul(x, rsqrt(add(mean(square(x), axes, true), epsilon)));
    return weight ? mul(y, weight) : y;
  });
}
