/**
 * 2-D convolution and transposed convolution (NCHW activations, OIHW weights, as PyTorch).
 *
 * Three differentiable primitives carry everything: the convolution, its input gradient and its
 * weight gradient. The backward rule of each is written with the other two (the operator is
 * bilinear in input and weight), so second derivatives through either op work, as gradient
 * penalties (WGAN-GP, R1) need. Transposed convolution's forward pass *is* the input gradient.
 */
import type { Conv2dArgs, Epilogue } from '../backend/backend.js';
import { isGradEnabled, record } from '../autograd.js';
import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkFits, checkInputs, composite, describeValue, requireFloat, wrap } from './core.js';
import { add, cast, gt, leakyRelu, mul, relu, sigmoid, silu, square, sub, tanh, where } from './elementwise.js';
import { sum } from './reduce.js';
import { reshape } from './shapeops.js';
import {
  checkDivisible, checkGroups, checkRank, convPadding, explicitPadding, intPair, windowOutput,
  type ConvPadding, type Padding2d, type Pair,
} from './spatial.js';

type Shape4 = readonly [number, number, number, number];
/** Named convolution kernels (implicit GEMM or direct), to force one in tests and benchmarks. */
export type ConvVariant = NonNullable<Conv2dArgs['variant']>;
/** Activations a convolution can apply in its kernel's epilogue, after the bias. */
export type Activation = Exclude<Epilogue['activation'], 'none'>;

/**
 * Options of `conv2d`, as `torch.nn.functional.conv2d`'s keyword arguments, plus a fused
 * activation.
 */
export interface Conv2dOptions {
  /** Step of the window (default 1), a number or [vertical, horizontal]. */
  stride?: Pair;
  /** A number, [vertical, horizontal], [top, bottom, left, right], 'same' or 'valid' (default 0). */
  padding?: ConvPadding;
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /**
   * Independent channel groups (default 1); must divide the input channels and the weight's output
   * channels.
   */
  groups?: number;
  /** Applied in the kernel's epilogue, after the bias. */
  activation?: Activation;
  /** leakyRelu's negative slope (default 0.01). */
  negativeSlope?: number;
  /** Force a kernel (tests, benchmarks). */
  variant?: ConvVariant;
}

/** Options of `convTranspose2d`, as `torch.nn.functional.conv_transpose2d`'s. */
export interface ConvTranspose2dOptions {
  /** Upsampling factor (default 1). */
  stride?: Pair;
  /** Removed from the output's borders (default 0), as in PyTorch. */
  padding?: Padding2d;
  /** Extra rows / columns at the bottom / right of the output (each below the stride). */
  outputPadding?: Pair;
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /** Independent channel groups (default 1). */
  groups?: number;
  /** Force a kernel (tests, benchmarks). */
  variant?: ConvVariant;
}

function shape4(t: Tensor): Shape4 {
  return t.shape as unknown as Shape4;
}

// ---- the three differentiable primitives ----

/** y = act(conv(x, w) + bias), one recorded node; the activation's derivative is taken from y. */
function convolve(x: Tensor, w: Tensor, bias: Tensor | null, args: Conv2dArgs, epilogue: Epilogue, outShape: Shape4): Tensor {
  const backend = checkInputs('conv2d', x, w, ...(bias ? [bias] : []));
  checkFits('conv2d', backend, outShape, x.dtype);
  const out = wrap(backend, backend.conv2d(x, w, bias, args, epilogue), outShape, x.dtype);
  return record(out, 'conv2d', bias ? [x, w, bias] : [x, w], (g) => {
    const gz = activationGradient(epilogue, g, out);
    return [
      x.requiresGrad ? convGradInput(gz, w, shape4(x), args) : null,
      w.requiresGrad ? convGradWeight(x, gz, shape4(w), args) : null,
      bias?.requiresGrad ? sum(gz, [0, 2, 3]) : null,
    ];
  });
}

/** gx = conv2d's input gradient from gy and w (= transposed convolution of gy by w). */
function convGradInput(gy: Tensor, w: Tensor, inputShape: Shape4, args: Conv2dArgs): Tensor {
  const backend = checkInputs('conv2dGradInput', gy, w);
  checkFits('conv2dGradInput', backend, inputShape, gy.dtype);
  const out = wrap(backend, backend.conv2dGradInput(gy, w, inputShape, args), inputShape, gy.dtype);
  // <g, GI(gy, w)> = <conv(g, w), gy>: linear in gy through conv, in w through the weight gradient.
  return record(out, 'conv2dGradInput', [gy, w], (g) => [
    gy.requiresGrad ? convolve(g, w, null, args, NO_EPILOGUE, shape4(gy)) : null,
    w.requiresGrad ? convGradWeight(g, gy, shape4(w), args) : null,
  ]);
}

