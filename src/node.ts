/**
 * The Node entry, `@genlab/tensor/node`: everything that touches the file system (checkpoints,
 * datasets on disk, the embedded MNIST digits, PNG files). The main entry stays browser-safe.
 *
 * @module @genlab/tensor/node
 */
export { saveSafetensors, loadSafetensors } from './io/safetensors-file.js';
export { saveCheckpoint, loadCheckpoint, readCheckpointInfo, hasCheckpoint, resolveCheckpoint, parseJsonMetadata, MODEL_FILE, OPTIMIZER_FILE, type CheckpointInfo, type CheckpointParts, type SaveOptions } from './io/checkpoint.js';
export { loadDataset, loadFashionMnist, loadIdxDataset, loadIdxDirectory, FASHION_MNIST_DIR, type LoadOptions } from './io/datasets.js';
export { loadEmbeddedMnist } from './io/mnist.js';
export { saveImageGrid } from './io/png.js';
export { writeFileAtomic } from './io/files.js';
export { loadTrainAndHeldOut, type TrainAndHeldOut } from './io/held-out.js';
export { loadFeatureNet, featureNetPath, SHIPPED_FEATURE_NETS, type ShippedFeatureNet } from './metrics/shipped.js';
