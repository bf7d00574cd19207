// The browser playground (playground/, scripts/playground.mjs) in headless Chromium with WebGPU
// (SwiftShader), driven as a person drives it: tiny configurations of the MLP autoencoder and the
// DCGAN trained a few steps on WebGPU and on wasm, paused, sampled, resumed and stopped; the
// checkpoint's two files downloaded, read by the command line (sampled, and resumed by `genlab
// train`), and loaded back; a `genlab train` checkpoint with its optimizer state loaded and
// continued; the page's evaluation against `genlab eval`'s numbers; a bad file reported.
// test/playground-wasm.test.ts covers a browser without WebGPU.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getModel, isEncoder } from '../models/index.js';
import { parseSafetensors } from '../src/io/safetensors.js';
import { loadCheckpoint } from '../src/io/checkpoint.js';
import { loadModel } from '../src/cli/load-model.js';
import { train } from '../src/cli/train.js';
import { evaluateCheckpoint } from '../src/cli/eval.js';
import { PlaygroundPage } from './playground-page.js';

const pg = new PlaygroundPage();
const { downloads, work } = pg;
let page: PlaygroundPage['page'];
const screenshot = (name: string) => pg.screenshot(name);
const waitForState = (states: string[], timeout?: number) => pg.waitForState(states, timeout);
const gridUpdates = () => pg.gridUpdates();
const gridPicture = () => pg.gridPicture();
const plotPoints = () => pg.plotPoints();
const setUp = (model: string, device: string, fields: Record<string, string>) => pg.setUp(model, device, fields);
const trainToEnd = () => pg.trainToEnd();

/** The optimizer file's training state and every optimizer's per-parameter step counts. */
function optimizerSteps(file: string): { state: { step: number }; counts: number[] } {
  const { tensors, metadata } = parseSafetensors(readFileSync(file), { source: file });
  for (const t of Object.values(tensors)) t.dispose();
  const counts = Object.entries(metadata).filter(([k]) => k.endsWith('.steps')).flatMap(([, v]) => Object.values(JSON.parse(v) as Record<string, number>));
  return { state: JSON.parse(metadata['genlab.training_state']!), counts };
}

beforeAll(async () => {
  await pg.open(true);
  page = pg.page;
}, 120_000);

afterAll(() => pg.close());

