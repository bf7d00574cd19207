/**
 * A 64-bit checksum of tensor bytes, in plain TypeScript so it runs in the browser as in Node
 * (node:crypto is not there, and WebCrypto's digest is asynchronous where parsing is not).
 *
 * Two independent 32-bit lanes each absorb every 32-bit word with xor, rotate, and multiply by an
 * odd constant: each of those steps is a bijection of the lane for a fixed word, so two inputs that
 * differ in one word (one flipped bit, say) always end in different lanes. It detects corruption;
 * it is not a cryptographic hash.
 */

const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;

const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));

function finish(h: number): number {
  h = Math.imul(h ^ (h >>> 15), P2);
  h = Math.imul(h ^ (h >>> 13), P3);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The checksum of `bytes`, as 16 hex digits. `salt` (e.g. a tensor's dtype and shape) is mixed in first. */
export function checksum64(bytes: Uint8Array, salt = ''): string {
  let a = 0x165667b1;
  let b = 0x7f4a7c15;
  const absorb = (w: number) => {
    a = (Math.imul(rotl(a ^ w, 13), P1) + P3) | 0;
    b = (Math.imul(rotl(b ^ w, 17), P2) + P4) | 0;
  };
  for (let i = 0; i < salt.length; i++) absorb(salt.charCodeAt(i));
  absorb(bytes.length);
  const words = bytes.length >>> 2;
  // A word view needs 4-byte alignment; file slices and bool arrays may not have it.
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : new Uint8Array(bytes.subarray(0, words * 4));
  const view = new Uint32Array(aligned.buffer, aligned.byteOffset, words);
  for (let i = 0; i < words; i++) absorb(view[i]!);
  let tail = 0;
  for (let i = words * 4; i < bytes.length; i++) tail = (tail << 8) | bytes[i]!;
  absorb(tail);
  const hex = (h: number) => h.toString(16).padStart(8, '0');
  // finish is a bijection too, so lanes that differ give different digits.
  return hex(finish(a)) + hex(finish(b));
}

/** The metadata key under which files written by this library carry their checksums. */
export const CHECKSUM_KEY = 'genlab.checksum';
const ALGORITHM = 'checksum64';
/** The entry of the other metadata strings, so a flipped bit in a configuration is caught too. */
const METADATA_ENTRY = '__metadata__';

export interface ChecksumInput {
  name: string;
  /** The file's dtype string (F32, I32, ...) and the shape: a flipped shape is caught like flipped data. */
  dtype: string;
  shape: readonly number[];
  bytes: Uint8Array;
}

function metadataDigest(metadata: Record<string, string>): string {
  const rest = Object.entries(metadata).filter(([k]) => k !== CHECKSUM_KEY).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return checksum64(new TextEncoder().encode(JSON.stringify(rest)));
}

/** The value of CHECKSUM_KEY for these tensors and the other metadata strings. */
export function checksumValue(tensors: readonly ChecksumInput[], metadata: Record<string, string>): string {
  const digests: Record<string, string> = { [METADATA_ENTRY]: metadataDigest(metadata) };
  for (const t of tensors) digests[t.name] = checksum64(t.bytes, `${t.dtype}[${t.shape.join(',')}]`);
  return JSON.stringify({ algorithm: ALGORITHM, digests });
}

/**
 * Check a file's tensors against its CHECKSUM_KEY (files without one, e.g. from PyTorch, pass).
 * `fail` makes the error, so the message names the file and the tensor.
 */
export function verifyChecksums(tensors: readonly ChecksumInput[], metadata: Record<string, string>, fail: (why: string) => Error): void {
  const value = metadata[CHECKSUM_KEY];
  if (value === undefined) return;
  let parsed: { algorithm?: unknown; digests?: unknown };
  try {
    parsed = JSON.parse(value);
  } catch {
    throw fail(`its '${CHECKSUM_KEY}' metadata is not JSON`);
  }
  const digests = parsed?.digests as Record<string, unknown> | undefined;
  if (parsed?.algorithm !== ALGORITHM || digests === null || typeof digests !== 'object') {
    throw fail(`its '${CHECKSUM_KEY}' metadata is not a ${ALGORITHM} list (algorithm ${JSON.stringify(parsed?.algorithm)})`);
  }
  const listed = new Set(Object.keys(digests));
  listed.delete(METADATA_ENTRY);
  for (const t of tensors) {
    if (!listed.delete(t.name)) throw fail(`tensor '${t.name}' has no checksum (the header was altered)`);
    if (digests[t.name] !== checksum64(t.bytes, `${t.dtype}[${t.shape.join(',')}]`)) {
      throw fail(`tensor '${t.name}' does not match its checksum: its data, dtype or shape is corrupt`);
    }
  }
  if (listed.size > 0) throw fail(`the checksums list tensors the file lacks: ${[...listed].join(', ')}`);
  if (digests[METADATA_ENTRY] !== metadataDigest(metadata)) throw fail('the metadata strings do not match their checksum: they are corrupt');
}
