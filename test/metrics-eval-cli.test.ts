// `genlab eval` on real checkpoints made by `genlab train` (one step, so fast): the report has
// every metric with its floor and N, PPL for a GAN, class accuracy for a conditional GAN, the
// likelihood for the VAE, and the JSON file says the same.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateCheckpoint } from '../src/cli/eval.js';
import { train } from '../src/cli/train.js';

const run = async (model: string, config: Record<string, string> = {}, classes?: number[]) => {
  const out = mkdtempSync(join(tmpdir(), 'genlab-eval-'));
  expect(await train({ model, steps: 1, batch: 16, limit: 200, device: 'cpu', out, config, classes })).toBe(0);
  return join(out, 'checkpoint');
};

describe('genlab eval', () => {
  it('scores a GAN with the floor beside each metric, PPL included, and writes JSON', async () => {
    const checkpoint = await run('gan');
    const json = join(mkdtempSync(join(tmpdir(), 'genlab-eval-')), 'eval.json');
    const { report } = await evaluateCheckpoint({ checkpoint, n: 60, device: 'cpu', json, quiet: true });
    expect(report.n).toBe(60);
    expect(report.nHeldOut).toBe(1000);
    for (const m of [report.is!, report.fid, report.kid, report.precision, report.recall]) {
      expect(Number.isFinite(m.value)).toBe(true);
      expect(m.floor!.n).toBe(60);
    }
    // One step of training: far from the floor.
    expect(report.fid.value).toBeGreaterThan(report.fid.floor!.value);
    expect(report.ppl!.n).toBe(60);
    expect(report.classAccuracy).toBeUndefined();
    const written = JSON.parse(readFileSync(json, 'utf8'));
    expect(written).toMatchObject({ model: 'gan', data: 'mnist', n: 60, featureNet: 'feature-net-mnist' });
    expect(written.fid.value).toBe(report.fid.value);
  });

  it('measures class accuracy for a conditional GAN and the likelihood bound of the VAE', async () => {
    const cgan = await evaluateCheckpoint({ checkpoint: await run('cgan', { width: '8' }), n: 40, device: 'cpu', quiet: true });
    expect(cgan.report.classAccuracy!.n).toBe(40);
    expect(cgan.report.classAccuracy!.floor!.value).toBeGreaterThan(0.98);
    const vae = await evaluateCheckpoint({ checkpoint: await run('vae', { arch: 'mlp' }), n: 40, device: 'cpu', quiet: true });
    expect(vae.report.likelihood!.n).toBe(1000);
    expect(vae.report.likelihood!.natsPerImage).toBeGreaterThan(100);
    expect(vae.report.likelihood!.bitsPerDim).toBeCloseTo(vae.report.likelihood!.natsPerImage / (784 * Math.LN2), 10);
    // The VAE reconstructs (posterior mean through the decoder): its held-out error is reported.
    expect(vae.report.reconstruction!.n).toBe(1000);
    expect(vae.report.reconstruction!.mse).toBeGreaterThan(0);
    expect(vae.report.reconstruction!.mse).toBeLessThan(0.25);
    expect(vae.report.reconstruction!.bce).toBeGreaterThan(0);
  });

  it('measures a run on some classes against those classes only (--classes 3: 100 held-out 3s)', async () => {
    const { report, json } = await evaluateCheckpoint({ checkpoint: await run('gan', {}, [3]), n: 40, device: 'cpu', quiet: true });
    expect(report.nHeldOut).toBe(100);
    expect(json.heldOut).toContain('classes 3 only');
    // The floor's training images are 3s too: the classifier puts (nearly) all of them in class 3.
    expect(report.classShares!.floor[3]).toBeGreaterThan(0.95);
  });
});
