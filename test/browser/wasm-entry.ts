// Runs inside headless Chromium: the wasm backend (threaded when the page is cross-origin isolated,
// single-threaded otherwise) checked against the CPU backend.
import * as T from '../../src/index.js';

async function compare(name: string, build: (device: T.DeviceName) => T.Tensor): Promise<{ name: string; maxError: number }> {
  T.manualSeed(11);
  const cpu = await build('cpu').toArray();
  T.manualSeed(11);
  const wasm = await build('wasm').toArray();
  let maxError = cpu.length === wasm.length ? 0 : Infinity;
  cpu.forEach((v, i) => (maxError = Math.max(maxError, Math.abs(v - wasm[i]!) / Math.max(1, Math.abs(v)))));
  return { name, maxError };
}

async function run() {
  const info = await T.initWasm({ threads: 2 });
  const checks = [
    // Big enough (2.7M multiply-adds) to be split over the threads when there are two.
    await compare('matmul 130x300 @ 300x70', (d) => T.matmul(T.randn([130, 300], { device: d }), T.randn([300, 70], { device: d }))),
    await compare('conv2d 4x16x14x14 -> 32, 4x4 s2, + relu', (d) =>
      T.relu(T.conv2d(T.randn([4, 16, 14, 14], { device: d }), T.randn([32, 16, 4, 4], { device: d }), T.randn([32], { device: d }), { stride: 2, padding: 1 }))),
    await compare('backward through tanh(x W)', (d) => {
      const w = T.randn([6, 3], { device: d }).requiresGrad_();
      T.mean(T.square(T.tanh(T.matmul(T.randn([5, 6], { device: d }), w)))).backward();
      return w.grad!;
    }),
  ];
  return { adapter: info.adapter, isolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated, checks };
}

const w = window as unknown as { __result?: unknown };
run().then(
  (r) => (w.__result = r),
  (e: Error) => (w.__result = { error: `${e.name}: ${e.message}` }),
);
