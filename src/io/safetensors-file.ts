/** Safetensors files (Node): atomic writes, and reads whose errors name the file. */
import type { DeviceName } from '../backend/backend.js';
import type { Tensor } from '../tensor.js';
import { readFileBytes, writeFileAtomic } from './files.js';
import { parseSafetensors, serializeSafetensors, type EncodeOptions, type SafetensorsContents } from './safetensors.js';

/**
 * Write `tensors` (e.g. `module.stateDict()`) to `path`; the file loads with
 * `safetensors.torch.load_file`. It carries a checksum of each tensor (see checksum.ts) that
 * `loadSafetensors` verifies, unless `checksum: false`.
 */
export async function saveSafetensors(path: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>, opts: EncodeOptions = {}): Promise<void> {
  writeFileAtomic(path, await serializeSafetensors(tensors, metadata, { checksum: opts.checksum ?? true }));
}

/** Tensors and metadata of a safetensors file (written here or by PyTorch), on `device` (default cpu). */
export function loadSafetensors(path: string, opts: { device?: DeviceName } = {}): SafetensorsContents {
  return parseSafetensors(readFileBytes(path, 'loadSafetensors'), { device: opts.device, source: path });
}
