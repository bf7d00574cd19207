/** File helpers for Node: atomic writes and reads whose errors name the file. */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FormatError, MissingFileError } from './format-error.js';

/** Write `bytes` to `path` and flush them to the disk before returning (no rename: see writeFileAtomic). */
export function writeFileDurable(path: string, bytes: Uint8Array | string): void {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  const fd = openSync(path, 'w');
  try {
    for (let at = 0; at < data.length;) at += writeSync(fd, data, at, data.length - at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Flush a directory's entries (a rename or a new file in it) to the disk. Some systems (Windows)
 * cannot open a directory for this; there the rename is as durable as the system makes it.
 */
export function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Not supported here: nothing more to do.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Whether process `pid` is alive (on this machine). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A temporary name beside `path` that names this process, so a later write can tell whose it is. */
export function temporaryName(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Remove the temporaries of `path` left by processes that died mid-write (killed, crashed). */
export function removeOrphanedTemporaries(path: string): void {
  const prefix = `${basename(path)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && processAlive(pid) && pid !== process.pid) continue;
    rmSync(join(dirname(path), name), { force: true, recursive: true });
  }
}

/**
 * Write to a temporary name in the same directory, flush it, then rename: a crash, Ctrl-C or
 * power cut mid-write never leaves a half-written file under `path`, and an existing file stays
 * intact until the new one is complete. Temporaries of earlier killed writers are removed.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  removeOrphanedTemporaries(path);
  const tmp = temporaryName(path);
  try {
    writeFileDurable(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDirectory(dirname(path));
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
