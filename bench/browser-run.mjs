#!/usr/bin/env node
/**
 * `npm run bench:browser -- [--quick] [--filter <s>] [--json <path>] [--verbose]`
 *
 * Serves bench/.build (made by `node bench/build.mjs browser`) from http://localhost (WebGPU
 * needs a secure context; about:blank has no navigator.gpu), opens it in headless Chromium via
 * puppeteer, forwards the page's console, and writes the result JSON the page leaves behind.
 * Chromium: $CHROMIUM or /usr/bin/chromium. The page is served cross-origin isolated so
 * performance.now() has its fine (5 us) resolution.
 */
import { createServer } from 'node:http';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '.build');
const argv = process.argv.slice(2);

// --json is ours; every other flag goes to the page (which validates them).
let jsonPath;
const pageArgs = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--json') jsonPath = argv[++i];
  else if (argv[i].startsWith('--json=')) jsonPath = argv[i].slice(7);
  else pageArgs.push(argv[i]);
}
if (pageArgs.includes('--help') || pageArgs.includes('-h')) {
  console.log('Usage: npm run bench:browser -- [--quick] [--filter <text>] [--json <path>] [--verbose]');
  process.exit(0);
}
if (!existsSync(join(root, 'browser.js'))) {
  console.error('bench/.build/browser.js is missing: run `node bench/build.mjs browser` first (npm run bench:browser does).');
  process.exit(1);
}

const types = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json' };
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const name = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
  const file = resolve(root, name);
  if (!file.startsWith(root) || !existsSync(file)) {
    res.writeHead(404).end('not found');
    return;
  }
  res.writeHead(200, {
    'content-type': types[extname(file)] ?? 'application/octet-stream',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-embedder-policy': 'require-corp',
    'cache-control': 'no-store',
  });
  res.end(readFileSync(file));
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const port = server.address().port;

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--enable-unsafe-webgpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    // A long benchmark must not be throttled as a background tab.
    '--disable-background-timer-throttling',
    '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows',
  ],
  protocolTimeout: 30 * 60_000,
});

let code = 0;
try {
  const page = await browser.newPage();
  page.on('console', (msg) => {
    const text = msg.text();
    if (msg.type() === 'error' || msg.type() === 'warn') console.error(`[page ${msg.type()}] ${text}`);
    else console.log(text);
  });
  page.on('pageerror', (err) => console.error(`[page error] ${err.message}`));
  const url = `http://localhost:${port}/?args=${encodeURIComponent(JSON.stringify(pageArgs))}`;
  console.log(`${await browser.version()} at ${url}`);
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => globalThis.__bench?.done === true, { timeout: 30 * 60_000, polling: 500 });
  const state = await page.evaluate(() => globalThis.__bench);
  if (state.error || !state.result) {
    console.error(`The browser suite failed: ${state.error ?? 'no result'}`);
    code = 1;
  } else {
    console.log(state.report);
    const res = state.result;
    const name = `${res.env}-${res.date.slice(0, 19).replace(/:/g, '-')}.json`;
    const path = resolve(jsonPath ?? join('bench', 'results', name));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(`${path}.tmp`, JSON.stringify(res, null, 2) + '\n');
    renameSync(`${path}.tmp`, path);
    console.log(`\nWrote ${path}`);
  }
} catch (err) {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  code = 1;
} finally {
  await browser.close();
  server.close();
}
process.exit(code);