describe('the playground page', () => {
  it('is cross-origin isolated, finds WebGPU and a threaded wasm, and labels every control', async () => {
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await page.$eval('#device', (e) => (e as HTMLElement).dataset.webgpu)).toBe('true');
    expect(await page.$eval('#device', (e) => e.textContent)).toMatch(/wasm: .*2 threads/);
    const unlabelled = await page.$$eval('input, select, button, canvas', (els) =>
      els.filter((e) => !((e as HTMLInputElement).labels?.length || e.getAttribute('aria-label') || (e.tagName === 'BUTTON' && e.textContent!.trim()))).map((e) => e.outerHTML));
    expect(unlabelled).toEqual([]);
    const models = await page.$$eval('#model option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(models).toEqual(expect.arrayContaining(['mlp-autoencoder', 'dcgan', 'vae', 'ddpm']));
    // The keyboard moves through the models, and the description and configuration follow.
    await page.select('#model', 'mlp-autoencoder');
    await page.focus('#model');
    await page.keyboard.press('ArrowDown');
    const next = await page.$eval('#model', (e) => (e as HTMLSelectElement).value);
    expect(next).not.toBe('mlp-autoencoder');
    expect(await page.$$eval('#config-fields input, #config-fields select', (els) => els.length)).toBeGreaterThan(0);
    await screenshot('ready');
  });

  it('trains the MLP autoencoder on WebGPU: pause, sample, resume, stop; the plot and the grid update', async () => {
    await setUp('mlp-autoencoder', 'webgpu', { batch: '8', steps: '40', 'sample-every': '2', 'config-hidden': '16', 'config-latent': '2' });
    await page.click('#train');
    await page.waitForFunction(() => Number(document.getElementById('samples')!.dataset.step) >= 2, { timeout: 120_000 });
    await page.click('#pause');
    await waitForState(['paused']);
    expect(await page.$eval('#status', (e) => (e as HTMLElement).dataset.device)).toBe('webgpu');
    await screenshot('webgpu-paused');
    const paused = await gridPicture();
    const updates = await gridUpdates();
    await page.click('#sample');
    await page.waitForFunction((n: number) => Number(document.getElementById('samples')!.dataset.updates) > n, { timeout: 60_000 }, updates);
    expect((await gridPicture()).equals(paused)).toBe(false);
    const pausedStep = Number(await page.$eval('#status', (e) => (e as HTMLElement).dataset.step));
    await page.click('#pause');
    await waitForState(['training']);
    await page.waitForFunction((s: number) => Number(document.getElementById('status')!.dataset.step) >= s + 2, { timeout: 60_000 }, pausedStep);
    await page.click('#stop');
    await waitForState(['stopped']);
    const points = await plotPoints();
    expect(points.loss).toBeGreaterThanOrEqual(2);
    expect(await page.$eval('#preview-figure', (e) => (e as HTMLElement).hidden)).toBe(false);
    expect(await page.$eval('#status', (e) => e.textContent)).toMatch(/steps\/s/);
    await screenshot('webgpu-stopped');
  });

  it('downloads the checkpoint\'s two files, which the command line samples and resumes', async () => {
    const step = Number(await pg.data('#download', 'step'));
    expect(Number(await pg.data('#download-optimizer', 'step'))).toBe(step);
    await page.click('#download');
    await page.click('#download-optimizer');
    const file = join(downloads, `mlp-autoencoder-step-${step}.safetensors`);
    const optimizerFile = join(downloads, `mlp-autoencoder-step-${step}.optimizer.safetensors`);
    await expect.poll(() => existsSync(file) && existsSync(optimizerFile), { timeout: 20_000 }).toBe(true);
    const loaded = loadModel(file, 'cpu');
    expect(loaded.entry.name).toBe('mlp-autoencoder');
    expect(loaded.step).toBe(step);
    expect(loaded.config).toEqual({ hidden: 16, latent: 2 });
    expect(loaded.metadata['genlab.data']).toBe('mnist');
    if (isEncoder(loaded.model)) throw new Error('the MLP autoencoder is not an encoder');
    const samples = loaded.model.sample(4);
    expect(samples.shape).toEqual([4, 1, 28, 28]);
    samples.dispose();
    // The optimizer file loads into the model's optimizers as genlab train --resume loads it: Adam at step `step`.
    const training = getModel('mlp-autoencoder').train(loaded.model, { lr: 1e-3 });
    const info = loadCheckpoint(file, { module: loaded.model, optimizers: training.optimizers });
    expect(info.trainingState).toMatchObject({ step, totalSteps: 40, batch: 8, data: 'mnist', heldOut: true, seed: 0 });
    expect(new Set(optimizerSteps(optimizerFile).counts)).toEqual(new Set([step]));
    for (const o of Object.values(training.optimizers)) o.dispose();
    loaded.model.dispose();
    // genlab train --resume NAME.safetensors finds NAME.optimizer.safetensors and continues the run.
    const resumed = join(work, 'resumed');
    await train({ model: 'mlp-autoencoder', resume: file, steps: step + 2, device: 'cpu', out: resumed, sampleEvery: 0 });
    const after = optimizerSteps(join(resumed, 'checkpoint', 'optimizer.safetensors'));
    expect(after.state.step).toBe(step + 2);
    expect(new Set(after.counts)).toEqual(new Set([step + 2]));
  });

  it('trains the DCGAN on WebGPU: one plot per loss, the grid changes', async () => {
    const before = await gridPicture();
    // Two steps: SwiftShader compiles every kernel of the first step (most of this test's time).
    await setUp('dcgan', 'webgpu', { batch: '8', steps: '2', 'sample-every': '2', 'config-zDim': '8', 'config-width': '4' });
    await trainToEnd();
    expect(Object.keys(await plotPoints()).length).toBeGreaterThanOrEqual(2);
    expect((await gridPicture()).equals(before)).toBe(false);
    // The DCGAN has no preview: the autoencoder's is gone.
    expect(await page.$eval('#preview-figure', (e) => (e as HTMLElement).hidden)).toBe(true);
    await screenshot('webgpu-dcgan');
  });

  it("shows ddpm's denoising trajectory as its preview (wasm)", async () => {
    await setUp('ddpm', 'wasm', { batch: '4', steps: '1', 'sample-every': '1', 'config-width': '4', 'config-mults': '1,2', 'config-groups': '2', 'config-heads': '1', 'config-steps': '7' });
    await trainToEnd();
    expect(await page.$eval('#preview-figure', (e) => (e as HTMLElement).hidden)).toBe(false);
    expect(await page.$eval('#preview-caption', (e) => e.textContent)).toMatch(/^Denoising trajectory \(each row: x_T on the left to x_0\) at step 1$/);
    // Eight rows of eight 28-pixel cells with 2-pixel gaps.
    expect(await page.$eval('#preview', (e) => [(e as HTMLCanvasElement).width, (e as HTMLCanvasElement).height])).toEqual([242, 242]);
  });

  it('trains a translation model on its task (pix2pix, edges to digits, wasm): the preview shows source, output and target rows', async () => {
    await setUp('pix2pix', 'wasm', { batch: '4', steps: '2', 'sample-every': '2', 'config-width': '4' });
    await trainToEnd();
    expect(await page.$eval('#status', (e) => (e as HTMLElement).dataset.step)).toBe('2');
    expect(await page.$eval('#preview-figure', (e) => (e as HTMLElement).hidden)).toBe(false);
    expect(await page.$eval('#preview-caption', (e) => e.textContent)).toBe('Preview (the model on real images) at step 2');
    expect(Object.keys(await plotPoints()).length).toBeGreaterThanOrEqual(2);
    await screenshot('wasm-pix2pix');
  });

  it("evaluates an encoder (moco, wasm) as genlab eval does: the linear probe and k-NN beside a random encoder's", async () => {
    await setUp('moco', 'wasm', { batch: '8', steps: '1', 'sample-every': '1', 'config-width': '4', 'config-projection': '8', 'config-queue': '16' });
    await trainToEnd();
    const report = await pg.evaluate(100);
    expect(report.nTrain).toBe(100);
    for (const key of ['linearProbe', 'knn']) {
      expect(report[key].value).toBeGreaterThan(0.1);
      expect(report[key].floor).toBeGreaterThan(0.05);
    }
    expect(await pg.text('#eval-report')).toMatch(/linear probe +[\d.]+% +[\d.]+% +100 training, \d+ held out/);
  });

  it('trains both models on wasm', async () => {
    for (const [model, config] of [['mlp-autoencoder', { 'config-hidden': '16', 'config-latent': '2' }], ['dcgan', { 'config-zDim': '8', 'config-width': '4' }]] as const) {
      const before = await gridPicture();
      await setUp(model, 'wasm', { batch: '8', steps: '3', 'sample-every': '1', ...config });
      await trainToEnd();
      expect(await page.$eval('#status', (e) => (e as HTMLElement).dataset.device)).toBe('wasm');
      expect(Math.min(...Object.values(await plotPoints()))).toBeGreaterThanOrEqual(3);
      expect((await gridPicture()).equals(before)).toBe(false);
      await screenshot(`wasm-${model}`);
    }
  });

  it('loads the downloaded checkpoint back, samples it without training, and evaluates it as genlab eval does', async () => {
    const step = Number(await pg.data('#download', 'step'));
    const file = join(downloads, readdirSync(downloads).find((f) => /^mlp-autoencoder-step-\d+\.safetensors$/.test(f))!);
    // On the CPU backend, so the page's numbers can equal the command line's (float64 on both).
    await page.select('#device-choice', 'cpu');
    await pg.upload('#load', file, file.replace(/\.safetensors$/, '.optimizer.safetensors'));
    await waitForState(['loaded', 'failed']);
    expect(await pg.text('#error')).toBe('');
    expect(await page.$eval('#model', (e) => (e as HTMLSelectElement).value)).toBe('mlp-autoencoder');
    expect(await page.$eval('#config-hidden', (e) => (e as HTMLInputElement).value)).toBe('16');
    expect(await pg.text('#status')).toMatch(/optimizer state came with it/);
    expect(Number(await pg.data('#download-optimizer', 'step'))).not.toBe(step);
    const updates = await gridUpdates();
    await page.click('#sample');
    await page.waitForFunction((n: number) => Number(document.getElementById('samples')!.dataset.updates) > n, { timeout: 60_000 }, updates);
    await screenshot('loaded-and-sampled');
    const n = 20;
    const report = await pg.evaluate(n);
    expect(await pg.text('#eval-report')).toMatch(/FID[\s\S]*reconstruction MSE/);
    await screenshot('evaluated');
    const cli = (await evaluateCheckpoint({ checkpoint: file, n, device: 'cpu', quiet: true })).report;
    // What does not depend on the samples' random draw is the same number: the floor (the same
    // split, feature network and stratified draw) and the held-out reconstructions.
    for (const k of ['fid', 'kid', 'precision', 'recall', 'is'] as const) expect(report[k].floor.value).toBeCloseTo(cli[k]!.floor!.value, 9);
    expect(report.reconstruction.mse).toBeCloseTo(cli.reconstruction!.mse, 9);
    expect(report.reconstruction.bce).toBeCloseTo(cli.reconstruction!.bce, 6);
    expect([report.n, report.nHeldOut]).toEqual([n, 1000]);
    expect(report.fid.value).toBeGreaterThan(report.fid.floor.value);
  });

  it('loads a `genlab train` checkpoint with its optimizer state and continues the run; a bad file keeps the last checkpoint downloadable', async () => {
    const out = join(work, 'cli-run');
    await train({ model: 'dcgan', steps: 1, batch: 8, lr: 3e-4, device: 'cpu', out, sampleEvery: 0, config: { zDim: '8', width: '4' } });
    await page.select('#device-choice', 'wasm');
    await pg.upload('#load', join(out, 'checkpoint', 'model.safetensors'), join(out, 'checkpoint', 'optimizer.safetensors'));
    await waitForState(['loaded', 'failed']);
    expect(await page.$eval('#model', (e) => (e as HTMLSelectElement).value)).toBe('dcgan');
    expect(await pg.text('#status')).toMatch(/dcgan at step 1 .*optimizer state came with it/);
    expect(await page.$eval('#lr', (e) => (e as HTMLInputElement).value)).toBe('0.0003');
    expect(await page.$eval('#batch', (e) => (e as HTMLInputElement).value)).toBe('8');
    expect(await page.$eval('#from-loaded', (e) => (e as HTMLInputElement).checked)).toBe(true);
    expect(await page.$eval('#config-width', (e) => (e as HTMLInputElement).value)).toBe('4');
    await pg.fill({ steps: '1', 'sample-every': '1' });
    await trainToEnd();
    await page.click('#download-optimizer');
    const continued = join(downloads, 'dcgan-step-2.optimizer.safetensors');
    await expect.poll(() => existsSync(continued), { timeout: 20_000 }).toBe(true);
    // Adam went on from the command line's step 1: a fresh optimizer would be at 1.
    const { state, counts } = optimizerSteps(continued);
    expect(state.step).toBe(2);
    expect(new Set(counts)).toEqual(new Set([2]));
    const bad = join(work, 'not-a-checkpoint.safetensors');
    writeFileSync(bad, 'this is not a safetensors file');
    await pg.upload('#load', bad);
    await waitForState(['failed']);
    expect(await pg.text('#error')).toMatch(/FormatError: not-a-checkpoint\.safetensors: not a valid safetensors file.*The last checkpoint is still downloadable/);
    expect(await page.$eval('#download', (e) => e.getAttribute('href'))).toMatch(/^blob:/);
    expect(await pg.data('#download', 'step')).toBe('2');
    await screenshot('bad-file');
    expect(pg.pageErrors).toEqual([]);
  });
});
