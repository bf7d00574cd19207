/**
 * Pooling over NCHW: max and average (kernel, stride, padding), adaptive and global average.
 *
 * Max and average run the pool2d primitive; their gradients run pool2dGrad, itself recorded so
 * second derivatives work: average pooling's gradient is linear with average pooling as its
 * adjoint, and max pooling's gradient is a routing whose adjoint (selecting each window's
 * maximum position) is a masked sum pool when windows do not overlap. Adaptive pooling is a
 * separable linear map (see resample.ts).
 */
import type { Pool2dArgs } from '../backend/backend.js';
import { record } from '../autograd.js';
import { ArgumentError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkFits, checkInputs, composite, named, requireFloat, wrap } from './core.js';
import { maxPool2dWithIndices, type MaxPool2dOptions } from './pool-extra.js';
import { ones } from './creation.js';
import { mul } from './elementwise.js';
import { mean } from './reduce.js';
import { adaptiveAverageMap, applyAxisMap } from './resample.js';
import { adaptivePoolSizes, checkRank, explicitPadding, intPair, windowOutput, type Padding2d, type Pair } from './spatial.js';

type Shape4 = readonly [number, number, number, number];
type PoolOp = 'max' | 'avg';

/** Options of `maxPool2d` and `avgPool2d`, as `torch.nn.functional.max_pool2d`'s. */
export interface Pool2dOptions {
  /** Default: the kernel size. */
  stride?: Pair;
  /** A number, [vertical, horizontal] or [top, bottom, left, right]; each side at most half the kernel. */
  padding?: Padding2d;
}

/** Options of `avgPool2d`, as `torch.nn.functional.avg_pool2d`'s. */
export interface AvgPool2dOptions extends Pool2dOptions {
  /** Whether padded cells count in the divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
}

function pool(op: PoolOp, x: Tensor, args: Pool2dArgs, outShape: Shape4): Tensor {
  const name = op === 'max' ? 'maxPool2d' : 'avgPool2d';
  const backend = checkInputs(name, x);
  checkFits(name, backend, outShape, x.dtype);
  const out = wrap(backend, backend.pool2d(op, x, args), outShape, x.dtype);
  return record(out, name, [x], (g) => [poolGrad(op, x, g, args)]);
}

/** The gradient of pool(x) from gy; a function of gy only (x fixes which cell each window picks). */
function poolGrad(op: PoolOp, x: Tensor, gy: Tensor, args: Pool2dArgs): Tensor {
  const name = op === 'max' ? 'maxPool2dBackward' : 'avgPool2dBackward';
  const backend = checkInputs(name, x, gy);
  const out = wrap(backend, backend.pool2dGrad(op, x, gy, args), x.shape, x.dtype);
  const outShape = gy.shape as unknown as Shape4;
  return record(out, name, [gy], (g) => [op === 'avg' ? pool('avg', g, args, outShape) : selectMaxima(x, g, args, outShape)]);
}

/**
 * g at each window's maximum position (the adjoint of max pooling's gradient routing). With
 * non-overlapping windows every input cell belongs to at most one window, so masking g by the
 * maxima and summing each window (an average pool times the window size) picks exactly that cell.
 */
function selectMaxima(x: Tensor, g: Tensor, args: Pool2dArgs, outShape: Shape4): Tensor {
  const [kh, kw] = args.kernel;
  if (args.stride[0] < kh || args.stride[1] < kw) {
    throw new ArgumentError(
      `maxPool2d: second derivatives need non-overlapping windows (stride [${args.stride.join(', ')}] >= kernel [${kh}, ${kw}])`,
    );
  }
  const maxima = poolGrad('max', x, ones(outShape, { dtype: g.dtype, device: g.device }), args);
  const sumArgs: Pool2dArgs = { ...args, countIncludePad: true };
  return mul(pool('avg', mul(g, maxima), sumArgs, outShape), kh * kw);
}

function poolArgs(name: string, x: Tensor, kernelSize: Pair, opts: AvgPool2dOptions): { args: Pool2dArgs; outShape: Shape4 } {
  checkInputs(name, x);
  checkRank(name, 'input', x, 4, 'N, C, H, W');
  requireFloat(name, x);
  const kernel = intPair(name, 'kernelSize', kernelSize);
  const stride = intPair(name, 'stride', opts.stride ?? kernel);
  const padding = explicitPadding(name, opts.padding ?? 0);
  if (padding[0] > kernel[0] / 2 || padding[1] > kernel[0] / 2 || padding[2] > kernel[1] / 2 || padding[3] > kernel[1] / 2) {
    throw new ArgumentError(`${name}: padding [${padding.join(', ')}] must be at most half the kernel [${kernel.join(', ')}] on every side`);
  }
  const [ho, wo] = windowOutput(name, x, kernel, stride, padding, [1, 1]);
  const [n, c] = x.shape as [number, number];
  return { args: { kernel, stride, padding, countIncludePad: opts.countIncludePad ?? true }, outShape: [n, c, ho, wo] };
}

/**
 * Max over each window of x [N, C, H, W]; padded cells never win. With `dilation` or `ceilMode`
 * it runs as the composite of maxPool2dWithIndices (src/ops/pool-extra.ts).
 */
export function maxPool2d(x: Tensor, kernelSize: Pair, opts: Pool2dOptions & { dilation?: Pair; ceilMode?: boolean } = {}): Tensor {
  if ((opts.dilation !== undefined && opts.dilation !== 1) || opts.ceilMode) {
    return named('maxPool2d', () => maxPool2dWithIndices(x, kernelSize, opts as MaxPool2dOptions).values);
  }
  const { args, outShape } = poolArgs('maxPool2d', x, kernelSize, opts);
  return pool('max', x, args, outShape);
}

/** Mean over each window of x [N, C, H, W]. */
export function avgPool2d(x: Tensor, kernelSize: Pair, opts: AvgPool2dOptions = {}): Tensor {
  const { args, outShape } = poolArgs('avgPool2d', x, kernelSize, opts);
  return pool('avg', x, args, outShape);
}

/** Average pooling to a fixed output size, with PyTorch's window boundaries. */
export function adaptiveAvgPool2d(x: Tensor, outputSize: Pair): Tensor {
  const [oh, ow, h, w] = adaptivePoolSizes('adaptiveAvgPool2d', x, outputSize);
  return composite([x], () => applyAxisMap(applyAxisMap(x, 2, adaptiveAverageMap(h, oh)), 3, adaptiveAverageMap(w, ow)));
}

/** Mean over H and W of x [N, C, H, W], keeping them as size 1: [N, C, 1, 1]. */
export function globalAvgPool2d(x: Tensor): Tensor {
  checkInputs('globalAvgPool2d', x);
  checkRank('globalAvgPool2d', 'input', x, 4, 'N, C, H, W');
  return mean(x, [2, 3], true);
}
