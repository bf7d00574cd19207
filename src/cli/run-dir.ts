/**
 * Which directory a `genlab train` run writes to, and the guard that keeps it from replacing the
 * checkpoint of another run: a run's checkpoint carries a run id (kept across resumes), and an
 * existing checkpoint under `--out` is replaced only by the run it belongs to, or with `--force`.
 *
 * The guard alone looked only at the checkpoint present when a run started: two runs started in
 * one directory before either had saved both passed it, then wrote the same samples and the same
 * checkpoint, and the one killed last saved its SIGTERM checkpoint over the other's. So a run also
 * holds its directory for as long as it trains (a lock file naming its process), and the guard is
 * checked again right before each save.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
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

const LOCK_FILE = '.genlab-train.lock';

/** Whether process `pid` exists (EPERM: it does, owned by someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Holds `out` for this run until the returned release is called: refuses (before any training
 * time is spent) when a live process holds it, and takes over the lock of a process that died.
 * `--force` does not override a live holder: two processes writing one directory lose both runs.
 */
export function claimRunDir(out: string, runId: string): () => void {
  mkdirSync(out, { recursive: true });
  const lock = join(out, LOCK_FILE);
  const mine = JSON.stringify({ pid: process.pid, runId });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(lock, mine, { flag: 'wx' });
      return () => release(lock, mine);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder: { pid?: unknown } = {};
    try {
      holder = JSON.parse(readFileSync(lock, 'utf8')) as typeof holder;
    } catch {
      // Unreadable (a holder killed while writing it, or gone since): stale.
    }
    if (typeof holder.pid === 'number' && holder.pid !== process.pid && alive(holder.pid)) {
      throw new ArgumentError(`${out} is in use by another genlab train (process ${holder.pid}, lock file ${lock}); wait for it, stop it, or choose another --out`);
    }
    rmSync(lock, { force: true });
  }
  throw new ArgumentError(`${out}: could not take its lock file ${lock} (other runs keep claiming it)`);
}

function release(lock: string, mine: string): void {
  try {
    if (readFileSync(lock, 'utf8') === mine) unlinkSync(lock);
  } catch {
    // Already gone.
  }
}

/**
 * Where a run saves: `out`'s checkpoint when it is still this run's to replace (see
 * guardCheckpoint), else a directory of its own beside it, so a save never destroys another run's
 * checkpoint and never loses this run's steps either.
 */
export function saveTarget(out: string, runId: string, resumed: string | undefined, force: boolean): string {
  try {
    guardCheckpoint(out, runId, resumed, force);
    return join(out, CHECKPOINT_DIR);
  } catch (e) {
    if (!(e instanceof ArgumentError)) throw e;
    return join(out, `${CHECKPOINT_DIR}-${runId}`);
  }
}
