/**
 * Connectionist temporal classification (Graves et al., 2006): the negative log-likelihood of a
 * target sequence summed over every alignment of it to the input frames, by the forward
 * (alpha) recursion in log space. Written with differentiable ops (a gather of the target
 * labels' log-probabilities, then one logsumexp of three shifted copies per frame), so it runs on
 * every backend and autograd gives the exact gradient with respect to the log-probabilities.
 * (PyTorch's own CTC gradient assumes normalized inputs; through a log_softmax both agree.)
 */
import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, composite, readSync, requireFloat } from './core.js';
import { full, tensor } from './creation.js';
import { add, div, gt, neg, where } from './elementwise.js';
import { takeAlongAxis } from './indexing.js';
import { applyReduction, type Reduction } from './losses.js';
import { logsumexp, mean } from './reduce.js';
import { cat, expand, slice, stack } from './shapeops.js';

/** Stands for log 0: finite, so logsumexp and its gradient stay defined where no path exists. */
const LOG_ZERO = -1e30;

/** Options of ctcLoss (torch.nn.functional.ctc_loss's). */
export interface CtcLossOptions {
  /** The blank label's class index (default 0). */
  blank?: number;
  /** 'mean' (default: each loss divided by its target length, then averaged, as PyTorch), 'sum' or 'none' ([B]). */
  reduction?: Reduction;
  /** Replace infinite losses (targets too long for their inputs) and their gradients by 0. */
  zeroInfinity?: boolean;
}

/** Integers from an array or a tensor on a backend that reads synchronously. */
function hostInts(op: string, name: string, v: Tensor | readonly number[]): number[] {
  if (Array.isArray(v)) return v.map(Number);
  const t = v as Tensor;
  checkInputs(op, t);
  if (t.dtype !== 'int32') throw new DTypeError(`${op}: ${name} must be int32 (or an array), got ${t.dtype} with shape ${fmtShape(t.shape)}`);
  return Array.from(readSync(t, `${op} (${name}: pass an array or a CPU tensor)`), Number);
}

/**
 * CTC loss of logProbs [T, N, C] (log-softmax over C) against targets [N, S] (padded) or the
 * targets of the batch concatenated [Σ targetLengths], with per-sample input and target lengths.
 * 'mean' divides each loss by its target length, then averages, as PyTorch. @torch torch.nn.functional.ctc_loss
 */
