/** Launching kernels/gather.wgsl and kernels/scatter.wgsl (take_along_axis and its adjoint). */
import type { KernelRegistry } from './kernels.js';
import { numel } from './layout.js';
import type { PooledBuffer } from './buffer-pool.js';
import type { CommandQueue } from './queue.js';

const WG = 256;

/** The [outer, axis, inner] view both kernels index with; `dataShape` is the indexed tensor's. */
function axisParams(indexShape: readonly number[], dataShape: readonly number[], axis: number) {
  return {
    n: numel(indexShape),
    inner: numel(indexShape.slice(axis + 1)),
    index_len: indexShape[axis]!,
    data_len: dataShape[axis]!,
  };
}

export function encodeGather(
  kernels: KernelRegistry, queue: CommandQueue, x: PooledBuffer, xShape: readonly number[],
  index: PooledBuffer, indexShape: readonly number[], axis: number, out: PooledBuffer,
): void {
  const params = axisParams(indexShape, xShape, axis);
  queue.dispatch(kernels.get('gather'), { WG }, [x, index, out], params, queue.grid1D(Math.ceil(params.n / WG)));
}

/** `out` must already hold zeros. */
export function encodeScatterAdd(
  kernels: KernelRegistry, queue: CommandQueue, dtype: number, src: PooledBuffer,
  index: PooledBuffer, indexShape: readonly number[], axis: number, out: PooledBuffer, outShape: readonly number[],
): void {
  const params = axisParams(indexShape, outShape, axis);
  queue.dispatch(kernels.get('scatter'), { DTYPE: dtype, WG }, [src, index, out], params, queue.grid1D(Math.ceil(params.n / WG)));
}
