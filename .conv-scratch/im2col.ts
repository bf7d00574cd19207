import * as T from '../src/index.js';
import { getBackend } from '../src/index.js';
await T.initWebGPU();
const be = getBackend('webgpu') as any;
async function time(name: string, fn: () => void, reps = 3) {
  fn(); await T.sync('webgpu');
  const cpu: number[] = [], ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage(); const t0 = performance.now(); fn(); await T.sync('webgpu'); ts.push(performance.now() - t0);
    const c = process.cpuUsage(c0); cpu.push((c.user + c.system) / 1000);
  }
  console.log(name.padEnd(44), 'wall', Math.min(...ts).toFixed(1), 'cpu', Math.min(...cpu).toFixed(1), 'ms');
}
const dev = { device: 'webgpu' as const };
// conv2: x [64,32,28,28], w [64,32,3,3], s2 p1 -> [64,64,14,14]
const x = T.randn([64, 32, 28, 28], dev), w = T.randn([64, 288], dev);
await time('im2col + batched matmul', () => {
  T.tidy(() => {
    const xp = T.pad(x, [1, 1, 1, 1]);  // [64,32,30,30]
    const n = 64, c = 32, H = 30, W = 30;
    const shape = [n, c, 3, 3, 14, 14];
    const cols = be.alloc(n * c * 9 * 196, 'float32');
    be.stridedCopy(xp.storage, cols, 'float32', shape, [c * H * W, H * W, W, 1, 2 * W, 2], 0, [c * 9 * 196, 9 * 196, 3 * 196, 196, 14, 1], 0);
    const colsT = (T as any).Tensor ? null : null;
    const wrapMod = { storage: cols, shape: [n, 288, 196], dtype: 'float32' };
    const out = be.matmul({ storage: w.storage, shape: [1, 64, 288], dtype: 'float32' }, wrapMod, { batch: n, m: 64, k: 288, n: 196, transA: false, transB: false, aBatchStride: 0, bBatchStride: 288 * 196 });
    be.release(cols); be.release(out);
  });
});
await time('pad only', () => T.tidy(() => { T.pad(x, [1, 1, 1, 1]); }));
const xp = T.pad(x, [1, 1, 1, 1]);
await time('im2col copy only', () => {
    const n = 64, c = 32, H = 30, W = 30;
    const cols = be.alloc(n * c * 9 * 196, 'float32');
    be.stridedCopy(xp.storage, cols, 'float32', [n, c, 3, 3, 14, 14], [c * H * W, H * W, W, 1, 2 * W, 2], 0, [c * 9 * 196, 9 * 196, 3 * 196, 196, 14, 1], 0);
    be.release(cols);
});
process.exit(0);
