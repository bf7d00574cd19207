// The browser playground (playground/): built with esbuild into static files, and served with the
// cross-origin-isolation headers that let the wasm backend share its memory with worker threads.
//   node scripts/playground.mjs                  build into playground/dist and serve http://localhost:8080
//   node scripts/playground.mjs --build [DIR]    only build (default DIR: playground/dist)
//   PORT=9000 node scripts/playground.mjs        another port (0: any free one)
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { wgslEsbuildPlugin } from './wgsl-compose.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MNIST_FILES = ['mnist-10k-images-idx3-ubyte.gz', 'mnist-10k-labels-idx1-ubyte.gz'];
const FEATURE_NETS = ['feature-net-mnist.safetensors', 'feature-net-fashion-mnist.safetensors'];

/** The headers a host must send for SharedArrayBuffer (threaded wasm): same-origin opener, required CORP. */
export const ISOLATION_HEADERS = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

/** Each registered model's opening doc comment (its file's description), by registry name. */
function modelDocs() {
  const docs = {};
  const dir = join(ROOT, 'models');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(join(dir, file), 'utf8');
    const name = /registerModel\(\{\s*name: '([^']+)'/.exec(text)?.[1];
    const doc = /^\/\*\*([\s\S]*?)\*\//.exec(text)?.[1];
    if (name && doc) docs[name] = doc.split('\n').map((l) => l.replace(/^\s*\* ?/, '')).join('\n').trim();
  }
  return docs;
}

/** Build the page, its script and the training worker into `out`, with the embedded digits beside them. */
export async function buildPlayground(out = join(ROOT, 'playground', 'dist')) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'data'), { recursive: true });
  await build({
    entryPoints: { main: join(ROOT, 'playground/main.ts'), worker: join(ROOT, 'playground/worker.ts') },
    outdir: out,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    plugins: [wgslEsbuildPlugin],
    // The Node WebGPU provider is only imported when navigator.gpu is missing: never in a browser.
    external: ['webgpu'],
    // package.json's sideEffects names dist/ files only; the models register themselves on import.
    ignoreAnnotations: true,
    define: { __MODEL_DOCS__: JSON.stringify(modelDocs()) },
    keepNames: true,
    logLevel: 'warning',
  });
  for (const f of ['index.html', 'style.css']) copyFileSync(join(ROOT, 'playground', f), join(out, f));
  for (const f of MNIST_FILES) copyFileSync(join(ROOT, 'data', f), join(out, 'data', f));
  // The shipped feature networks, for the page's evaluation (genlab eval's).
  for (const f of FEATURE_NETS) copyFileSync(join(ROOT, 'assets', f), join(out, 'data', f));
  // Netlify / Cloudflare Pages read this file; other hosts need the two headers set by hand.
  writeFileSync(join(out, '_headers'), `/*\n${Object.entries(ISOLATION_HEADERS).map(([k, v]) => `  ${k}: ${v}`).join('\n')}\n`);
  return out;
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.gz': 'application/gzip' };

/** Serve the built directory on localhost with the isolation headers; resolves to the server. */
export function servePlayground(dir, port = 8080) {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname));
    const file = join(dir, path === '/' ? 'index.html' : path);
    let body;
    try {
      if (!file.startsWith(dir)) throw new Error('outside');
      body = readFileSync(file);
    } catch {
      res.writeHead(404, ISOLATION_HEADERS).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store', ...ISOLATION_HEADERS }).end(body);
  });
  return new Promise((done) => server.listen(port, '127.0.0.1', () => done(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--build');
  const out = await buildPlayground(i >= 0 && process.argv[i + 1] ? resolve(process.argv[i + 1]) : undefined);
  if (i >= 0) {
    console.log(`built the playground into ${out} (serve it with the headers in ${join(out, '_headers')})`);
  } else {
    const server = await servePlayground(out, Number(process.env.PORT ?? 8080));
    console.log(`genlab playground: http://localhost:${server.address().port}  (Ctrl-C stops it)`);
  }
}
