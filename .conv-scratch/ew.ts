import * as T from '../src/index.js';
await T.initWebGPU();
async function time(name: string, fn: () => void, reps = 3) {
  fn(); await T.sync('webgpu');
  const cpu: number[] = [], ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage(); const t0 = performance.now(); fn(); await T.sync('webgpu'); ts.push(performance.now() - t0);
    const c = process.cpuUsage(c0); cpu.push((c.user + c.system) / 1000);
  }
  console.log(name.padEnd(44), 'wall', Math.min(...ts).toFixed(1), 'cpu', Math.min(...cpu).toFixed(1), 'ms');
}
const x = T.randn([64, 32, 28, 28], { device: 'webgpu' });
await time('exp 1.6M', () => T.exp(x).dispose());
await time('add 1.6M', () => T.add(x, x).dispose());
await time('sum over [0,2,3] 1.6M', () => T.sum(x, [0, 2, 3]).dispose());
await time('two-stage sum [N,C,HW] ax2 then ax0', () => T.tidy(() => T.sum(T.sum(T.reshape(x, [64, 32, 784]), 2), 0)).dispose());
await time('moments over [0,2,3]', () => T.tidy(() => T.moments(x, [0, 2, 3])[0]).dispose());
process.exit(0);
