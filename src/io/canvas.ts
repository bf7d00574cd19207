/** The sample grid painted on a canvas (the browser counterpart of saveImageGrid). */
import type { Tensor } from '../tensor.js';
import { imageGrid, type GridOptions } from './grid.js';

/**
 * An `HTMLCanvasElement` or `OffscreenCanvas`, written out structurally so these declarations
 * compile without the DOM lib in the consumer's project.
 */
export interface CanvasTarget {
  /** The canvas width in pixels (set to the image's). */
  width: number;
  /** The canvas height in pixels (set to the image's). */
  height: number;
  /** The canvas's 2-D context, into which the image is put. */
  getContext(contextId: '2d'): unknown;
}

/** Resize `canvas` to the grid of `images` ([N, 1 or 3, H, W]) and paint it, one canvas pixel per image pixel. */
export async function drawImageGrid(canvas: CanvasTarget, images: Tensor, opts: GridOptions = {}): Promise<void> {
  const grid = await imageGrid(images, opts);
  canvas.width = grid.width;
  canvas.height = grid.height;
  const rgba = new Uint8ClampedArray(grid.width * grid.height * 4);
  for (let p = 0; p < grid.width * grid.height; p++) {
    for (let ch = 0; ch < 3; ch++) rgba[p * 4 + ch] = grid.data[p * grid.channels + (grid.channels === 1 ? 0 : ch)]!;
    rgba[p * 4 + 3] = 255;
  }
  const context = canvas.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  if (!context) throw new Error('drawImageGrid: the canvas has no 2d context (is it already used for WebGPU or WebGL?)');
  context.putImageData(new ImageData(rgba, grid.width, grid.height), 0, 0);
}
