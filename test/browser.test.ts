// The library in headless Chromium (WebGPU from navigator.gpu on a localhost page), driven by puppeteer.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import puppeteer, { type Browser } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForBrowser } from './setup/browser-bundle.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let server: Server;
let browser: Browser;
let origin: string;

beforeAll(async () => {
  const js = await bundleForBrowser('test/browser/entry.ts');
  const html = '<!doctype html><meta charset="utf-8"><title>genlab</title><script type="module" src="/bundle.js"></script>';
  server = createServer((req, res) => {
    if (req.url === '/bundle.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://localhost:${(server.address() as AddressInfo).port}`;
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  server?.close();
});

describe('headless Chromium', () => {
  it('runs WebGPU kernels that match the CPU backend', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(origin);
    await page.waitForFunction('window.__result !== undefined', { timeout: 90_000 });
    const result = (await page.evaluate('window.__result')) as {
      error?: string;
      adapter?: string;
      checks?: { name: string; maxError: number }[];
    };
    expect(errors).toEqual([]);
    expect(result.error, `in-page failure (does this Chromium expose navigator.gpu on localhost?)`).toBeUndefined();
    expect(result.checks!.length).toBe(5);
    for (const c of result.checks!) expect(c.maxError, c.name).toBeLessThan(1e-4);
  });
});
