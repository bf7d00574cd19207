/** File helpers for Node: atomic writes and reads whose errors name the file. */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FormatError, MissingFileError } from './format-error.js';

/**
 * Write to a temp name in the same directory, then rename: a crash or Ctrl-C mid-write never
 * leaves a half-written file under `path`, and an existing file stays intact until the new one is complete.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** A file's bytes; a missing file gets an error that says what was expected there. */
export function readFileBytes(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new MissingFileError(`${what}: no file at ${path}`);
    throw new FormatError(`${what}: cannot read ${path} (${(e as Error).message})`);
  }
}

/** Bytes of a file that may be gzip-compressed (detected by its magic number, not its name). */
export function readMaybeGzip(path: string, what: string): Uint8Array {
  const bytes = readFileBytes(path, what);
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (e) {
    throw new FormatError(`${what}: ${path} looks gzip-compressed but does not decompress (${(e as Error).message}; truncated download?)`);
  }
}
