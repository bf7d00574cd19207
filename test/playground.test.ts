// The browser playground (playground/, scripts/playground.mjs) in headless Chromium, driven as a
// person drives it: tiny configurations of the MLP autoencoder and the DCGAN trained a few steps
// on WebGPU (SwiftShader) and on wasm, paused, sampled, resumed and stopped; the checkpoint
// downloaded, read by the command line's loader, and loaded back; a `genlab train` checkpoint
// loaded and sampled; a bad file reported. A screenshot of every state goes to a temporary
// directory (printed) so a person can look at them.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type ElementHandle, type Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script without declarations
import { buildPlayground, servePlayground } from '../scripts/playground.mjs';
import { isEncoder } from '../models/index.js';
import { loadModel } from '../src/cli/load-model.js';
import { train } from '../src/cli/train.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const work = mkdtempSync(join(tmpdir(), 'genlab-playground-'));
const shots = join(work, 'screenshots');
const downloads = join(work, 'downloads');
let server: Server;
let browser: Browser;
let page: Page;
let shot = 0;
const pageErrors: string[] = [];

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}

const stateOf = () => page.$eval('#status', (e) => (e as HTMLElement).dataset.state);
const waitForState = (states: string[], timeout = 120_000) =>
  page.waitForFunction((s: string[]) => s.includes(document.getElementById('status')!.dataset.state!), { timeout }, states);
const gridUpdates = () => page.$eval('#samples', (e) => Number((e as HTMLElement).dataset.updates ?? 0));
const gridPicture = async () => Buffer.from(await (await page.$('#samples'))!.screenshot({ encoding: 'binary' }));
const plotPoints = async () => (await page.$$eval('#plots canvas', (cs) => Object.fromEntries(cs.map((c) => [(c as HTMLElement).dataset.loss, Number((c as HTMLElement).dataset.points)])))) as Record<string, number>;

/** Fill the form (model, device, batch, steps, grid interval, configuration keys). */
async function setUp(model: string, device: string, fields: Record<string, string>): Promise<void> {
  await page.select('#model', model);
  await page.select('#device-choice', device);
  for (const [id, value] of Object.entries(fields)) {
    await page.$eval(`#${id}`, (e, v) => ((e as HTMLInputElement).value = v as string), value);
  }
}

/** Start a run with the keyboard (focus Train, press Enter) and wait for it to end. */
async function trainToEnd(): Promise<void> {
  await page.focus('#train');
  await page.keyboard.press('Enter');
  await waitForState(['done', 'failed']);
  expect(await page.$eval('#error', (e) => e.textContent)).toBe('');
}

beforeAll(async () => {
  for (const d of [shots, downloads]) mkdirSync(d);
  const dir = await buildPlayground(join(work, 'site'));
  server = await servePlayground(dir, 0);
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 900 });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  const cdp = await page.createCDPSession();
  await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
  await page.goto(`http://localhost:${(server.address() as AddressInfo).port}/`);
  await waitForState(['idle'], 60_000);
  console.log(`playground screenshots: ${shots}`);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
});

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

  it('downloads the checkpoint in the command line\'s format', async () => {
    const step = Number(await page.$eval('#download', (e) => (e as HTMLElement).dataset.step));
    await page.click('#download');
    const file = join(downloads, `mlp-autoencoder-step-${step}.safetensors`);
    await expect.poll(() => existsSync(file), { timeout: 20_000 }).toBe(true);
    const loaded = loadModel(file, 'cpu');
    expect(loaded.entry.name).toBe('mlp-autoencoder');
    expect(loaded.step).toBe(step);
    expect(loaded.config).toEqual({ hidden: 16, latent: 2 });
    expect(loaded.metadata['genlab.data']).toBe('mnist');
    if (isEncoder(loaded.model)) throw new Error('the MLP autoencoder is not an encoder');
    const samples = loaded.model.sample(4);
    expect(samples.shape).toEqual([4, 1, 28, 28]);
    samples.dispose();
    loaded.model.dispose();
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

  it('loads the downloaded checkpoint back and samples it without training', async () => {
    const file = readdirSync(downloads).find((f) => f.startsWith('mlp-autoencoder-step-'))!;
    const input = (await page.$('#load')) as ElementHandle<HTMLInputElement>;
    await input.uploadFile(join(downloads, file));
    await waitForState(['loaded', 'failed']);
    expect(await page.$eval('#model', (e) => (e as HTMLSelectElement).value)).toBe('mlp-autoencoder');
    expect(await page.$eval('#config-hidden', (e) => (e as HTMLInputElement).value)).toBe('16');
    const updates = await gridUpdates();
    await page.click('#sample');
    await page.waitForFunction((n: number) => Number(document.getElementById('samples')!.dataset.updates) > n, { timeout: 60_000 }, updates);
    await screenshot('loaded-and-sampled');
  });

  it('loads a `genlab train` checkpoint, and reports a bad file keeping the last checkpoint downloadable', async () => {
    const out = join(work, 'cli-run');
    await train({ model: 'dcgan', steps: 1, batch: 8, device: 'cpu', out, sampleEvery: 0, config: { zDim: '8', width: '4' } });
    const input = (await page.$('#load')) as ElementHandle<HTMLInputElement>;
    await input.uploadFile(join(out, 'checkpoint', 'model.safetensors'));
    await waitForState(['loaded', 'failed']);
    expect(await page.$eval('#model', (e) => (e as HTMLSelectElement).value)).toBe('dcgan');
    expect(await page.$eval('#status', (e) => e.textContent)).toMatch(/dcgan at step 1/);
    const bad = join(work, 'not-a-checkpoint.safetensors');
    writeFileSync(bad, 'this is not a safetensors file');
    await input.uploadFile(bad);
    await waitForState(['failed']);
    expect(await page.$eval('#error', (e) => e.textContent)).toMatch(/FormatError: not-a-checkpoint\.safetensors: not a valid safetensors file/);
    expect(await page.$eval('#download', (e) => e.getAttribute('href'))).toMatch(/^blob:/);
    await screenshot('bad-file');
    expect(pageErrors).toEqual([]);
  });
});
