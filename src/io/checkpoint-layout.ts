/**
 * Where a checkpoint's files live, and how a new one replaces the old in one atomic step.
 *
 *   DIR/checkpoint.json          {"format": "genlab.checkpoint/1", "generation": "step-000123-p4242-1a2b3c4d", "step": 123}
 *   DIR/step-000123-p4242-1a2b3c4d/model.safetensors
 *   DIR/step-000123-p4242-1a2b3c4d/optimizer.safetensors
 *
 * A save writes a fresh generation directory completely and flushes it to the disk, then points
 * checkpoint.json at it with one rename, and only then removes the previous generation. A kill
 * at any instant leaves checkpoint.json naming a complete generation, the old or the new one;
 * generations no pointer names (a save killed before its rename) are removed by the next save.
 * The generation's name carries the writer's process id, so a save never removes one that a
 * live process is still writing.
 *
 * After the commit, DIR/model.safetensors and DIR/optimizer.safetensors are replaced (each by a
 * rename) with hard links to the new generation's files, so tools that know only those names
 * (PyTorch's load_file, the checkpoints written before generations) keep finding the latest
 * files. The loader follows the pointer, never these copies: after a kill between the commit and
 * their replacement they are the previous checkpoint's files, complete but one save behind.
 *
 * A directory that holds model.safetensors and no pointer (a checkpoint written before
 * generations, or a generation directory) loads too.
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { FormatError, MissingFileError } from './format-error.js';
import { fsyncDirectory, processAlive, readFileBytes, removeOrphanedTemporaries, temporaryName, writeFileDurable } from './files.js';

/**
 * The model file of a checkpoint directory: the module's state dict and the metadata, readable by
 * `safetensors.torch.load_file`.
 */
export const MODEL_FILE = 'model.safetensors';
/**
 * The optimizer file of a checkpoint directory: optimizer buffers, parameter groups and the
 * training state.
 */
export const OPTIMIZER_FILE = 'optimizer.safetensors';
/** The optimizer file that goes with a model file NAME.safetensors outside a checkpoint directory: NAME.optimizer.safetensors. */
export const OPTIMIZER_SUFFIX = '.optimizer.safetensors';
export const POINTER_FILE = 'checkpoint.json';
const FORMAT = 'genlab.checkpoint/1';
const GENERATION = /^step-\d+-p(\d+)-[0-9a-f]+$/;

export interface CheckpointPaths {
  /** The directory holding the model and optimizer files. */
  dir: string;
  model: string;
  optimizer: string;
}

/** The generation checkpoint.json names, or null when there is no pointer. */
function readPointer(dir: string): string | null {
  const path = join(dir, POINTER_FILE);
  if (!existsSync(path)) return null;
  const text = new TextDecoder().decode(readFileBytes(path, 'checkpoint'));
  let pointer: { format?: unknown; generation?: unknown };
  try {
    pointer = JSON.parse(text);
  } catch {
    throw new FormatError(`${path}: not JSON (corrupt checkpoint pointer)`);
  }
  if (pointer?.format !== FORMAT || typeof pointer.generation !== 'string' || !GENERATION.test(pointer.generation)) {
    throw new FormatError(`${path}: not a ${FORMAT} pointer (format ${JSON.stringify(pointer?.format)}, generation ${JSON.stringify(pointer?.generation)})`);
  }
  return pointer.generation;
}

/**
 * The files of the checkpoint at `path`: a checkpoint directory (with or without generations),
 * or the model file itself (then the optimizer file is NAME.optimizer.safetensors beside it, else
 * the directory's optimizer.safetensors, if any).
 */
export function resolveCheckpoint(path: string): CheckpointPaths {
  if (path.endsWith('.safetensors') && existsSync(path) && statSync(path).isFile()) {
    // A downloaded pair (the playground's NAME.safetensors and NAME.optimizer.safetensors), else the directory's optimizer file.
    const paired = path.replace(/\.safetensors$/, OPTIMIZER_SUFFIX);
    return { dir: dirname(path), model: path, optimizer: existsSync(paired) ? paired : join(dirname(path), OPTIMIZER_FILE) };
  }
  if (!existsSync(path)) throw new MissingFileError(`checkpoint: no checkpoint at ${path}`);
  const generation = readPointer(path);
  const dir = generation ? join(path, generation) : path;
  if (!existsSync(join(dir, MODEL_FILE))) {
    throw new MissingFileError(`checkpoint: ${path} holds no checkpoint (neither ${POINTER_FILE} nor ${MODEL_FILE})`);
  }
  return { dir, model: join(dir, MODEL_FILE), optimizer: join(dir, OPTIMIZER_FILE) };
}

/** Whether `path` holds a checkpoint (of any layout). */
export function hasCheckpoint(path: string): boolean {
  return existsSync(join(path, POINTER_FILE)) || existsSync(join(path, MODEL_FILE));
}

/** Remove generations nobody points at and nobody alive is writing, and stray temporaries. */
function removeOrphans(dir: string, keep: ReadonlySet<string>): void {
  for (const name of readdirSync(dir)) {
    const match = GENERATION.exec(name);
    if (!match || keep.has(name)) continue;
    const pid = Number(match[1]);
    if (pid !== process.pid && processAlive(pid)) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
  }
  removeOrphanedTemporaries(join(dir, POINTER_FILE));
  for (const file of [MODEL_FILE, OPTIMIZER_FILE]) removeOrphanedTemporaries(join(dir, file));
}

/**
 * Commit a checkpoint of training step `step` into `dir`: `files` (name -> bytes) go into a new
 * generation, flushed, which one rename of the pointer then makes the current one.
 */
export function commitCheckpoint(dir: string, step: number, files: Record<string, Uint8Array>): CheckpointPaths {
  mkdirSync(dir, { recursive: true });
  try {
    const previous = readPointer(dir);
    removeOrphans(dir, new Set(previous ? [previous] : []));
  } catch (e) {
    // A corrupt pointer: remove nothing before the new generation is committed.
    if (!(e instanceof FormatError)) throw e;
  }
  const generation = `step-${String(step).padStart(6, '0')}-p${process.pid}-${randomBytes(4).toString('hex')}`;
  const genDir = join(dir, generation);
  mkdirSync(genDir);
  for (const [name, bytes] of Object.entries(files)) writeFileDurable(join(genDir, name), bytes);
  fsyncDirectory(genDir);
  fsyncDirectory(dir);

  const pointer = join(dir, POINTER_FILE);
  const tmp = temporaryName(pointer);
  writeFileDurable(tmp, `${JSON.stringify({ format: FORMAT, generation, step })}\n`);
  renameSync(tmp, pointer); // the commit
  fsyncDirectory(dir);

  for (const file of Object.keys(files)) mirror(join(genDir, file), join(dir, file));
  fsyncDirectory(dir);
  // The old generation goes only after the commit.
  removeOrphans(dir, new Set([generation]));
  return { dir: genDir, model: join(genDir, MODEL_FILE), optimizer: join(genDir, OPTIMIZER_FILE) };
}

/** Replace `to` by a hard link to `from` (a copy where links are not supported), atomically. */
function mirror(from: string, to: string): void {
  const tmp = temporaryName(to);
  try {
    try {
      linkSync(from, tmp);
    } catch {
      copyFileSync(from, tmp);
    }
    renameSync(tmp, to);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