export function ctcLoss(logProbs: Tensor, targets: Tensor | readonly number[], inputLengths: Tensor | readonly number[], targetLengths: Tensor | readonly number[], opts: CtcLossOptions = {}): Tensor {
  const op = 'ctcLoss';
  checkInputs(op, logProbs);
  requireFloat(op, logProbs, 'logProbs');
  if (logProbs.shape.length !== 3) throw new ShapeError(`${op}: logProbs must be [T, N, C], got ${fmtShape(logProbs.shape)}`);
  const [frames, batch, classes] = logProbs.shape as [number, number, number];
  const { blank = 0, reduction = 'mean', zeroInfinity = false } = opts;
  if (!Number.isInteger(blank) || blank < 0 || blank >= classes) throw new ArgumentError(`${op}: blank must be a class index in [0, ${classes}), got ${blank} (logProbs ${fmtShape(logProbs.shape)})`);
  const inLens = hostInts(op, 'inputLengths', inputLengths);
  const tgLens = hostInts(op, 'targetLengths', targetLengths);
  const flat = hostInts(op, 'targets', targets);
  const targetShape = Array.isArray(targets) ? [flat.length] : [...(targets as Tensor).shape];
  if (inLens.length !== batch || tgLens.length !== batch) throw new ShapeError(`${op}: inputLengths (${inLens.length}) and targetLengths (${tgLens.length}) need one entry per batch element of logProbs ${fmtShape(logProbs.shape)}`);
  inLens.forEach((l, n) => {
    if (!Number.isInteger(l) || l < 0 || l > frames) throw new ArgumentError(`${op}: inputLengths[${n}] = ${l} is outside [0, ${frames}] (logProbs ${fmtShape(logProbs.shape)})`);
  });
  const padded = targetShape.length === 2;
  if (!padded && (targetShape.length !== 1 || flat.length !== tgLens.reduce((a, b) => a + b, 0))) {
    throw new ShapeError(`${op}: targets ${fmtShape(targetShape)} must be [N, S] or the concatenation of all targets [Σ targetLengths = ${tgLens.reduce((a, b) => a + b, 0)}]`);
  }
  if (padded && targetShape[0] !== batch) throw new ShapeError(`${op}: targets ${fmtShape(targetShape)} must have ${batch} rows for logProbs ${fmtShape(logProbs.shape)}`);
  const longest = Math.max(0, ...tgLens);
  const rowsOf: number[][] = [];
  let offset = 0;
  tgLens.forEach((len, n) => {
    if (!Number.isInteger(len) || len < 0 || (padded && len > targetShape[1]!)) throw new ArgumentError(`${op}: targetLengths[${n}] = ${len} does not fit targets ${fmtShape(targetShape)}`);
    const row = padded ? flat.slice(n * targetShape[1]!, n * targetShape[1]! + len) : flat.slice(offset, offset + len);
    offset += len;
    row.forEach((c) => {
      if (!Number.isInteger(c) || c < 0 || c >= classes || c === blank) throw new ArgumentError(`${op}: target ${c} of sample ${n} is not a non-blank class in [0, ${classes}) (blank ${blank})`);
    });
    rowsOf.push(row);
  });
  // The extended label sequence per sample: blank, l1, blank, l2, ..., blank (padded with blanks).
  const width = 2 * longest + 1;
  const labels = new Int32Array(batch * width).fill(blank);
  const skip = new Uint8Array(batch * width);
  const ends = new Int32Array(batch * 2);
  rowsOf.forEach((row, n) => {
    row.forEach((c, i) => (labels[n * width + 2 * i + 1] = c));
    // A path may jump from label i - 1 to label i over the blank between them when they differ.
    for (let i = 1; i < row.length; i++) if (row[i] !== row[i - 1]) skip[n * width + 2 * i + 1] = 1;
    ends[2 * n] = 2 * row.length;
    ends[2 * n + 1] = Math.max(2 * row.length - 1, 0);
  });
  const lengthZero = Uint8Array.from(rowsOf, (r) => (r.length === 0 ? 1 : 0));
  const place = { device: logProbs.device };
  return composite([logProbs], () => {
    const index = expand(tensor(labels, { shape: [1, batch, width], dtype: 'int32', ...place }), [frames, batch, width]);
    const lp = takeAlongAxis(logProbs, index, 2); // [T, N, width]
    const frame = (t: number) => slice(lp, [t]);
    const skipMask = tensor(skip, { shape: [batch, width], dtype: 'bool', ...place });
    const start = tensor(Uint8Array.from({ length: batch * width }, (_, i) => (i % width < 2 ? 1 : 0)), { shape: [batch, width], dtype: 'bool', ...place });
    const neg2 = full([batch, 2], LOG_ZERO, { dtype: logProbs.dtype, ...place });
    let alpha = where(start, frame(0), LOG_ZERO);
    for (let t = 1; t < frames; t++) {
      const shifted = cat([neg2, alpha], 1); // [N, width + 2]: shifted[s + 2] = alpha[s]
      const by1 = slice(shifted, [null, { start: 1, stop: width + 1 }]);
      const by2 = where(skipMask, slice(shifted, [null, { start: 0, stop: width }]), LOG_ZERO);
      const next = add(logsumexp(stack([alpha, by1, by2], 0), 0), frame(t));
      // Samples whose input has ended keep their last alpha.
      const running = tensor(Uint8Array.from(inLens, (l) => (t < l ? 1 : 0)), { shape: [batch, 1], dtype: 'bool', ...place });
      alpha = where(running, next, alpha);
    }
    const last = takeAlongAxis(alpha, tensor(ends, { shape: [batch, 2], dtype: 'int32', ...place }), 1);
    const onlyBlank = tensor(Uint8Array.from({ length: batch * 2 }, (_, i) => (i % 2 === 1 && lengthZero[i >> 1] ? 1 : 0)), { shape: [batch, 2], dtype: 'bool', ...place });
    const nll = neg(logsumexp(where(onlyBlank, LOG_ZERO, last), 1));
    // No input frames, or a target longer than its input allows: the likelihood is 0.
    const empty = tensor(Uint8Array.from(inLens, (l) => (l === 0 ? 1 : 0)), { shape: [batch], dtype: 'bool', ...place });
    const impossible = gt(where(empty, -LOG_ZERO, nll), -LOG_ZERO / 10);
    const losses = where(impossible, zeroInfinity ? 0 : Infinity, nll);
    if (reduction !== 'mean') return applyReduction(op, losses, reduction);
    const lengths = tensor(Float64Array.from(tgLens, (l) => Math.max(l, 1)), { shape: [batch], dtype: logProbs.dtype, ...place });
    return mean(div(losses, lengths));
  });
}
