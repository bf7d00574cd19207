/**
 * The safetensors format (huggingface/safetensors), in memory: no file system, so it works in
 * the browser too (see node.ts for files).
 *
 *   [8 bytes: header length N, little-endian u64][N bytes: JSON header][tensor data]
 *
 * The header maps each name to { dtype, shape, data_offsets: [begin, end) } relative to the data,
 * plus an optional "__metadata__" of string pairs. Writing follows the reference (Rust)
 * serialiser byte for byte: tensors sorted by dtype (widest first) then name, compact JSON with
 * "__metadata__" first, the header padded with spaces to a multiple of 8. Reading applies its
 * checks: header size, UTF-8 JSON object, known dtypes, offsets contiguous from 0, each tensor's
 * byte length equal to its shape times its dtype size, and the data ending exactly at the end of
 * the file, so a truncated file or a lying header is rejected before any tensor is made.
 */
import type { DType, DeviceName, HostArray } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import { tensor } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { FormatError } from './format-error.js';
import { CHECKSUM_KEY, checksumValue, verifyChecksums } from './checksum.js';

/** The reference implementation's limit on the header. */
const MAX_HEADER_BYTES = 100_000_000;

/** Element sizes in bytes of the dtypes this reader understands. */
const DTYPE_SIZE = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, U32: 4, I16: 2, U16: 2, I8: 1, U8: 1, BOOL: 1 } as const;
type FileDType = keyof typeof DTYPE_SIZE;

/** The reference serialiser's dtype order (its enum order); tensors are written widest first. */
const DTYPE_RANK: Record<FileDType, number> = { BOOL: 0, U8: 1, I8: 2, I16: 5, U16: 6, F16: 7, BF16: 8, I32: 9, U32: 10, F32: 11, F64: 12, I64: 13 };

const WRITE_DTYPE: Record<DType, FileDType> = { float64: 'F64', float32: 'F32', int32: 'I32', bool: 'BOOL' };

/** One tensor of a safetensors file as host data, before it becomes a Tensor. */
export interface SafetensorsEntry {
  /** The element type it is read as (F16 and BF16 widen to float32, I64 narrows to int32). */
  dtype: DType;
  /** The tensor's shape. */
  shape: readonly number[];
  /** Its values, row-major. */
  data: HostArray;
}

/**
 * What a safetensors file holds: named tensors (as `safetensors.torch.load_file` returns) and the
 * string metadata of its header.
 */
export interface SafetensorsContents {
  /** The tensors by name. */
  tensors: Record<string, Tensor>;
  /** The header's `__metadata__` (strings only, as the format requires). */
  metadata: Record<string, string>;
}

