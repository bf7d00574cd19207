/**
 * The wasm backend's allocator over one WebAssembly.Memory: a bump pointer, size-bucketed free
 * lists in front of it, and a coalescing free-range list behind `trim`.
 *
 * Sizes round up to a bucket (64-byte multiples up to 4 KiB, then four buckets per power of two,
 * so at most 25% slack), and a released block goes onto its bucket's list: a training loop that
 * allocates the same shapes every step reuses the same blocks and the memory stays flat. `trim`
 * (trimPool) hands every pooled block back to the general free space, merging neighbours and
 * lowering the bump pointer when the top of the heap is free; new sizes carve from that space
 * before the memory grows. A wasm memory never shrinks, so `committedBytes` is a high-water mark.
 */
import { DeviceError } from '../../errors';

const PAGE = 65536;
const ALIGN = 64;

export function bucketBytes(bytes: number): number {
  const n = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
  if (n <= 4096) return n;
  const step = 2 ** Math.floor(Math.log2(n)) / 4;
  return Math.ceil(n / step) * step;
}

interface Range {
  addr: number;
  size: number;
}

export class WasmHeap {
  private top: number;
  private readonly buckets = new Map<number, number[]>();
  /** Free space outside the buckets, sorted by address, no two ranges adjacent. */
  private free: Range[] = [];
  pooledBytes = 0;
  allocatedBytes = 0;

  constructor(readonly memory: WebAssembly.Memory, base: number, private readonly maximumBytes: number) {
    this.top = base;
  }

  get committedBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Address of a block of at least `bytes` (64-byte aligned); the block's size is bucketBytes(bytes). */
  alloc(bytes: number, op = 'alloc'): number {
    const size = bucketBytes(bytes);
    this.allocatedBytes += size;
    const list = this.buckets.get(size);
    if (list && list.length > 0) {
      this.pooledBytes -= size;
      return list.pop()!;
    }
    const i = this.free.findIndex((r) => r.size >= size);
    if (i >= 0) {
      const range = this.free[i]!;
      const addr = range.addr;
      range.addr += size;
      range.size -= size;
      if (range.size === 0) this.free.splice(i, 1);
      return addr;
    }
    const addr = this.top;
    if (addr + size > this.maximumBytes) {
      this.allocatedBytes -= size;
      throw new DeviceError(`wasm ${op}: ${bytes} bytes do not fit in the wasm memory (${this.maximumBytes} bytes at most, ${this.allocatedBytes} in use)`);
    }
    this.top = addr + size;
    const have = this.memory.buffer.byteLength;
    if (this.top > have) this.memory.grow(Math.ceil((this.top - have) / PAGE));
    return addr;
  }

  release(addr: number, bytes: number): void {
    const size = bucketBytes(bytes);
    this.allocatedBytes -= size;
    this.pooledBytes += size;
    let list = this.buckets.get(size);
    if (!list) this.buckets.set(size, (list = []));
    list.push(addr);
  }

  /** Return every pooled block to the general free space (pooledBytes becomes 0). */
  trim(): void {
    const ranges = this.free;
    for (const [size, list] of this.buckets) for (const addr of list) ranges.push({ addr, size });
    this.buckets.clear();
    this.pooledBytes = 0;
    ranges.sort((x, y) => x.addr - y.addr);
    const merged: Range[] = [];
    for (const r of ranges) {
      const last = merged.at(-1);
      if (last && last.addr + last.size === r.addr) last.size += r.size;
      else merged.push({ ...r });
    }
    const last = merged.at(-1);
    if (last && last.addr + last.size === this.top) {
      this.top = last.addr;
      merged.pop();
    }
    this.free = merged;
  }
}
