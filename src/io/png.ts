/** Sample grids as PNG files (fast-png does the encoding), written to a temp name, then renamed. */
import { encode } from 'fast-png';
import type { Tensor } from '../tensor.js';
import { imageGrid, type GridOptions } from './grid.js';
import { writeFileAtomic } from './files.js';

/**
 * Tile [N, C, H, W] images (C = 1 or 3) with `imageGrid` and write them to `path` as a PNG, as
 * `torchvision.utils.save_image` (Node only; written to a temporary name, then renamed).
 */
export async function saveImageGrid(path: string, images: Tensor, opts: GridOptions = {}): Promise<void> {
  const grid = await imageGrid(images, opts);
  writeFileAtomic(path, encode({ width: grid.width, height: grid.height, data: grid.data, channels: grid.channels, depth: 8 }));
}
