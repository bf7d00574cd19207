// A run holds its directory while it trains: a second `genlab train` into it is refused before
// it trains, and a save never replaces a checkpoint that another run wrote meanwhile. Before,
// two runs started in one directory both passed the start-up guard (neither had saved yet), wrote
// the same sample grids, and the one killed last saved its SIGTERM checkpoint over the other's.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { claimRunDir, saveTarget } from '../src/cli/run-dir.js';
import { readCheckpointInfo, saveCheckpoint } from '../src/node.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'genlab-rundir-'));
const LOCK = '.genlab-train.lock';

describe('run directory lock', () => {
  it('refuses a directory held by a live process, takes over a dead one\'s, and releases only its own', () => {
    const out = tmp();
    const holder = spawn('sleep', ['60']);
    try {
      writeFileSync(join(out, LOCK), JSON.stringify({ pid: holder.pid, runId: 'other' }));
      expect(() => claimRunDir(out, 'mine')).toThrow(T.ArgumentError);
      expect(() => claimRunDir(out, 'mine')).toThrow(new RegExp(`in use by another genlab train \\(process ${holder.pid}`));
    } finally {
      holder.kill('SIGKILL');
    }
    // A process that has exited: its lock is stale.
    const dead = spawnSync('true').pid;
    writeFileSync(join(out, LOCK), JSON.stringify({ pid: dead, runId: 'other' }));
    const release = claimRunDir(out, 'mine');
    expect(JSON.parse(readFileSync(join(out, LOCK), 'utf8'))).toEqual({ pid: process.pid, runId: 'mine' });
    // Unreadable (killed while writing it): stale too.
    release();
    expect(existsSync(join(out, LOCK))).toBe(false);
    writeFileSync(join(out, LOCK), '{"pi');
    const again = claimRunDir(out, 'mine');
    // Someone else's lock is left alone by our release.
    writeFileSync(join(out, LOCK), JSON.stringify({ pid: 1, runId: 'other' }));
    again();
    expect(existsSync(join(out, LOCK))).toBe(true);
  });

  it('a save goes beside a checkpoint that another run wrote after this one started', async () => {
    const out = tmp();
    expect(saveTarget(out, 'mine', undefined, false)).toBe(join(out, 'checkpoint'));
    const module = new T.nn.Linear(2, 1, { device: 'cpu' });
    await saveCheckpoint(join(out, 'checkpoint'), { module, trainingState: { step: 5, runId: 'other' } });
    expect(saveTarget(out, 'mine', undefined, false)).toBe(join(out, 'checkpoint-mine'));
    expect(saveTarget(out, 'other', undefined, false)).toBe(join(out, 'checkpoint'));
    expect(saveTarget(out, 'mine', undefined, true)).toBe(join(out, 'checkpoint'));
    expect(readCheckpointInfo(join(out, 'checkpoint')).trainingState.step).toBe(5);
    module.dispose();
  });

  it('genlab train: a second run into a running one\'s directory is refused; the first still saves there', async () => {
    const out = tmp();
    const args = ['train', 'mlp-autoencoder', '--device', 'cpu', '--batch', '16', '--limit', '200', '--sample-every', '0', '--out', out];
    const cli = ['--import', 'tsx', '--import', './scripts/wgsl-register.mjs', 'src/cli/main.ts'];
    const first = spawn(process.execPath, [...cli, ...args, '--steps', '100000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    const started = new Promise<void>((resolve) => {
      const take = (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('step 1/100000')) resolve();
      };
      first.stdout.on('data', take);
      first.stderr.on('data', take);
    });
    const closed = new Promise<number | null>((resolve) => first.on('close', resolve));
    await started;
    const second = spawnSync(process.execPath, [...cli, ...args, '--steps', '2'], { encoding: 'utf8' });
    first.kill('SIGTERM');
    expect(await closed, text).toBe(143);
    expect(second.status).toBe(1);
    expect(second.stdout + second.stderr).toMatch(/is in use by another genlab train \(process \d+/);
    expect(readCheckpointInfo(join(out, 'checkpoint')).trainingState.step).toBeGreaterThan(2);
    expect(existsSync(join(out, LOCK))).toBe(false);
  });
});
