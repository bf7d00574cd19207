// The `genlab` command end to end, run from the sources as a user would: train on a tiny budget,
// resume exactly, stop on Ctrl-C with a checkpoint, sample from a checkpoint, and report errors.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { describe, expect, it, vi } from 'vitest';
import { getModel, registerModel } from '../models/index.js';
import { train } from '../src/cli/train.js';
import { loadSafetensors, readCheckpointInfo } from '../src/node.js';

interface Result {
  code: number | null;
  out: string;
}

/** Runs `genlab ...args`; `onOutput` sees the output so far and may act on the child (send a signal). */
function genlab(args: string[], onOutput?: (out: string, kill: (signal: NodeJS.Signals) => void) => void): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', './scripts/wgsl-register.mjs', 'src/cli/main.ts', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const take = (chunk: Buffer) => {
      out += chunk.toString();
      onOutput?.(out, (signal) => child.kill(signal));
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

const tmp = () => mkdtempSync(join(tmpdir(), 'genlab-cli-'));
const TINY = ['--device', 'cpu', '--batch', '16', '--limit', '200'];

describe('genlab train', () => {
  it('trains on a tiny budget and writes sample grids and a checkpoint', async () => {
    const out = tmp();
    const r = await genlab(['train', 'mlp-autoencoder', ...TINY, '--steps', '8', '--sample-every', '4', '--eval-every', '4', '--eval-n', '50', '--out', out]);
    expect(r.out).toContain('mlp-autoencoder: 419,120 parameters on cpu; 200 images from mnist');
    // --eval-every: FID of 50 samples at steps 4 and 8 against the held-out digits, with its floor.
    expect(r.out).toMatch(/eval at step 4: FID [\d.]+ \(floor [\d.]+, N 50\), confident [\d.]+%/);
    const evals = readFileSync(join(out, 'eval.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(evals.map((e) => [e.step, e.n])).toEqual([[4, 50], [8, 50]]);
    for (const e of evals) expect(e.fid).toBeGreaterThan(e.fidFloor);
    expect(r.out).toMatch(/8 steps in [\d.]+ s \([\d.]+ steps\/s on cpu\), final loss 0\.\d{4}/);
    expect(r.code).toBe(0);
    for (const step of ['000004', '000008']) {
      const png = decode(readFileSync(join(out, 'samples', `step-${step}.png`)));
      expect([png.width, png.height]).toEqual([8 * 30 + 2, 8 * 30 + 2]);
    }
    const model = loadSafetensors(join(out, 'checkpoint', 'model.safetensors'));
    expect(Object.keys(model.tensors)).toContain('encoder.1.weight');
    expect(model.metadata['genlab.model']).toBe('mlp-autoencoder');
    expect(model.metadata['genlab.step']).toBe('8');
    const optimizer = loadSafetensors(join(out, 'checkpoint', 'optimizer.safetensors'));
    expect(Object.keys(optimizer.tensors)).toContain('adam.state.0.exp_avg_sq');
  });

  it('picks the device by timing a class-conditional model\'s step on a labelled batch', async () => {
    // No --device: on a software adapter genlab times one step on each backend before training,
    // and the conditional GANs need the batch's labels for it (they once got none and stopped).
    const out = tmp();
    const r = await genlab(['train', 'cgan', '--config', 'width=4', '--batch', '8', '--limit', '16', '--steps', '1', '--sample-every', '0', '--out', out]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/((Software WebGPU adapter .*|No WebGPU): .*wasm backend \d+ ms\/step, CPU backend \d+ ms\/step; using (cpu|webgpu|wasm)|Using WebGPU on)/);
    expect(r.out).toMatch(/1 steps? in [\d.]+ s/);
  });

  it('--resume continues to the same weights as an uninterrupted run', async () => {
    const [straight, first, resumed] = [tmp(), tmp(), tmp()];
    const common = [...TINY, '--sample-every', '0'];
    expect((await genlab(['train', 'mlp-autoencoder', ...common, '--steps', '6', '--out', straight])).code).toBe(0);
    expect((await genlab(['train', 'mlp-autoencoder', ...common, '--steps', '3', '--out', first])).code).toBe(0);
    const r = await genlab(['train', 'mlp-autoencoder', '--device', 'cpu', '--steps', '6', '--sample-every', '0', '--resume', join(first, 'checkpoint'), '--out', resumed]);
    expect(r.out).toContain('resuming from step 3');
    expect(r.code).toBe(0);
    const bytes = (dir: string) => readFileSync(join(dir, 'checkpoint', 'model.safetensors'));
    expect(bytes(resumed).equals(bytes(straight))).toBe(true);
  });

  it('Ctrl-C stops after the current step and saves a resumable checkpoint', async () => {
    const out = tmp();
    let sent = false;
    const r = await genlab(['train', 'mlp-autoencoder', ...TINY, '--steps', '100000', '--sample-every', '0', '--out', out], (text, kill) => {
      if (!sent && text.includes('step 1/100000')) {
        sent = true;
        kill('SIGINT');
      }
    });
    expect(r.code).toBe(130);
    expect(r.out).toMatch(/interrupted \(SIGINT\): continue with `genlab train mlp-autoencoder --resume /);
    expect(existsSync(join(out, 'checkpoint', 'optimizer.safetensors'))).toBe(true);
  });

  it('SIGTERM saves like Ctrl-C; --resume without --out continues in that run\'s directory', async () => {
    const out = tmp();
    let sent = false;
    const r = await genlab(['train', 'mlp-autoencoder', ...TINY, '--steps', '100000', '--sample-every', '0', '--out', out], (text, kill) => {
      if (!sent && text.includes('step 1/100000')) {
        sent = true;
        kill('SIGTERM');
      }
    });
    expect(r.code, r.out).toBe(143);
    expect(r.out).toMatch(/interrupted \(SIGTERM\)/);
    const stopped = readCheckpointInfo(join(out, 'checkpoint')).trainingState.step;
    expect(stopped).toBeGreaterThan(0);
    const resumed = await genlab(['train', 'mlp-autoencoder', '--device', 'cpu', '--steps', String(stopped + 2), '--sample-every', '0', '--resume', join(out, 'checkpoint')]);
    expect(resumed.code, resumed.out).toBe(0);
    expect(readCheckpointInfo(join(out, 'checkpoint')).trainingState.step).toBe(stopped + 2);
    expect(existsSync(join(out, 'samples', `step-${String(stopped + 2).padStart(6, '0')}.png`))).toBe(true);
  });

  it('never replaces the checkpoint of another run without --force', async () => {
    const out = tmp();
    const common = ['train', 'mlp-autoencoder', ...TINY, '--sample-every', '0', '--out', out];
    expect((await genlab([...common, '--steps', '2'])).code).toBe(0);
    const again = await genlab([...common, '--steps', '1']);
    expect(again.code).toBe(1);
    expect(again.out).toMatch(/checkpoint holds the checkpoint of a mlp-autoencoder run at step 2 from another run; continue it with --resume .*, choose another --out, or pass --force/);
    expect(readCheckpointInfo(join(out, 'checkpoint')).trainingState.step).toBe(2);
    expect((await genlab([...common, '--steps', '1', '--force'])).code).toBe(0);
    expect(readCheckpointInfo(join(out, 'checkpoint')).trainingState.step).toBe(1);
  });

  it('--config changes the model and is saved in the checkpoint', async () => {
    const out = tmp();
    const r = await genlab(['train', 'mlp-autoencoder', ...TINY, '--steps', '1', '--sample-every', '0', '--config', 'hidden=64', '--config', 'latent=8', '--out', out]);
    expect(r.code).toBe(0);
    // 784*64+64 + 64*8+8 (encoder) + 8*64+64 + 64*784+784 (decoder)
    expect(r.out).toContain('mlp-autoencoder: 102,296 parameters on cpu');
    const model = loadSafetensors(join(out, 'checkpoint', 'model.safetensors'));
    expect(JSON.parse(model.metadata['genlab.config']!)).toEqual({ hidden: 64, latent: 8 });
    const png = join(out, 'grid.png');
    expect((await genlab(['sample', join(out, 'checkpoint'), '--n', '4', '--out', png, '--device', 'cpu'])).code).toBe(0);
    const badKey = await genlab(['train', 'mlp-autoencoder', ...TINY, '--config', 'width=3']);
    expect(badKey.code).toBe(1);
    expect(badKey.out).toContain("mlp-autoencoder has no configuration key 'width'; it has: hidden, latent");
    const badValue = await genlab(['train', 'mlp-autoencoder', ...TINY, '--config', 'hidden=wide']);
    expect(badValue.out).toContain("--config hidden=wide: mlp-autoencoder's hidden is a number (default 256)");
    expect((await genlab(['train', 'mlp-autoencoder', '--config', 'hidden'])).out).toContain("--config takes key=value, got 'hidden'");
  });

  it('--classes keeps only the images with those labels', async () => {
    const out = tmp();
    const r = await genlab(['train', 'mlp-autoencoder', '--device', 'cpu', '--batch', '16', '--classes', '3,7', '--limit', '40', '--steps', '1', '--sample-every', '0', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('40 images from mnist (classes 3,7), batch 16');
    expect((await genlab(['train', 'mlp-autoencoder', '--classes', 'bags'])).out).toContain("--classes takes comma-separated non-negative integers, got 'bags'");
    const none = await genlab(['train', 'mlp-autoencoder', '--device', 'cpu', '--classes', '42']);
    expect(none.out).toContain('selectClasses: mnist has no examples of classes [42]');
  });

  it('reports bad input clearly', async () => {
    const unknown = await genlab(['train', 'no-such-model']);
    expect(unknown.code).toBe(1);
    expect(unknown.out).toContain("genlab: unknown model 'no-such-model'; available: mlp-autoencoder");
    const usage = await genlab(['train', 'mlp-autoencoder', '--steps', 'many']);
    expect(usage.code).toBe(2);
    expect(usage.out).toContain("genlab train: --steps must be a positive integer, got 'many' (see genlab train --help)");
    const data = await genlab(['train', 'mlp-autoencoder', '--device', 'cpu', '--data', '/nonexistent/data']);
    expect(data.code).toBe(1);
    expect(data.out).toContain("dataset '/nonexistent/data'");
  });
});

describe('the lighter run without a hardware GPU', () => {
  it('applies withoutGpu when the command names no configuration and no length', async () => {
    registerModel({
      ...getModel('mlp-autoencoder'),
      name: 'test-light-mlp',
      withoutGpu: { config: { hidden: 16 }, steps: 2, sampleEvery: 0 },
    });
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(String(line)));
    try {
      const common = { model: 'test-light-mlp', device: 'cpu', limit: 64, batch: 16 };
      expect(await train({ ...common, out: tmp() })).toBe(0);
      expect(lines.join('\n')).toContain("No hardware GPU: the lighter default run (--config hidden=16 --steps 2); the full run is --config hidden=256 --steps 600");
      expect(lines.join('\n')).toMatch(/2 steps in .* on cpu/);
      // Naming the length (or the configuration) runs exactly what was asked.
      lines.length = 0;
      expect(await train({ ...common, steps: 1, out: tmp() })).toBe(0);
      expect(lines.join('\n')).not.toContain('No hardware GPU');
      expect(lines.join('\n')).toContain('test-light-mlp: 419,120 parameters');
    } finally {
      log.mockRestore();
    }
  });
});

describe('a step that throws', () => {
  it('saves the steps before it, resumable, and rethrows', async () => {
    const base = getModel('mlp-autoencoder');
    registerModel({
      ...base,
      name: 'test-failing-mlp',
      train: (model, opts) => {
        const training = base.train(model, opts);
        return { ...training, step: (batch, ctx) => {
          if (ctx.step === 3) throw new Error('device lost at step 4');
          return training.step(batch, ctx);
        } };
      },
    });
    const out = tmp();
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(String(line)));
    try {
      await expect(train({ model: 'test-failing-mlp', device: 'cpu', limit: 64, batch: 16, steps: 6, sampleEvery: 0, config: { hidden: '8' }, out })).rejects.toThrow('device lost at step 4');
    } finally {
      log.mockRestore();
    }
    expect(lines.join('\n')).toContain(`step 4 failed; saved the run as of step 3 to ${join(out, 'checkpoint')}`);
    expect((readCheckpointInfo(join(out, 'checkpoint')).trainingState as { step: number }).step).toBe(3);
  });
});

describe('genlab sample and info', () => {
  it('a default batch larger than the data shrinks to the data (gmm and hmm fit all 9,000 digits at once); an asked-for one is an error', async () => {
    const small = await genlab(['train', 'gaussian', '--device', 'cpu', '--limit', '300', '--steps', '1', '--sample-every', '0', '--out', tmp()]);
    expect(small.out).toContain("The dataset has 300 images, fewer than gaussian's batch of 500: batches of 300.");
    expect(small.code).toBe(0);
    const asked = await genlab(['train', 'gaussian', '--device', 'cpu', '--limit', '300', '--batch', '400', '--out', tmp()]);
    expect(asked.out).toContain('the dataset has 300 images, fewer than one batch of 400');
    expect(asked.code).toBe(1);
  });

  it('trains on the training part: the held-out digits genlab eval measures against are left out', async () => {
    const r = await genlab(['train', 'mlp-autoencoder', '--device', 'cpu', '--config', 'hidden=8', '--batch', '8', '--steps', '1', '--sample-every', '0', '--out', tmp()]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/9000 images from mnist, .*; its held-out part is left for genlab eval/);
  });

  it('samples from a checkpoint', async () => {
    const out = tmp();
    expect((await genlab(['train', 'mlp-autoencoder', ...TINY, '--steps', '2', '--sample-every', '0', '--out', out])).code).toBe(0);
    const png = join(out, 'grid.png');
    // The run directory works as well as its checkpoint.
    const r = await genlab(['sample', out, '--n', '16', '--out', png, '--device', 'cpu']);
    expect(r.out).toContain(`wrote ${png}: 16 samples of mlp-autoencoder (step 2) on cpu`);
    expect(decode(readFileSync(png)).width).toBe(4 * 30 + 2);
  });

  it("draws a diffusion model's trajectory and changes sampling keys with --config; keys that shape the weights are refused", async () => {
    const out = tmp();
    const tiny = ['--config', 'width=4', '--config', 'mults=1,2', '--config', 'groups=2', '--config', 'heads=0'];
    expect((await genlab(['train', 'ddpm', '--device', 'cpu', '--batch', '4', '--limit', '40', '--steps', '1', '--sample-every', '0', ...tiny, '--out', out])).code).toBe(0);
    const png = join(out, 'trajectory.png');
    const r = await genlab(['sample', out, '--trajectory', '--n', '16', '--config', 'steps=5', '--out', png, '--device', 'cpu']);
    expect(r.out).toContain(`wrote ${png}: denoising trajectories of ddpm (step 1) on cpu`);
    // Two rows of 8: x_T, the DDIM chain's 5 steps thinned to 6 columns, x_0 (28 px cells, 2 px gaps).
    const image = decode(readFileSync(png));
    expect([image.width, image.height]).toEqual([8 * 30 + 2, 2 * 30 + 2]);
    const shaped = await genlab(['sample', out, '--config', 'width=8', '--out', png, '--device', 'cpu']);
    expect(shaped.code).toBe(1);
    expect(shaped.out).toMatch(/--config width=8: the weights in \S+ no longer fit ddpm .*only keys that decide sampling can change/);
  });

  it('info lists the backends, the adapter and the models', async () => {
    const r = await genlab(['info']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/webgpu {2}\S.*\n {8}maxStorageBufferBindingSize +[\d,]+/);
    expect(r.out).toContain('mlp-autoencoder');
  });
});
