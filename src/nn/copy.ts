/** Copying loaded values (a checkpoint, another module) into a tensor's place. */
import { noGrad } from '../autograd.js';
import { DeviceError, ShapeError, fmtShape } from '../errors.js';
import { cast, clone, tensor } from '../ops/index.js';
import type { Tensor } from '../tensor.js';

/**
 * A fresh tensor with `like`'s shape, dtype and device holding `source`'s values. Synchronous,
 * so `source` must be on `like`'s device or on the CPU (where checkpoints load).
 */
export function copyLike(source: Tensor, like: Tensor, what: string): Tensor {
  if (source.shape.length !== like.shape.length || source.shape.some((d, i) => d !== like.shape[i])) {
    throw new ShapeError(`${what}: the value has shape ${fmtShape(source.shape)} but ${fmtShape(like.shape)} is expected`);
  }
  if (source.device === like.device) return noGrad(() => (source.dtype === like.dtype ? clone(source) : cast(source, like.dtype)));
  if (source.device !== 'cpu') {
    throw new DeviceError(`${what}: the value is on ${source.device} but the target is on ${like.device}; move it first with \`await t.to('${like.device}')\``);
  }
  return tensor(source.dataSync(), { shape: like.shape, dtype: like.dtype, device: like.device });
}
