// A kill at every instant of a save, made deterministic: every file-system call that changes the
// disk is counted, and from the k-th on each one throws, as if the process had died there (nothing
// more reaches the disk). For every k the directory must hold a loadable checkpoint, the old or
// the new one, and the next save must succeed and leave no orphans.
import { cpSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { loadCheckpoint, readCheckpointInfo, resolveCheckpoint, saveCheckpoint } from '../src/node.js';
import { agreedStep, fill, makeParts } from './setup/checkpoint-writer.js';

class SimulatedKill extends Error {}
const crash = vi.hoisted(() => ({ after: Infinity, count: 0 }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const wrap = <A extends unknown[], R>(f: (...args: A) => R) => (...args: A): R => {
    if (++crash.count > crash.after) throw new SimulatedKill('killed');
    return f(...args);
  };
  const changing = ['openSync', 'writeSync', 'fsyncSync', 'closeSync', 'renameSync', 'linkSync', 'copyFileSync', 'rmSync', 'mkdirSync', 'writeFileSync'] as const;
  const mocked: Record<string, unknown> = { ...fs };
  for (const name of changing) mocked[name] = wrap(fs[name] as (...args: unknown[]) => unknown);
  return { ...mocked, default: mocked };
});

async function save(dir: string, step: number): Promise<void> {
  const parts = makeParts(8);
  fill(parts, step);
  try {
    await saveCheckpoint(dir, { module: parts.module, optimizers: { adam: parts.adam }, trainingState: { step } });
  } finally {
    parts.module.dispose();
    parts.adam.dispose();
  }
}

async function load(dir: string): Promise<number> {
  const parts = makeParts(8);
  const step = loadCheckpoint(dir, { module: parts.module, optimizers: { adam: parts.adam } }).trainingState.step;
  await agreedStep(parts, step);
  parts.module.dispose();
  parts.adam.dispose();
  return step;
}

/** Kill a save of step 2 over `start`'s checkpoint of step 1 after each file-system call in turn. */
async function everyInstant(start: (dir: string) => Promise<void>): Promise<number> {
  for (let k = 0; ; k++) {
    const dir = join(mkdtempSync(join(tmpdir(), 'genlab-crash-')), 'ckpt');
    await start(dir);
    crash.count = 0;
    crash.after = k;
    let killed = false;
    try {
      await save(dir, 2);
    } catch (e) {
      if (!(e instanceof SimulatedKill)) throw e;
      killed = true;
    } finally {
      crash.after = Infinity;
    }
    const step = await load(dir);
    expect([1, 2], `killed after ${k} calls`).toContain(step);
    if (!killed) {
      expect(step).toBe(2);
      return k;
    }
    // The next run's save succeeds and removes what the killed one left.
    await save(dir, 3);
    expect(readCheckpointInfo(dir).trainingState.step).toBe(3);
    expect(readdirSync(dir).filter((n) => n !== 'checkpoint.json' && !n.endsWith('.safetensors')).length, readdirSync(dir).join(' ')).toBe(1);
  }
}

describe('a save killed after any file-system call', () => {
  it('leaves the old or the new checkpoint loadable (over a checkpoint with generations)', async () => {
    const calls = await everyInstant((dir) => save(dir, 1));
    console.log(`a save makes ${calls} file-system calls that change the disk; killed after each`);
    expect(calls).toBeGreaterThan(15);
  });

  it('leaves the old or the new checkpoint loadable (over a checkpoint written before generations)', async () => {
    const calls = await everyInstant(async (dir) => {
      // The same files, without the pointer and generation: the layout checkpoints had before.
      const staging = join(mkdtempSync(join(tmpdir(), 'genlab-crash-')), 'ckpt');
      await save(staging, 1);
      cpSync(resolveCheckpoint(staging).dir, dir, { recursive: true });
    });
    expect(calls).toBeGreaterThan(15);
  });
});
