/**
 * Input and output that work everywhere (browser included): safetensors bytes, IDX parsing, the
 * DataLoader and its transforms, sample grids. File-system helpers live in the Node entry
 * (`@genlab/tensor/node`).
 */
export { FormatError, MissingFileError } from './format-error.js';
export { encodeSafetensors, serializeSafetensors, parseSafetensors, type SafetensorsContents, type SafetensorsEntry, type EncodeOptions } from './safetensors.js';
export { parseIdx, type IdxArray } from './idx.js';
export { checkLabels, imageDatasetFromIdx, type ImageDataset } from './dataset.js';
export { DataLoader, type Batch, type DataLoaderOptions } from './dataloader.js';
export * as transforms from './transforms.js';
export { imageGrid, type GridImage, type GridOptions } from './grid.js';
export { drawImageGrid, type CanvasTarget } from './canvas.js';
export { stratifiedSplit, stratifiedSplitIndices, subset, MNIST_HELD_OUT, type SplitOptions, type SplitIndices } from './split.js';
