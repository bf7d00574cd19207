/**
 * Device-side asserts: index checks that run on the GPU (kernels/index_check.wgsl) and are
 * reported at the next point where the host waits for the device anyway (a read or a sync), as
 * PyTorch's CUDA device-side asserts are. Checking on the host would need a readback inside every
 * step; this costs one small dispatch per checked op and, at a read, a copy of the flags buffer
 * mapped together with the data.
 *
 * Each check site (op, role of the index, its shape, the valid size) gets a slot of four words in
 * one flags buffer; a training loop repeats the same sites, so they reuse their slots. Past
 * SLOTS distinct sites between two reads, the last slot is shared and its message lists the ops.
 */
import { ArgumentError, fmtShape } from '../../errors.js';
import { BufferUsage, MAP_MODE_READ } from './device.js';
import type { KernelRegistry } from './kernels.js';
import type { PooledBuffer, BufferPool } from './buffer-pool.js';
import type { CommandQueue } from './queue.js';

const SLOTS = 64;
const SLOT_WORDS = 4;
const FLAG_BYTES = SLOTS * SLOT_WORDS * 4;
const WG = 256;

/** Where an index is checked: what the error will say. */
export interface IndexSite {
  op: string;
  /** What the entries are ('class index', 'index'). */
  what: string;
  shape: readonly number[];
  /** Entries must lie in [0, size). */
  size: number;
}

/** The flags of the checks recorded so far, copied for reading (see DeviceAsserts.capture). */
export interface CapturedFlags {
  staging: PooledBuffer;
  sites: IndexSite[][];
}

export class DeviceAsserts {
  private readonly flags: PooledBuffer;
  /** Slot of each site key since the last capture; the sites sharing a slot. */
  private readonly slots = new Map<string, number>();
  private sites: IndexSite[][] = [];

  constructor(device: GPUDevice) {
    // Created zeroed; never pooled, so its id (which keys bind groups) stays its own.
    const buffer = device.createBuffer({ label: 'device-side asserts', size: FLAG_BYTES, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST });
    this.flags = { buffer, bytes: FLAG_BYTES, id: -1, releasedInBatch: -1 };
  }

  get pending(): boolean {
    return this.sites.length > 0;
  }

  /** Records the check of `count` int32 entries of `index` against `site` (and `ignore`, which passes). */
  checkIndices(kernels: KernelRegistry, queue: CommandQueue, index: PooledBuffer, count: number, site: IndexSite, ignore?: number): void {
    if (count === 0) return;
    const key = `${site.op}|${site.what}|${site.size}|${site.shape.join(',')}`;
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = Math.min(this.sites.length, SLOTS - 1);
      if (slot === this.sites.length) this.sites.push([]);
      this.sites[slot]!.push(site);
      this.slots.set(key, slot);
    }
    const params = { n: count, size: site.size, ignore: ignore ?? 0, has_ignore: ignore === undefined ? 0 : 1, slot };
    queue.dispatch(kernels.get('indexCheck'), { WG }, [index, this.flags], params, queue.grid1D(Math.ceil(count / WG)));
  }

  /**
   * Records, in program order, a copy of the flags into a staging buffer and their reset; the
   * caller submits, maps `staging` and passes the result to `raise`. Null when nothing was checked.
   */
  capture(queue: CommandQueue, stagingPool: BufferPool): CapturedFlags | null {
    if (this.sites.length === 0) return null;
    const staging = stagingPool.acquire(FLAG_BYTES);
    queue.copy(this.flags.buffer, staging.buffer, FLAG_BYTES);
    queue.clear(this.flags.buffer, FLAG_BYTES);
    const captured = { staging, sites: this.sites };
    this.sites = [];
    this.slots.clear();
    return captured;
  }

  /** Maps the captured flags once their copy is submitted. */
  static map(captured: CapturedFlags | null): Promise<void> | undefined {
    return captured?.staging.buffer.mapAsync(MAP_MODE_READ, 0, FLAG_BYTES);
  }

  /** The flag words if they were mapped; unmaps and returns the staging buffer to its pool either way. */
  static release(captured: CapturedFlags | null, stagingPool: BufferPool, batch: number): Int32Array | null {
    if (!captured) return null;
    const { buffer } = captured.staging;
    const words = buffer.mapState === 'mapped' ? new Int32Array(buffer.getMappedRange(0, FLAG_BYTES).slice(0)) : null;
    if (buffer.mapState === 'mapped') buffer.unmap();
    stagingPool.release(captured.staging, batch);
    return words;
  }

  /** Throws the first failed check of `captured` (an ArgumentError naming the op), given its flag words. */
  static raise(captured: CapturedFlags | null, words: Int32Array | null): void {
    if (!captured || !words) return;
    for (const [slot, sites] of captured.sites.entries()) {
      const [first, lowest, highest] = words.subarray(slot * SLOT_WORDS, slot * SLOT_WORDS + 3) as unknown as [number, number, number];
      if (first === 0) continue;
      const values = [lowest < 0 ? lowest : null, highest > 0 ? highest : null].filter((v) => v !== null).join(' and ');
      const site = sites[0]!;
      const detail = `out-of-range values include ${values}; device-side assert, raised at the first read or sync after the op`;
      if (sites.length > 1) {
        throw new ArgumentError(`${[...new Set(sites.map((s) => s.op))].join(', ')}: an index out of range in one of ${sites.length} index checks since the last read (${detail})`);
      }
      throw new ArgumentError(`${site.op}: ${site.what} out of range [0, ${site.size}) at position ${numelOf(site.shape) - first} of index shape ${fmtShape(site.shape)} (${detail})`);
    }
  }
}

const numelOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
