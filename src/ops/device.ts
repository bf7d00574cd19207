/** Moving tensors between devices. */
import type { DeviceName } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import type { Tensor } from '../tensor.js';
import { backendOf, checkDTypeOnDevice, checkFits, wrap } from './core.js';

/** A copy of `x` on `device` (a new, detached tensor; the same tensor when it is already there). */
export async function toDevice(x: Tensor, device: DeviceName): Promise<Tensor> {
  const source = backendOf(x, 'to');
  if (x.device === device) return x;
  const target = getBackend(device, 'to');
  checkDTypeOnDevice('to', x.dtype, target);
  checkFits('to', target, x.shape, x.dtype);
  const values = await source.read(x);
  return wrap(target, target.upload(values, x.dtype), x.shape, x.dtype);
}
