/**
 * The IDX format of the MNIST family (LeCun et al.): two zero bytes, a type code, the number of
 * dims, each dim as a big-endian u32, then the values big-endian, row-major. Pure byte parsing
 * (gzip is handled by the file loader in node.ts).
 */
import type { HostArray } from '../backend/backend.js';
import { FormatError } from './format-error.js';

const TYPES: Record<number, { name: string; size: number }> = {
  0x08: { name: 'u8', size: 1 },
  0x09: { name: 'i8', size: 1 },
  0x0b: { name: 'i16', size: 2 },
  0x0c: { name: 'i32', size: 4 },
  0x0d: { name: 'f32', size: 4 },
  0x0e: { name: 'f64', size: 8 },
};

/** An array read from an IDX file (the MNIST format): element type, shape and data. */
export interface IdxArray {
  /** The file's element type. */
  type: 'u8' | 'i8' | 'i16' | 'i32' | 'f32' | 'f64';
  /** The dimensions the file declares, outermost first. */
  shape: number[];
  /** u8 stays a Uint8Array (pixels); other integers become Int32Array, floats Float32/64Array. */
  data: Uint8Array | HostArray;
}

/**
 * Parse an (already decompressed) IDX file into its element type, shape and data. Throws
 * `FormatError` naming `source` for a bad magic number, an unknown type code or a truncated body.
 */
export function parseIdx(bytes: Uint8Array, source = 'IDX data'): IdxArray {
  const fail = (why: string) => new FormatError(`${source}: not an IDX file: ${why}`);
  if (bytes.length < 4) throw fail(`it has only ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] !== 0 || bytes[1] !== 0) throw fail(`the magic number starts with ${bytes[0]}, ${bytes[1]} instead of 0, 0 (a gzip file that was not decompressed?)`);
  const type = TYPES[bytes[2]!];
  if (!type) throw fail(`unknown element type code 0x${bytes[2]!.toString(16)}`);
  const rank = bytes[3]!;
  if (rank === 0) throw fail('it declares zero dimensions');
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) throw fail(`the header of ${rank} dims needs ${headerBytes} bytes, the file has ${bytes.length}`);
  const shape = Array.from({ length: rank }, (_, d) => view.getUint32(4 + 4 * d, false));
  const numel = shape.reduce((a, b) => a * b, 1);
  const expected = headerBytes + numel * type.size;
  if (bytes.length !== expected) {
    throw fail(`shape [${shape.join(', ')}] of ${type.name} needs ${expected} bytes, the file has ${bytes.length}${bytes.length < expected ? ' (truncated)' : ''}`);
  }
  const at = (i: number) => headerBytes + i * type.size;
  const body = bytes.subarray(headerBytes);
  switch (type.name) {
    case 'u8': return { type: 'u8', shape, data: new Uint8Array(body) };
    case 'i8': return { type: 'i8', shape, data: Int32Array.from(body, (b) => (b << 24) >> 24) };
    case 'i16': return { type: 'i16', shape, data: Int32Array.from({ length: numel }, (_, i) => view.getInt16(at(i), false)) };
    case 'i32': return { type: 'i32', shape, data: Int32Array.from({ length: numel }, (_, i) => view.getInt32(at(i), false)) };
    case 'f32': return { type: 'f32', shape, data: Float32Array.from({ length: numel }, (_, i) => view.getFloat32(at(i), false)) };
    default: return { type: 'f64', shape, data: Float64Array.from({ length: numel }, (_, i) => view.getFloat64(at(i), false)) };
  }
}
