/**
 * Which directory a `genlab train` run writes to, and the guard that keeps it from replacing the
 * checkpoint of another run: a run's checkpoint carries a run id (kept across resumes), and an
 * existing checkpoint under `--out` is replaced only by the run it belongs to, or with `--force`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ArgumentError } from '../errors.js';
import { hasCheckpoint, readCheckpointInfo } from '../io/checkpoint.js';
import { MODEL_KEY } from './shared.js';

export const CHECKPOINT_DIR = 'checkpoint';

export const newRunId = (): string => randomBytes(8).toString('hex');

/** The checkpoint to resume from: a checkpoint directory or file, or a run directory holding `checkpoint/`. */
export function resumeCheckpoint(path: string): string {
  if (!hasCheckpoint(path) && hasCheckpoint(join(path, CHECKPOINT_DIR))) return join(path, CHECKPOINT_DIR);
  return path;
}

const real = (path: string) => (existsSync(path) ? realpathSync(path) : resolve(path));

/** The checkpoint directory `path` (a checkpoint directory, one of its generations, or a file in either) belongs to. */
export function checkpointDirOf(path: string): string {
  let dir = existsSync(path) && statSync(path).isFile() ? dirname(path) : path;
  if (/^step-\d+-p\d+-[0-9a-f]+$/.test(basename(dir))) dir = dirname(dir);
  return dir;
}

/** The run directory of a checkpoint: the one holding its `checkpoint/` directory. */
export const runDirOf = (checkpoint: string): string => dirname(checkpointDirOf(checkpoint));

/**
 * Refuse to start a run that would replace `out`'s checkpoint when that checkpoint belongs to
 * another run, before any training time is spent. A run may save over its own checkpoint: the
 * one it resumed from (`resumed`), or one carrying its run id.
 */
export function guardCheckpoint(out: string, runId: string, resumed: string | undefined, force: boolean): void {
  const target = join(out, CHECKPOINT_DIR);
  if (force || !hasCheckpoint(target)) return;
  if (resumed !== undefined && real(checkpointDirOf(resumed)) === real(target)) return;
  let owner: string | undefined;
  let what = 'a checkpoint that cannot be read';
  try {
    const { metadata, trainingState } = readCheckpointInfo(target);
    owner = typeof trainingState.runId === 'string' ? trainingState.runId : undefined;
    what = `the checkpoint of a ${metadata[MODEL_KEY] ?? 'model'} run at step ${trainingState.step}`;
  } catch {
    // Unreadable: never the current run's; replaced only with --force.
  }
  if (owner === runId) return;
  throw new ArgumentError(`${target} holds ${what} from another run; continue it with --resume ${target}, choose another --out, or pass --force to replace it`);
}
