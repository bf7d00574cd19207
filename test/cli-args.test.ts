// genlab's flags: every subcommand has --help, every bad value is a one-line error naming the flag
// (raised before any device work), enumerated --config values are checked, and `genlab import`
// adopts a plain state dict as a checkpoint that `genlab sample` and loadModel read.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getModel } from '../models/index.js';
import { helpText, parseCommand, UsageError } from '../src/cli/args.js';
import { COMMANDS } from '../src/cli/commands.js';
import { importStateDict } from '../src/cli/import.js';
import { loadModel } from '../src/cli/load-model.js';
import { applyConfig } from '../src/cli/train.js';
import { saveSafetensors } from '../src/node.js';

const spec = (name: string) => COMMANDS.find((c) => c.spec.name === name)!.spec;
const usageError = (name: string, argv: string[]) => {
  try {
    parseCommand(spec(name), argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`genlab ${name} ${argv.join(' ')} was accepted`);
};

describe('genlab flags', () => {
  it('every command has --help listing each of its flags', () => {
    for (const { spec: s } of COMMANDS) {
      expect(parseCommand(s, ['--help'])).toBe('help');
      expect(parseCommand(s, ['-h'])).toBe('help');
      const text = helpText(s);
      for (const flag of Object.keys(s.flags)) expect(text).toContain(`--${flag}`);
    }
  });

  it('rejects each bad value with a message naming the flag', () => {
    expect(usageError('train', ['vae', '--steps', '-5'])).toBe("--steps must be a positive integer, got '-5'");
    expect(usageError('train', ['vae', '--batch', '0'])).toBe("--batch must be a positive integer, got '0'");
    expect(usageError('train', ['vae', '--lr', '-1e-3'])).toBe("--lr must be a positive number, got '-1e-3'");
    expect(usageError('train', ['vae', '--seed', '1.5'])).toBe("--seed must be a non-negative integer, got '1.5'");
    expect(usageError('train', ['vae', '--device', 'gpu'])).toBe("--device must be one of webgpu, wasm, cpu, got 'gpu'");
    expect(usageError('train', ['vae', '--classes', '1,,2'])).toBe("--classes takes comma-separated non-negative integers, got '1,,2'");
    expect(usageError('train', ['vae', '--config', 'width'])).toBe("--config takes key=value, got 'width'");
    expect(usageError('train', ['vae', '--steps'])).toBe('--steps needs a value');
    expect(usageError('train', ['vae', '--nosuch', '1'])).toBe('unknown option --nosuch');
    expect(usageError('train', [])).toBe('takes <model>, got nothing');
    expect(usageError('sample', ['runs/x', '--n', '0'])).toBe("--n must be a positive integer, got '0'");
    expect(usageError('info', ['extra'])).toBe("takes no operands, got 'extra'");
    expect(usageError('import', ['vae'])).toBe("takes <model> <state_dict.safetensors>, got 'vae'");
  });

  it('parses good values to their types', () => {
    const parsed = parseCommand(spec('train'), ['dcgan', '--steps', '10', '--lr', '2e-4', '--classes', '1,8', '--config', 'width=16', '--config', 'zDim=8']);
    expect(parsed).toEqual({ operands: ['dcgan'], flags: { steps: 10, lr: 2e-4, classes: [1, 8], config: { width: '16', zDim: '8' } } });
  });

  it('checks enumerated --config values against the allowed ones', () => {
    expect(() => applyConfig(getModel('vae'), { arch: 'nosuch' })).toThrow("vae's arch is one of conv, mlp");
    expect(() => applyConfig(getModel('dcgan'), { generatorLoss: 'bogus' })).toThrow("dcgan's generatorLoss is one of non-saturating, minimax");
    expect(applyConfig(getModel('vae'), { arch: 'mlp' })).toMatchObject({ arch: 'mlp' });
  });

  it('prints one line (and exits 2) for a bad flag, before any device work', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--import', './scripts/wgsl-register.mjs', 'src/cli/main.ts', 'train', 'dcgan', '--batch', '0'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe("genlab train: --batch must be a positive integer, got '0' (see genlab train --help)\n");
  });
});

describe('genlab import', () => {
  it('adopts a plain state dict as a checkpoint with the model and configuration', async () => {
    const entry = getModel('mlp-autoencoder');
    const config = applyConfig(entry, { hidden: '32', latent: '4' });
    const trained = entry.build(config, 'cpu');
    const dir = mkdtempSync(join(tmpdir(), 'genlab-import-'));
    const file = join(dir, 'state_dict.safetensors');
    await saveSafetensors(file, trained.stateDict());
    expect(await importStateDict({ model: 'mlp-autoencoder', file, out: join(dir, 'run'), config: { hidden: '32', latent: '4' } })).toBe(0);
    const loaded = loadModel(join(dir, 'run', 'checkpoint'), 'cpu');
    expect(loaded.entry.name).toBe('mlp-autoencoder');
    expect(loaded.config).toEqual(config);
    for (const [name, t] of Object.entries(trained.stateDict())) expect([...loaded.model.stateDict()[name]!.dataSync()]).toEqual([...t.dataSync()]);
    // Without the configuration the weights were trained with, the shapes do not fit: said, with the fix.
    await expect(importStateDict({ model: 'mlp-autoencoder', file, out: join(dir, 'bad') })).rejects.toThrow(/pass the configuration the weights were trained with/);
    await expect(importStateDict({ model: 'vae', file, out: join(dir, 'bad') })).rejects.toThrow(/is not a vae state dict/);
    trained.dispose();
    loaded.model.dispose();
  });
});
