import * as T from '../src/index.js';
import { getBackend } from '../src/index.js';
await T.initWebGPU();
const be = getBackend('webgpu');
const variant = (process.argv[2] ?? 'gemm') as 'gemm' | 'direct';
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
const cases = [
  ['conv2 s2', [64, 32, 28, 28], [64, 32, 3, 3], [64, 64, 14, 14], { stride: [2, 2], padding: [1, 1, 1, 1], dilation: [1, 1], groups: 1 }],
  ['convT1 (as conv 14->7)', [64, 32, 14, 14], [64, 32, 4, 4], [64, 64, 7, 7], { stride: [2, 2], padding: [1, 1, 1, 1], dilation: [1, 1], groups: 1 }],
  ['depthwise', [64, 64, 28, 28], [64, 1, 3, 3], [64, 64, 28, 28], { stride: [1, 1], padding: [1, 1, 1, 1], dilation: [1, 1], groups: 64 }],
  ['conv1 s1', [64, 1, 28, 28], [32, 1, 3, 3], [64, 32, 28, 28], { stride: [1, 1], padding: [1, 1, 1, 1], dilation: [1, 1], groups: 1 }],
] as const;
const filter = process.argv[3];
if (!filter || filter === 'mm') {
  const a = T.randn([64, 288], dev), b = T.randn([288, 12544], dev);
  await time('matmul 64x288 @ 288x12544', () => T.tidy(() => T.matmul(a, b)).dispose());
}
for (const [name, xs, ws, ys, a] of cases) {
  if (filter && !name.includes(filter)) continue;
  const args = { ...a, variant } as any;
  const x = T.randn([...xs], dev), w = T.randn([...ws], dev), gy = T.randn([...ys], dev);
  await time(`${name} ${variant} conv2d`, () => be.release(be.conv2d(x, w, null, args)));
  await time(`${name} ${variant} gradInput`, () => be.release(be.conv2dGradInput(gy, w, xs as any, args)));
  await time(`${name} ${variant} gradWeight`, () => be.release(be.conv2dGradWeight(x, gy, ws as any, args)));
}
process.exit(0);