/** gw = conv2d's weight gradient from x and gy. */
function convGradWeight(x: Tensor, gy: Tensor, weightShape: Shape4, args: Conv2dArgs): Tensor {
  const backend = checkInputs('conv2dGradWeight', x, gy);
  checkFits('conv2dGradWeight', backend, weightShape, x.dtype);
  const out = wrap(backend, backend.conv2dGradWeight(x, gy, weightShape, args), weightShape, x.dtype);
  // <g, GW(x, gy)> = <conv(x, g), gy>: the weight gradient's adjoints are the other two primitives.
  return record(out, 'conv2dGradWeight', [x, gy], (g) => [
    x.requiresGrad ? convGradInput(gy, g, shape4(x), args) : null,
    gy.requiresGrad ? convolve(x, g, null, args, NO_EPILOGUE, shape4(gy)) : null,
  ]);
}

const NO_EPILOGUE: Epilogue = { activation: 'none' };

/** d act / d z from the activation's output y (all of these are functions of y alone). */
function activationGradient(epilogue: Epilogue, g: Tensor, y: Tensor): Tensor {
  switch (epilogue.activation) {
    case 'none': return g;
    case 'relu': return mul(g, cast(gt(y, 0), g.dtype));
    // The slope multiplies g itself, so it takes g's dtype (a float64 gradient is not rounded through float32).
    case 'leakyRelu': return where(gt(y, 0), g, mul(g, epilogue.alpha ?? 0.01));
    case 'tanh': return mul(g, sub(1, square(y)));
    case 'sigmoid': return mul(g, mul(y, sub(1, y)));
    case 'silu': throw new ArgumentError('conv2d: silu is not invertible from its output; it is applied unfused when gradients are recorded');
  }
}

/** Whether the fused activation's gradient can be recovered from the output alone. */
function fusable(activation: Activation, slope: number): boolean {
  if (activation === 'silu') return false;
  // A negative slope maps negative inputs to positive outputs: y > 0 would no longer mean z > 0.
  return activation !== 'leakyRelu' || slope >= 0;
}

function applyActivation(z: Tensor, activation: Activation, slope: number): Tensor {
  switch (activation) {
    case 'relu': return relu(z);
    case 'leakyRelu': return leakyRelu(z, slope);
    case 'tanh': return tanh(z);
    case 'sigmoid': return sigmoid(z);
    case 'silu': return silu(z);
  }
}

// ---- argument checks ----

function checkOperands(op: string, x: Tensor, w: Tensor, bias: Tensor | null, biasSize: number): void {
  checkInputs(op, x, w, ...(bias ? [bias] : []));
  checkRank(op, 'input', x, 4, 'N, C, H, W');
  checkRank(op, 'weight', w, 4, op === 'conv2d' ? 'out channels, in channels / groups, kh, kw' : 'in channels, out channels / groups, kh, kw');
  requireFloat(op, x);
  for (const [name, t] of [['weight', w], ['bias', bias]] as const) {
    if (t && t.dtype !== x.dtype) {
      throw new DTypeError(`${op}: ${name} is ${t.dtype} but the input is ${x.dtype} (input ${fmtShape(x.shape)}, ${name} ${fmtShape(t.shape)})`);
    }
  }
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== biasSize)) {
    throw new ShapeError(`${op}: bias must have shape [${biasSize}], got ${fmtShape(bias.shape)} (weight ${fmtShape(w.shape)})`);
  }
}

// ---- public ops ----

/**
 * 2-D convolution (cross-correlation, as every framework) of x [N, C, H, W] with
 * weight [O, C / groups, kh, kw], plus bias [O] and an optional fused activation.
 */
const ACTIVATIONS: readonly Activation[] = ['relu', 'leakyRelu', 'tanh', 'sigmoid', 'silu'];

/** The tensors and the options, checked before anything reads their shapes. */
function checkArgs(op: string, x: Tensor, weight: Tensor, bias: Tensor | null, opts: Conv2dOptions | ConvTranspose2dOptions): void {
  checkInputs(op, x, weight, ...(bias === null || bias === undefined ? [] : [bias]));
  if (opts === null || typeof opts !== 'object') throw new ArgumentError(`${op}: options must be an object, got ${describeValue(opts)}`);
  const activation = (opts as Conv2dOptions).activation;
  if (activation !== undefined && !ACTIVATIONS.includes(activation)) {
    throw new ArgumentError(`${op}: unsupported activation ${JSON.stringify(activation)}; supported: ${ACTIVATIONS.join(', ')} (apply others after the convolution)`);
  }
  const slope = (opts as Conv2dOptions).negativeSlope;
  if (slope !== undefined && !Number.isFinite(slope)) throw new ArgumentError(`${op}: negativeSlope must be a finite number, got ${slope}`);
}

