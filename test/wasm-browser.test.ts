// The wasm backend in headless Chromium, driven by puppeteer: on a cross-origin-isolated page
// (COOP/COEP headers: SharedArrayBuffer, so a shared memory and Web Worker threads) and on a plain
// one (single-threaded, said in the backend's description), each matching the CPU backend.
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
  const js = await bundleForBrowser('test/browser/wasm-entry.ts');
  const html = '<!doctype html><meta charset="utf-8"><title>genlab wasm</title><script type="module" src="/bundle.js"></script>';
  server = createServer((req, res) => {
    const isolation = req.url?.includes('isolated') ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } : {};
    if (req.url?.startsWith('/bundle.js')) res.writeHead(200, { 'content-type': 'text/javascript', ...isolation }).end(js);
    else res.writeHead(200, { 'content-type': 'text/html', ...isolation }).end(html.replace('/bundle.js', `/bundle.js${req.url?.includes('isolated') ? '?isolated' : ''}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://localhost:${(server.address() as AddressInfo).port}`;
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
});

afterAll(async () => {
  await browser?.close();
  server?.close();
});

async function runPage(path: string) {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${origin}${path}`);
  await page.waitForFunction('window.__result !== undefined', { timeout: 90_000 });
  const result = (await page.evaluate('window.__result')) as { error?: string; adapter?: string; isolated?: boolean; checks?: { name: string; maxError: number }[] };
  expect(errors).toEqual([]);
  expect(result.error).toBeUndefined();
  expect(result.checks!.length).toBe(3);
  for (const c of result.checks!) expect(c.maxError, c.name).toBeLessThan(1e-4);
  await page.close();
  return result;
}

describe('wasm backend in headless Chromium', () => {
  it('threads over Web Workers on a cross-origin-isolated page', async () => {
    const r = await runPage('/isolated');
    expect(r.isolated).toBe(true);
    expect(r.adapter).toMatch(/WebAssembly SIMD128.*, 2 threads/);
  });

  it('runs single-threaded, and says so, without SharedArrayBuffer', async () => {
    const r = await runPage('/');
    expect(r.isolated).toBe(false);
    expect(r.adapter).toMatch(/1 thread \(no SharedArrayBuffer: single-threaded\)/);
  });
});
