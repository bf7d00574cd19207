/**
 * Browser entry of the benchmark suite, bundled by bench/build.mjs and driven by
 * bench/browser-run.mjs (headless Chromium through puppeteer). The flags come in the page's query
 * string (`?args=["--quick"]`); progress goes to the console (forwarded by the runner) and to the
 * page, and the result is left on `window.__bench` for the runner to collect.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-backend-cpu';
import { parseArgs, report, runSuite, type BenchEnv, type SuiteResult } from './suite.js';

interface BenchState {
  done: boolean;
  result?: SuiteResult;
  report?: string;
  error?: string;
}

const state: BenchState = { done: false };
(globalThis as unknown as { __bench: BenchState }).__bench = state;

const pre = typeof document !== 'undefined' ? document.getElementById('log') : null;
if (pre) pre.textContent = '';
const log = (line: string): void => {
  console.log(line);
  if (pre) pre.textContent += `${line}\n`;
};

async function main(): Promise<void> {
  const raw = new URLSearchParams(location.search).get('args');
  const argv = raw ? (JSON.parse(raw) as string[]) : [];
  const opts = parseArgs(argv);
  if (!tf.findBackendFactory('webgpu')) throw new Error('tfjs-backend-webgpu did not register: navigator.gpu is missing on this page');
  const env: BenchEnv = {
    runtime: 'browser',
    runtimeVersion: navigator.userAgent,
    tf,
    now: () => performance.now(),
    log,
  };
  if (!crossOriginIsolated) log('(page not cross-origin isolated: performance.now() is coarse, ~100 us)');
  const res = await runSuite(env, opts);
  state.result = res;
  state.report = report(res);
}

main().then(
  () => {
    state.done = true;
  },
  (err: unknown) => {
    state.error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    log(`ERROR: ${state.error}`);
    state.done = true;
  },
);
