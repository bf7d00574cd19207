import * as T from '../src/index.js';
import { getBackend } from '../src/index.js';
await T.initWebGPU();
const be = getBackend('webgpu') as any;
async function time(name: string, fn: () => void, reps = 3) {
  fn(); await T.sync('webgpu');
  const cpu: number[] = [];
  for (let i = 0; i < reps; i++) { const c0 = process.cpuUsage(); fn(); await T.sync('webgpu'); const c = process.cpuUsage(c0); cpu.push((c.user + c.system) / 1000); }
  console.log(name.padEnd(44), 'cpu', Math.min(...cpu).toFixed(1), 'ms');
}
const x = T.randn([64, 64, 14, 14], { device: 'webgpu' });
const out = be.alloc(64, 'float32');
const params = { n_out: 64, n_red: 64 * 196, out_rank: 1, red_rank: 2, out_shape: [64], out_strides: [196], red_shape: [64, 196], red_strides: [64 * 196, 1] };
for (const rpw of [1, 0]) {
  await time(`reduce sum [0,2,3] ROW_PER_WORKGROUP=${rpw}`, () => be.queue.dispatch(be.kernels.get('reduce'), { OP: 0, DTYPE: 0, ROW_PER_WORKGROUP: rpw, WG: 256 }, [x.storage.entry, out.entry], params, rpw ? [64, 1, 1] : [1, 1, 1]));
}
await time('sum op [0,2,3]', () => T.sum(x, [0, 2, 3]).dispose());
await time('moments op [0,2,3]', () => T.tidy(() => T.moments(x, [0, 2, 3])[0]).dispose());
process.exit(0);
