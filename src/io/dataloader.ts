/**
 * DataLoader: batches of an image dataset on the training device, as torch.utils.data.DataLoader
 * with a tensor dataset: seeded shuffling (the same order on every machine for a seed and an
 * epoch, so a resumed run sees the same batches), drop-last, and a transform run on each batch
 * on the device (scale to [-1, 1], binarise, add noise; see transforms.ts).
 *
 * The dataset stays on the host; each batch is gathered there and uploaded in one copy.
 */
import type { DeviceName } from '../backend/backend.js';
import { getDefaultDevice } from '../backend/registry.js';
import { ArgumentError, DeviceError } from '../errors.js';
import { tidy } from '../memory.js';
import { tensor } from '../ops/index.js';
import { philox4x32, seedToKey } from '../random.js';
import type { Tensor } from '../tensor.js';
import type { ImageDataset } from './dataset.js';

/** A batch; dispose it (or declare it with `using`) when the step is done. */
export interface Batch {
  /** The batch's images, [B, C, H, W] float32, after the loader's transform. */
  images: Tensor;
  /** The batch's int32 labels [B], when the dataset has labels. */
  labels?: Tensor;
  [Symbol.dispose](): void;
}

/** Options of `DataLoader`, as `torch.utils.data.DataLoader`'s in camelCase. */
export interface DataLoaderOptions {
  /** Samples per batch (default 64 in this library; PyTorch's is 1). */
  batchSize?: number;
  /** Reshuffle every epoch (PyTorch's default is false). */
  shuffle?: boolean;
  /** Seed of the shuffling order (default 0). */
  seed?: number;
  /** Skip the last, smaller batch. */
  dropLast?: boolean;
  /** Where batches go (default: the default device). */
  device?: DeviceName;
  /** Applied to each batch of images on the device. */
  transform?: (images: Tensor) => Tensor;
}

/**
 * Batches of an `ImageDataset` uploaded to a device, as `torch.utils.data.DataLoader`: `for (const
 * batch of loader) { ...; batch[Symbol.dispose]() }`, with seeded shuffling, `dropLast` and an
 * on-device transform.
 */
export class DataLoader implements Iterable<Batch> {
  /** Samples per batch. */
  readonly batchSize: number;
  /** The number of samples in the dataset. */
  readonly size: number;
  /** The epoch the next `for .. of` runs (counts up from 0). */
  epoch = 0;
  private readonly pixels: Float32Array;
  private readonly labels: Int32Array | null;
  private readonly sampleShape: readonly number[];
  private readonly key: [number, number];
  private readonly options: DataLoaderOptions;
  /** The last epoch's order: step-based training asks for one batch at a time. */
  private cachedOrder: { epoch: number; order: Int32Array } | null = null;

  constructor(dataset: ImageDataset, opts: DataLoaderOptions = {}) {
    this.batchSize = opts.batchSize ?? 64;
    if (!Number.isInteger(this.batchSize) || this.batchSize <= 0) throw new ArgumentError(`DataLoader: batchSize must be a positive integer, got ${this.batchSize}`);
    const { images, labels } = dataset;
    if (images.device !== 'cpu' || (labels && labels.device !== 'cpu')) {
      throw new DeviceError('DataLoader: the dataset must be on the cpu (batches are moved to `device` one at a time)');
    }
    this.size = images.shape[0] ?? 0;
    if (labels && labels.shape[0] !== this.size) throw new ArgumentError(`DataLoader: ${this.size} images but ${labels.shape[0]} labels`);
    this.pixels = images.dtype === 'float32' ? (images.dataSync() as Float32Array) : Float32Array.from(images.dataSync());
    this.labels = labels ? Int32Array.from(labels.dataSync()) : null;
    this.sampleShape = images.shape.slice(1);
    this.key = seedToKey(opts.seed ?? 0);
    this.options = opts;
  }

  /** Batches per epoch. */
  get length(): number {
    const full = Math.floor(this.size / this.batchSize);
    return this.options.dropLast || this.size % this.batchSize === 0 ? full : full + 1;
  }

  /** The example order of `epoch`: a Fisher-Yates shuffle driven by Philox(seed, epoch), or 0..N-1. */
  order(epoch: number): Int32Array {
    if (this.cachedOrder?.epoch === epoch) return this.cachedOrder.order;
    const order = Int32Array.from({ length: this.size }, (_, i) => i);
    this.cachedOrder = { epoch, order };
    if (!this.options.shuffle) return order;
    const words = new Uint32Array(4);
    for (let i = this.size - 1; i > 0; i--) {
      philox4x32(i, epoch >>> 0, 0x5eed, 0, this.key[0], this.key[1], words);
      const j = Math.floor((words[0]! / 4294967296) * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    return order;
  }

  /** The batches of `epoch`, from batch `start` on (to resume mid-epoch). */
  *batches(epoch: number, start = 0): Generator<Batch> {
    const order = this.order(epoch);
    for (let b = start; b < this.length; b++) yield this.gather(order.subarray(b * this.batchSize, Math.min(this.size, (b + 1) * this.batchSize)));
  }

  /** Batch `index` of `epoch` (random access for step-based training). */
  batch(epoch: number, index: number): Batch {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) throw new ArgumentError(`DataLoader: batch ${index} is out of range (${this.length} per epoch)`);
    return this.gather(this.order(epoch).subarray(index * this.batchSize, Math.min(this.size, (index + 1) * this.batchSize)));
  }

  [Symbol.iterator](): Iterator<Batch> {
    return this.batches(this.epoch++);
  }

  private gather(indices: Int32Array): Batch {
    const per = this.sampleShape.reduce((a, b) => a * b, 1);
    const pixels = new Float32Array(indices.length * per);
    indices.forEach((src, i) => pixels.set(this.pixels.subarray(src * per, (src + 1) * per), i * per));
    const device = this.options.device ?? getDefaultDevice();
    const raw = tensor(pixels, { shape: [indices.length, ...this.sampleShape], device });
    const transform = this.options.transform;
    const images = transform ? tidy(() => transform(raw)) : raw;
    if (images !== raw) raw.dispose();
    const labels = this.labels ? tensor(Int32Array.from(indices, (i) => this.labels![i]!), { shape: [indices.length], dtype: 'int32', device }) : undefined;
    return {
      images,
      labels,
      [Symbol.dispose]() {
        images.dispose();
        labels?.dispose();
      },
    };
  }
}
