/**
 * Matrix products with NumPy semantics: 1-D operands are promoted and the added dim removed,
 * batch dims broadcast.
 *
 * Everything funnels into one differentiable primitive on 3-D operands, `batchedMatmul`, that
 * knows transposes. Its backward is again `batchedMatmul` with flipped transpose flags, so no
 * gradient ever materialises a transposed copy.
 */
import type { MatmulVariant } from '../backend/backend.js';
import { record } from '../autograd.js';
import { ShapeError, fmtShape } from '../errors.js';
import { broadcastShapes, numel } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkFits, checkInputs, composite, promoteTypes, wrap } from './core.js';
import { cast } from './elementwise.js';
import { sum } from './reduce.js';
import { expand, reshape, squeeze } from './shapeops.js';

/** Options of `matmul`. */
export interface MatmulOptions {
  /** Force a kernel (tests and benchmarks); 'auto' lets the backend choose. */
  variant?: MatmulVariant;
}

/**
 * op(A[b]) @ op(B[b]) for 3-D A and B whose batch sizes are each 1 or `batch`.
 * A is [ba, m, k] (or [ba, k, m] when transA); B is [bb, k, n] (or [bb, n, k] when transB).
 */
export function batchedMatmul(a: Tensor, b: Tensor, transA: boolean, transB: boolean, opts: MatmulOptions = {}): Tensor {
  checkInputs('batchedMatmul', a, b);
  const backend = checkInputs('matmul', a, b);
  const [ba, a1, a2] = a.shape as [number, number, number];
  const [bb, b1, b2] = b.shape as [number, number, number];
  const [m, k] = transA ? [a2, a1] : [a1, a2];
  const [kb, n] = transB ? [b2, b1] : [b1, b2];
  if (k !== kb) {
    throw new ShapeError(`matmul: inner dimensions differ: ${fmtShape(a.shape)}${transA ? 'ᵀ' : ''} @ ${fmtShape(b.shape)}${transB ? 'ᵀ' : ''} (${k} vs ${kb})`);
  }
  // A batch of 1 broadcasts against the other's, a batch of 0 included (an empty product).
  const batch = ba === 1 ? bb : ba;
  const outShape = [batch, m, n];
  checkFits('matmul', backend, outShape, a.dtype);
  const storage = backend.matmul(a, b, {
    batch, m, k, n, transA, transB,
    aBatchStride: ba === 1 ? 0 : m * k,
    bBatchStride: bb === 1 ? 0 : k * n,
    variant: opts.variant ?? 'auto',
  });
  const out = wrap(backend, storage, outShape, a.dtype);
  return record(out, 'matmul', [a, b], (g) => {
    // C = op(A) op(B):  dop(A) = G op(B)^T,  dop(B) = op(A)^T G; stored transposes flip the product.
    let ga = transA ? batchedMatmul(b, g, transB, true, opts) : batchedMatmul(g, b, false, !transB, opts);
    let gb = transB ? batchedMatmul(g, a, true, transA, opts) : batchedMatmul(a, g, !transA, false, opts);
    if (ba === 1 && batch !== 1) ga = sum(ga, 0, true);
    if (bb === 1 && batch !== 1) gb = sum(gb, 0, true);
    return [ga, gb];
  });
}

/** `a @ b` with NumPy's matmul rules (1-D promotion, broadcast batch dims). */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  checkInputs('matmul', a, b);
  if (a.shape.length === 0 || b.shape.length === 0) {
    throw new ShapeError(`matmul: both operands need at least 1 dim, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  return composite([a, b], () => matmulComposition(a, b, opts));
}

function matmulComposition(a: Tensor, b: Tensor, opts: MatmulOptions): Tensor {
  const dtype = promoteTypes(a.dtype, b.dtype);
  let x = cast(a, dtype);
  let y = cast(b, dtype);
  const vecA = x.shape.length === 1;
  const vecB = y.shape.length === 1;
  if (vecA) x = reshape(x, [1, x.shape[0]!]);
  if (vecB) y = reshape(y, [y.shape[0]!, 1]);
  const [m, k] = x.shape.slice(-2) as [number, number];
  const [kb, n] = y.shape.slice(-2) as [number, number];
  if (k !== kb) {
    throw new ShapeError(`matmul: inner dimensions differ: ${fmtShape(a.shape)} @ ${fmtShape(b.shape)} (${k} vs ${kb})`);
  }
  const batchA = x.shape.slice(0, -2);
  const batchB = y.shape.slice(0, -2);
  const batch = broadcastShapes('matmul', batchA, batchB);
  let out: Tensor;
  if (numel(batchB) === 1) {
    // B is one matrix shared by every batch: fold A's batch into its rows (one big GEMM, as in Linear).
    out = batchedMatmul(reshape(x, [1, numel(batchA) * m, k]), reshape(y, [1, k, n]), false, false, opts);
  } else {
    const asBatch = (t: Tensor, own: readonly number[], rows: number, cols: number) =>
      numel(own) === 1 ? reshape(t, [1, rows, cols]) : reshape(expand(t, [...batch, rows, cols]), [numel(batch), rows, cols]);
    out = batchedMatmul(asBatch(x, batchA, m, k), asBatch(y, batchB, k, n), false, false, opts);
  }
  out = reshape(out, [...batch, m, n]);
  if (vecA && vecB) return reshape(out, batch);
  if (vecA) return squeeze(out, -2);
  if (vecB) return squeeze(out, -1);
  return out;
}
