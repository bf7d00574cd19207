/**
 * Sampling from discrete distributions with the library's Philox generator (`manualSeed`):
 * `multinomial`, `categorical` and the relaxed `gumbelSoftmax`.
 *
 * Same seed, same samples on both devices: sampling with replacement inverts the CDF with ops
 * that round identically on the CPU and WebGPU (a sequential float32 cumsum, one multiply, a
 * comparison), so float32 inputs draw bit-identical categories. Paths through exp or log
 * (without replacement, categorical's softmax, Gumbel noise) agree up to float rounding, which can
 * flip a draw that lands within an ulp of a category boundary.
 */
import { ArgumentError, ShapeError, fmtShape } from '../errors.js';
import { normAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, readSync, requireFloat } from './core.js';
import { arange, rand } from './creation.js';
import { add, cast, div, eq, le, log, maximum, minimum, mul, neg, sub } from './elementwise.js';
import { argmax, sum } from './reduce.js';
import { detach, reshape, slice, unsqueeze } from './shapeops.js';
import { cumsum } from './cumsum.js';
import { softmax } from './softmax.js';
import { topk } from './sort.js';

/**
 * `numSamples` int32 category indices per row of the non-negative weights `probs` [..., C]
 * (rows need not sum to 1): output [..., numSamples]. Without replacement (the default, as in
 * PyTorch) numSamples <= C, and the draws use exponential races (top-k of p / Exp(1)).
 */
export function multinomial(probs: Tensor, numSamples: number, opts: { replacement?: boolean } = {}): Tensor {
  checkInputs('multinomial', probs);
  requireFloat('multinomial', probs, 'probs');
  if (probs.shape.length === 0) throw new ShapeError('multinomial: probs must have a category axis, got a scalar');
  const classes = probs.shape.at(-1)!;
  if (!Number.isInteger(numSamples) || numSamples <= 0) {
    throw new ArgumentError(`multinomial: numSamples must be a positive integer, got ${numSamples}`);
  }
  checkRows(probs);
  const replacement = opts.replacement ?? false;
  if (!replacement && numSamples > classes) {
    throw new ArgumentError(`multinomial: cannot draw ${numSamples} samples without replacement from ${classes} categories (probs ${fmtShape(probs.shape)})`);
  }
  const batch = probs.shape.slice(0, -1);
  const uniform = (shape: number[]) => rand(shape, { device: probs.device, dtype: probs.dtype });
  if (!replacement) {
    // Ranking p / Exp(1) orders categories as successive draws without replacement would.
    const keys = div(probs, standardExponential(uniform([...batch, classes])));
    return topk(keys, numSamples).indices;
  }
  const u = uniform([...batch, numSamples]);
  // Inverse CDF: a draw t in [0, total) picks the category c with cdf[c-1] <= t < cdf[c], i.e. the
  // count of cdf entries <= t. Zero-probability categories repeat the previous cdf entry and are never picked.
  const cdf = cumsum(probs, -1);
  const total = slice(cdf, [...batch.map(() => null), { start: classes - 1 }]);
  const t = mul(u, total);
  const below = le(unsqueeze(cdf, -2), unsqueeze(t, -1));
  return minimum(sum(below, -1), classes - 1);
}

/**
 * Every row of the weights must be finite, non-negative and not all zero (torch.multinomial's
 * rule). Checked on the host for CPU tensors; on WebGPU the check would need a readback in the
 * middle of a step, so it is not made there: a NaN row samples category 0 or the last one.
 */
function checkRows(probs: Tensor): void {
  if (probs.device !== 'cpu') return;
  const values = readSync(probs, 'multinomial');
  const classes = probs.shape.at(-1)!;
  for (let row = 0; row * classes < values.length; row++) {
    let total = 0;
    for (let c = 0; c < classes; c++) {
      const v = values[row * classes + c]!;
      if (!(v >= 0) || v === Infinity) {
        throw new ArgumentError(`multinomial: probs must be finite and non-negative, got ${v} in row ${row} of ${fmtShape(probs.shape)}`);
      }
      total += v;
    }
    if (total === 0) throw new ArgumentError(`multinomial: row ${row} of probs ${fmtShape(probs.shape)} sums to 0`);
  }
}

/**
 * Exp(1) draws -log(1 - u) from uniforms u in [0, 1), kept >= 1e-30: u = 0 exactly (one draw in
 * 2^24 in float32) would give 0, and the Gumbel noise -log(0) = +inf made whole softmax rows NaN
 * (a dVAE step of 64x128x7x7 tokens hit it within ~40 steps). The cut changes the distribution
 * only below probability 1e-30.
 */
export function standardExponential(u: Tensor): Tensor {
  return maximum(neg(log(sub(1, u))), 1e-30);
}

/**
 * Draws from softmax(logits / temperature) along the last axis: [...] (one draw per row), or
 * [..., numSamples] when `numSamples` is given. Temperature 0 is not a distribution: use argmax.
 */
export function categorical(logits: Tensor, opts: { temperature?: number; numSamples?: number } = {}): Tensor {
  checkInputs('categorical', logits);
  const temperature = opts.temperature ?? 1;
  if (!(temperature > 0)) throw new ArgumentError(`categorical: temperature must be > 0, got ${temperature} (use argmax for greedy decoding)`);
  const probs = softmax(temperature === 1 ? logits : div(logits, temperature), -1);
  const draws = multinomial(probs, opts.numSamples ?? 1, { replacement: true });
  return opts.numSamples === undefined ? reshape(draws, logits.shape.slice(0, -1)) : draws;
}

/**
 * softmax((logits + Gumbel noise) / tau) along `axis`: a differentiable relaxation of a categorical
 * draw. With `hard`, the forward value is the one-hot of the argmax, while the gradient is the soft
 * sample's (straight-through: onehot - stopgrad(y) + y).
 */
export function gumbelSoftmax(logits: Tensor, opts: { tau?: number; hard?: boolean; axis?: number } = {}): Tensor {
  checkInputs('gumbelSoftmax', logits);
  requireFloat('gumbelSoftmax', logits, 'logits');
  const tau = opts.tau ?? 1;
  if (!(tau > 0)) throw new ArgumentError(`gumbelSoftmax: tau must be > 0, got ${tau}`);
  const axis = normAxis('gumbelSoftmax', opts.axis ?? -1, logits.shape.length, logits.shape);
  // Gumbel(0, 1) = -log(Exp(1)).
  const gumbel = neg(log(standardExponential(rand(logits.shape, { device: logits.device, dtype: logits.dtype }))));
  const soft = softmax(div(add(logits, gumbel), tau), axis);
  if (!opts.hard) return soft;
  const shape = logits.shape.map((d, i) => (i === axis ? d : 1));
  const positions = reshape(arange(logits.shape[axis]!, undefined, 1, { device: logits.device }), shape);
  const hard = cast(eq(positions, argmax(soft, axis, true)), logits.dtype);
  return add(sub(hard, detach(soft)), soft);
}