/** Compare as the reference does: by UTF-8 bytes. */
function compareUtf8(a: string, b: string): number {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

function checkName(name: string): void {
  if (name === '' || name === '__metadata__') throw new FormatError(`safetensors: '${name}' cannot be a tensor name`);
}

/** Options of the safetensors writers. */
export interface EncodeOptions {
  /** Add a checksum of every tensor and of the metadata (verified by `parseSafetensors`); default false. */
  checksum?: boolean;
}

/** Encode host arrays (synchronous; `serializeSafetensors` reads tensors first). */
export function encodeSafetensors(entries: Record<string, SafetensorsEntry>, metadata?: Record<string, string>, opts: EncodeOptions = {}): Uint8Array {
  const names = Object.keys(entries);
  names.forEach(checkName);
  names.sort((a, b) => DTYPE_RANK[WRITE_DTYPE[entries[b]!.dtype]] - DTYPE_RANK[WRITE_DTYPE[entries[a]!.dtype]] || compareUtf8(a, b));
  const header: Record<string, unknown> = {};
  let offset = 0;
  const chunks: Uint8Array[] = [];
  for (const name of names) {
    const { dtype, shape, data } = entries[name]!;
    const numel = shape.reduce((a, b) => a * b, 1);
    if (numel !== data.length) throw new FormatError(`safetensors: '${name}' has shape [${shape.join(', ')}] but ${data.length} values`);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    header[name] = { dtype: WRITE_DTYPE[dtype], shape: [...shape], data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  const meta = Object.entries(metadata ?? {});
  for (const [k, v] of meta) if (typeof v !== 'string') throw new FormatError(`safetensors: metadata value of '${k}' must be a string`);
  if (opts.checksum) {
    const inputs = names.map((name, i) => ({ name, dtype: WRITE_DTYPE[entries[name]!.dtype], shape: entries[name]!.shape, bytes: chunks[i]! }));
    meta.push([CHECKSUM_KEY, checksumValue(inputs, Object.fromEntries(meta))]);
  }
  // "__metadata__" first (the reference's order), sorted for reproducible files (the reference writes a hash map).
  const ordered: Record<string, unknown> = meta.length > 0 ? { __metadata__: Object.fromEntries(meta.sort(([a], [b]) => compareUtf8(a, b))) } : {};
  Object.assign(ordered, header);
  const json = new TextEncoder().encode(JSON.stringify(ordered));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The bytes of a safetensors file holding `tensors` (read from their devices) and string metadata. */
export async function serializeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>, opts: EncodeOptions = {}): Promise<Uint8Array> {
  const entries: Record<string, SafetensorsEntry> = {};
  for (const [name, t] of Object.entries(tensors)) entries[name] = { dtype: t.dtype, shape: t.shape, data: await t.data() };
  return encodeSafetensors(entries, metadata, opts);
}

interface HeaderEntry {
  name: string;
  dtype: FileDType;
  shape: number[];
  begin: number;
  end: number;
}

/** Parse and check the header; returns the entries sorted by offset, the metadata and where the data starts. */
function readHeader(bytes: Uint8Array, source: string): { entries: HeaderEntry[]; metadata: Record<string, string>; dataStart: number } {
  const fail = (why: string) => new FormatError(`${source}: not a valid safetensors file: ${why}`);
  if (bytes.length < 8) throw fail(`it has ${bytes.length} bytes, fewer than the 8-byte header length`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw fail(`the header length ${n} is over the ${MAX_HEADER_BYTES}-byte limit`);
  const headerLength = Number(n);
  if (8 + headerLength > bytes.length) throw fail(`the header claims ${headerLength} bytes but the file has only ${bytes.length - 8} after the length (truncated?)`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    throw fail('the header is not UTF-8');
  }
  if (!text.startsWith('{')) throw fail('the header does not start with "{"');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw fail(`the header is not JSON (${(e as Error).message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw fail('the header is not a JSON object');

  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, info] of Object.entries(raw as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (info === null || typeof info !== 'object' || Array.isArray(info)) throw fail('"__metadata__" is not an object');
      for (const [k, v] of Object.entries(info)) {
        if (typeof v !== 'string') throw fail(`metadata '${k}' is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const e = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e === null || typeof e !== 'object') throw fail(`the entry of '${name}' is not an object`);
    if (typeof e.dtype !== 'string' || !(e.dtype in DTYPE_SIZE)) {
      throw fail(`tensor '${name}' has dtype ${JSON.stringify(e.dtype)}; supported: ${Object.keys(DTYPE_SIZE).join(', ')}`);
    }
    const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
    if (!Array.isArray(e.shape) || !e.shape.every(isCount)) throw fail(`tensor '${name}' has shape ${JSON.stringify(e.shape)}`);
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
      throw fail(`tensor '${name}' has data_offsets ${JSON.stringify(offsets)}`);
    }
    entries.push({ name, dtype: e.dtype as FileDType, shape: e.shape, begin: offsets[0], end: offsets[1] });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const dataStart = 8 + headerLength;
  let expected = 0;
  for (const e of entries) {
    if (e.begin !== expected || e.end < e.begin) {
      throw fail(`tensor '${e.name}' has data_offsets [${e.begin}, ${e.end}] but the previous tensor ends at ${expected} (gap or overlap)`);
    }
    const nbytes = e.shape.reduce((a, b) => a * b, 1) * DTYPE_SIZE[e.dtype];
    if (e.end - e.begin !== nbytes) {
      throw fail(`tensor '${e.name}' of shape [${e.shape.join(', ')}] and dtype ${e.dtype} needs ${nbytes} bytes but data_offsets [${e.begin}, ${e.end}] span ${e.end - e.begin}`);
    }
    expected = e.end;
  }
  const available = bytes.length - dataStart;
  if (expected !== available) {
    throw fail(expected > available
      ? `the header says the tensor data is ${expected} bytes but the file holds ${available} (truncated)`
      : `the file has ${available - expected} bytes after the last tensor`);
  }
  return { entries, metadata, dataStart };
}

let halfTable: Float32Array | undefined;

/** The value of every IEEE half-precision bit pattern, built on first use. */
function halfToFloat(): Float32Array {
  if (halfTable) return halfTable;
  halfTable = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    halfTable[h] = exp === 0 ? sign * frac * 2 ** -24 : exp === 31 ? (frac ? NaN : sign * Infinity) : sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return halfTable;
}

/** Decode one tensor's bytes to a host array of the library's dtype (narrower ints widen to int32, halves to float32). */
function decode(e: HeaderEntry, raw: Uint8Array, source: string): { dtype: DType; data: HostArray } {
  // A copy (new Uint8Array(view) always copies; a Node Buffer's slice would not): the file's bytes
  // need not be aligned for a typed-array view. Hosts are little-endian, as the format.
  const buf = new Uint8Array(raw).buffer;
  const toInt32 = (values: ArrayLike<number | bigint>) => {
    const out = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = Number(values[i]!);
      if (v < -2147483648 || v > 2147483647) {
        throw new FormatError(`${source}: tensor '${e.name}' (${e.dtype}) holds ${v}, outside the int32 range this library uses`);
      }
      out[i] = v;
    }
    return out;
  };
  switch (e.dtype) {
    case 'F64': return { dtype: 'float64', data: new Float64Array(buf) };
    case 'F32': return { dtype: 'float32', data: new Float32Array(buf) };
    case 'F16': {
      const table = halfToFloat();
      return { dtype: 'float32', data: Float32Array.from(new Uint16Array(buf), (h) => table[h]!) };
    }
    case 'BF16': return { dtype: 'float32', data: new Float32Array(Uint32Array.from(new Uint16Array(buf), (h) => h << 16).buffer) };
    case 'I64': return { dtype: 'int32', data: toInt32(new BigInt64Array(buf)) };
    case 'U32': return { dtype: 'int32', data: toInt32(new Uint32Array(buf)) };
    case 'I32': return { dtype: 'int32', data: new Int32Array(buf) };
    case 'I16': return { dtype: 'int32', data: Int32Array.from(new Int16Array(buf)) };
    case 'U16': return { dtype: 'int32', data: Int32Array.from(new Uint16Array(buf)) };
    case 'I8': return { dtype: 'int32', data: Int32Array.from(new Int8Array(buf)) };
    case 'U8': return { dtype: 'int32', data: Int32Array.from(new Uint8Array(buf)) };
    case 'BOOL': return { dtype: 'bool', data: new Uint8Array(buf) };
  }
}

/**
 * Tensors and metadata from the bytes of a safetensors file, on `device` (default cpu). float64
 * becomes float32 on a device without float64; half precision becomes float32; integers int32.
 * `source` names the file in error messages.
 */
export function parseSafetensors(bytes: Uint8Array, opts: { device?: DeviceName; source?: string } = {}): SafetensorsContents {
  const source = opts.source ?? 'safetensors data';
  const device = opts.device ?? 'cpu';
  const { entries, metadata, dataStart } = readHeader(bytes, source);
  const raw = (e: HeaderEntry) => bytes.subarray(dataStart + e.begin, dataStart + e.end);
  verifyChecksums(entries.map((e) => ({ name: e.name, dtype: e.dtype, shape: e.shape, bytes: raw(e) })), metadata,
    (why) => new FormatError(`${source}: ${why}`));
  const decoded = entries.map((e) => decode(e, raw(e), source));
  const f64 = getBackend(device, 'parseSafetensors').supportsFloat64;
  const tensors: Record<string, Tensor> = {};
  entries.forEach((e, i) => {
    const { dtype, data } = decoded[i]!;
    tensors[e.name] = tensor(data, { shape: e.shape, dtype: dtype === 'float64' && !f64 ? 'float32' : dtype, device });
  });
  return { tensors, metadata };
}
