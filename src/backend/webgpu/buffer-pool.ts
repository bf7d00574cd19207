/**
 * Size-bucketed GPU buffer pool.
 *
 * Creating GPU buffers is slow and frees memory lazily, so released buffers are kept by size
 * bucket and handed out again. Buckets are four per power of two (1, 1.25, 1.5, 1.75 x 2^e), which
 * bounds the waste to 25% while keeping tensors of similar sizes interchangeable.
 */

const MIN_BUCKET = 256;

export function bucketBytes(bytes: number, maxBytes: number): number {
  if (bytes <= MIN_BUCKET) return MIN_BUCKET;
  const octave = 2 ** Math.floor(Math.log2(bytes - 1));
  const step = Math.max(octave / 4, 16);
  const bucket = Math.ceil(bytes / step) * step;
  // Near the device limit the rounded bucket may not be allocatable while the request is.
  return bucket <= maxBytes ? bucket : Math.ceil(bytes / 16) * 16;
}

export interface PooledBuffer {
  readonly buffer: GPUBuffer;
  readonly bytes: number;
  /** Unique per GPU buffer; keys the bind-group cache. */
  readonly id: number;
  /**
   * The command batch during which the buffer was last released. Commands of a batch that has not
   * been submitted may still read it, so a `queue.writeBuffer` into it (which runs before those
   * commands) must wait for that batch to be submitted.
   */
  releasedInBatch: number;
}

export class BufferPool {
  private readonly free = new Map<number, PooledBuffer[]>();
  private pooled = 0;
  private allocated = 0;
  private static nextId = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: GPUBufferUsageFlags,
    private readonly maxBytes: number,
  ) {}

  acquire(bytes: number): PooledBuffer {
    const size = bucketBytes(bytes, this.maxBytes);
    const entry = this.free.get(size)?.pop();
    this.allocated += size;
    if (entry) {
      this.pooled -= size;
      return entry;
    }
    const buffer = this.device.createBuffer({ size, usage: this.usage });
    return { buffer, bytes: size, id: BufferPool.nextId++, releasedInBatch: -1 };
  }

  release(entry: PooledBuffer, batch: number): void {
    entry.releasedInBatch = batch;
    this.allocated -= entry.bytes;
    this.pooled += entry.bytes;
    let list = this.free.get(entry.bytes);
    if (!list) this.free.set(entry.bytes, (list = []));
    list.push(entry);
  }

  /** Destroys every pooled buffer. Callers submit pending work first: it may still use them. */
  trim(): void {
    for (const list of this.free.values()) for (const entry of list) entry.buffer.destroy();
    this.free.clear();
    this.pooled = 0;
  }

  get pooledBytes(): number {
    return this.pooled;
  }

  get allocatedBytes(): number {
    return this.allocated;
  }
}
