// The playground in a Chromium with WebGPU switched off: the page says so and trains on wasm in
// its worker (threaded: the page is cross-origin isolated), on Fashion-MNIST uploaded as IDX files
// (the test split's gzipped files, as a person would pick them); a bad IDX file shows a message and
// keeps the last checkpoint downloadable; the evaluation uses the Fashion-MNIST feature network.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FASHION_MNIST_DIR } from '../src/io/datasets.js';
import { PlaygroundPage } from './playground-page.js';

const pg = new PlaygroundPage();

beforeAll(() => pg.open(false), 120_000);
afterAll(() => pg.close());

describe('the playground without WebGPU', () => {
  it('says there is no WebGPU and trains on threaded wasm in the worker, on uploaded Fashion-MNIST IDX files', async () => {
    const { page } = pg;
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await pg.data('#device', 'webgpu')).toBe('false');
    expect(await pg.text('#device')).toMatch(/No WebGPU in this browser.*training runs on wasm: .*2 threads/);
    await page.click('input[name=data][value=upload]');
    await pg.upload('#idx-images', join(FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz'));
    await pg.upload('#idx-labels', join(FASHION_MNIST_DIR, 't10k-labels-idx1-ubyte.gz'));
    await pg.setUp('mlp-autoencoder', 'auto', { batch: '8', steps: '3', 'sample-every': '1', 'config-hidden': '16', 'config-latent': '2' });
    await pg.trainToEnd();
    expect(await pg.data('#status', 'device')).toBe('wasm');
    // 10% of the 10,000 held out, as genlab train leaves out of an IDX file.
    expect(await pg.text('#status')).toMatch(/on wasm .*9,000 training images.*Step 3 of 3/);
    expect(await pg.gridUpdates()).toBeGreaterThanOrEqual(3);
    await pg.screenshot('no-webgpu-fashion');
    const report = await pg.evaluate(20);
    expect(report.featureNet).toBe('feature-net-fashion-mnist');
    expect(report.nHeldOut).toBe(1000);
    expect(await pg.text('#eval-report')).toMatch(/t10k-images-idx3-ubyte\.gz: 9000 training and 1000 held-out images/);
    await pg.screenshot('no-webgpu-evaluated');
  });

  it('reports a bad IDX file and keeps the last checkpoint downloadable', async () => {
    const bad = join(pg.work, 'bad-images-idx3-ubyte');
    writeFileSync(bad, 'not an IDX file at all');
    await pg.upload('#idx-images', bad);
    await pg.page.click('#train');
    await pg.waitForState(['failed']);
    expect(await pg.text('#error')).toMatch(/bad-images-idx3-ubyte.*The last checkpoint is still downloadable\./);
    expect(await pg.page.$eval('#download', (e) => e.getAttribute('href'))).toMatch(/^blob:/);
    expect(await pg.data('#download', 'step')).toBe('3');
    await pg.screenshot('no-webgpu-bad-idx');
    expect(pg.pageErrors).toEqual([]);
  });
});