/**
 * 2-D convolution (cross-correlation) of x [N, C, H, W] with weight [O, C / groups, kh, kw] and an
 * optional bias [O], as `torch.nn.functional.conv2d`: output [N, O, H', W'], H' = floor((H + padTop
 * + padBottom - dilation * (kh - 1) - 1) / stride) + 1. Throws `ShapeError` for mismatched channels
 * or shapes and `ArgumentError` for bad options.
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  const op = 'conv2d';
  checkArgs(op, x, weight, bias, opts);
  const groups = opts.groups ?? 1;
  checkGroups(op, groups);
  checkOperands(op, x, weight, bias, weight.shape[0] ?? 0);
  const [n, c, h, w] = shape4(x);
  const [o, cg, kh, kw] = shape4(weight);
  const shapes = `input ${fmtShape(x.shape)}, weight ${fmtShape(weight.shape)}`;
  checkDivisible(op, 'input channels', c, groups, shapes);
  checkDivisible(op, 'output channels (weight dim 0)', o, groups, shapes);
  if (cg * groups !== c) {
    throw new ShapeError(`${op}: the input has ${c} channels but the weight expects ${cg * groups} (${cg} per group x ${groups} groups); ${shapes}`);
  }
  const stride = intPair(op, 'stride', opts.stride ?? 1);
  const dilation = intPair(op, 'dilation', opts.dilation ?? 1);
  const padding = convPadding(op, opts.padding ?? 0, [h, w], [kh, kw], stride, dilation);
  const [ho, wo] = windowOutput(op, x, [kh, kw], stride, padding, dilation);
  const args: Conv2dArgs = { stride, padding, dilation, groups, variant: opts.variant ?? 'auto' };
  const outShape: Shape4 = [n, o, ho, wo];
  const activation = opts.activation;
  if (!activation) return convolve(x, weight, bias, args, NO_EPILOGUE, outShape);
  const slope = opts.negativeSlope ?? 0.01;
  const recording = isGradEnabled() && [x, weight, bias].some((t) => t?.requiresGrad);
  if (recording && !fusable(activation, slope)) {
    return composite([x, weight, ...(bias ? [bias] : [])], () => applyActivation(convolve(x, weight, bias, args, NO_EPILOGUE, outShape), activation, slope));
  }
  return convolve(x, weight, bias, args, { activation, alpha: slope }, outShape);
}

/**
 * Transposed convolution of x [N, Cin, H, W] with weight [Cin, Cout / groups, kh, kw] (PyTorch's
 * layout): the adjoint of conv2d, so H_out = (H - 1) * stride - (top + bottom padding)
 * + dilation * (kh - 1) + outputPadding + 1.
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: ConvTranspose2dOptions = {}): Tensor {
  const op = 'convTranspose2d';
  checkArgs(op, x, weight, bias, opts);
  const groups = opts.groups ?? 1;
  checkGroups(op, groups);
  const coutPerGroup = weight.shape[1] ?? 0;
  checkOperands(op, x, weight, bias, coutPerGroup * groups);
  const [n, cin, h, w] = shape4(x);
  const [wcin, , kh, kw] = shape4(weight);
  const shapes = `input ${fmtShape(x.shape)}, weight ${fmtShape(weight.shape)}`;
  checkDivisible(op, 'input channels', cin, groups, shapes);
  if (wcin !== cin) throw new ShapeError(`${op}: the input has ${cin} channels but the weight expects ${wcin} (weight dim 0); ${shapes}`);
  const stride = intPair(op, 'stride', opts.stride ?? 1);
  const dilation = intPair(op, 'dilation', opts.dilation ?? 1);
  const padding = explicitPadding(op, opts.padding ?? 0);
  const outputPadding = intPair(op, 'outputPadding', opts.outputPadding ?? 0, 0);
  if (outputPadding[0] >= stride[0] || outputPadding[1] >= stride[1]) {
    throw new ArgumentError(`${op}: outputPadding [${outputPadding.join(', ')}] must be smaller than the stride [${stride.join(', ')}]`);
  }
  const size = (axis: 0 | 1, extent: number, kernel: number) =>
    (extent - 1) * stride[axis] - padding[2 * axis]! - padding[2 * axis + 1]! + dilation[axis] * (kernel - 1) + outputPadding[axis] + 1;
  const outShape: Shape4 = [n, coutPerGroup * groups, size(0, h, kh), size(1, w, kw)];
  if (outShape[2] <= 0 || outShape[3] <= 0) {
    throw new ShapeError(`${op}: the padding [${padding.join(', ')}] leaves an empty output (${outShape[2]}x${outShape[3]}); ${shapes}`);
  }
  const args: Conv2dArgs = { stride, padding, dilation, groups, variant: opts.variant ?? 'auto' };
  if (!bias) return convGradInput(x, weight, outShape, args);
  return composite([x, weight, bias], () => add(convGradInput(x, weight, outShape, args), reshape(bias, [1, outShape[1], 1, 1])));
}
