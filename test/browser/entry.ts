// Runs inside headless Chromium: the same library, WebGPU from navigator.gpu, checked against the CPU backend.
import * as T from '../../src/index.js';

interface Check {
  name: string;
  maxError: number;
}

async function compare(name: string, build: (device: T.DeviceName) => T.Tensor): Promise<Check> {
  T.manualSeed(11);
  const cpu = await build('cpu').toArray();
  T.manualSeed(11);
  const gpu = await build('webgpu').toArray();
  let maxError = cpu.length === gpu.length ? 0 : Infinity;
  cpu.forEach((v, i) => (maxError = Math.max(maxError, Math.abs(v - gpu[i]!) / Math.max(1, Math.abs(v)))));
  return { name, maxError };
}

async function run() {
  const info = await T.initWebGPU();
  const checks = [
    await compare('rand', (d) => T.rand([333], { device: d })),
    await compare('matmul 37x29 @ 29x41', (d) => T.matmul(T.randn([37, 29], { device: d }), T.randn([29, 41], { device: d }))),
    await compare('softplus + sum over axes', (d) => T.sum(T.softplus(T.randn([3, 5, 7], { device: d })), [0, 2])),
    await compare('permute + slice + cat', (d) => {
      const x = T.randn([4, 5, 6], { device: d });
      return T.cat([T.permute(x, [2, 0, 1]), T.slice(T.permute(x, [2, 0, 1]), [{ step: 2 }])], 0);
    }),
    await compare('backward through tanh(x W)', (d) => {
      const w = T.randn([6, 3], { device: d }).requiresGrad_();
      const x = T.randn([5, 6], { device: d });
      T.mean(T.square(T.tanh(T.matmul(x, w)))).backward();
      return w.grad!;
    }),
  ];
  return { adapter: info.adapter, isSoftware: info.isSoftware, checks };
}

const w = window as unknown as { __result?: unknown };
run().then(
  (r) => (w.__result = r),
  (e: Error) => (w.__result = { error: `${e.name}: ${e.message}` }),
);
