/**
 * Local response normalization (AlexNet's cross-channel normalization): each value divided by
 * (k + alpha * mean of the squares over `size` neighbouring channels)^beta. Written as PyTorch
 * writes it, an average pool over the channel axis of the zero-padded squares, so it runs on every
 * backend and its gradient flows through pad, pool and pow.
 */
import { ArgumentError, ShapeError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, composite, requireFloat } from './core.js';
import { add, div, mul, pow, square } from './elementwise.js';
import { avgPool2d } from './pool.js';
import { pad, reshape } from './shapeops.js';

/**
 * x / (k + alpha / size * Σ x_c'^2)^beta over the `size` channels c' from c - ⌊size/2⌋ to
 * c + ⌊(size - 1)/2⌋ (missing channels count as zeros), for x [N, C, ...] with at least 3 dims.
 * @torch torch.nn.functional.local_response_norm
 */
export function localResponseNorm(x: Tensor, size: number, alpha = 1e-4, beta = 0.75, k = 1): Tensor {
  const op = 'localResponseNorm';
  checkInputs(op, x);
  requireFloat(op, x);
  if (x.shape.length < 3) throw new ShapeError(`${op}: input must be [N, C, ...] with at least 3 dims, got ${fmtShape(x.shape)}`);
  if (!Number.isInteger(size) || size < 1) throw new ArgumentError(`${op}: size must be a positive integer, got ${JSON.stringify(size)} (input ${fmtShape(x.shape)})`);
  for (const [name, v] of [['alpha', alpha], ['beta', beta], ['k', k]] as const) {
    if (!Number.isFinite(v)) throw new ArgumentError(`${op}: ${name} must be a finite number, got ${v} (input ${fmtShape(x.shape)})`);
  }
  const [n, c] = x.shape as [number, number];
  const rest = x.shape.slice(2).reduce((a, b) => a * b, 1);
  return composite([x], () => {
    // [N, 1, C, rest]: the channel axis becomes the pooled height.
    const squares = pad(reshape(square(x), [n, 1, c, rest]), [0, 0, Math.floor(size / 2), Math.floor((size - 1) / 2)]);
    const meanSquares = reshape(avgPool2d(squares, [size, 1], { stride: 1 }), x.shape);
    return div(x, pow(add(mul(meanSquares, alpha), k), beta));
  });
}
