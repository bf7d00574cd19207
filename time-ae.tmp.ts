import * as T from './src/index.js';
import { nn, optim } from './src/index.js';
import { ConvEncoder, ConvDecoder } from './models/blocks/conv-autoencoder.js';
const batch = Number(process.argv[2] ?? 64);
for (const device of ['webgpu', 'cpu'] as const) {
  if (device === 'webgpu') await T.initWebGPU();
  T.manualSeed(0);
  const enc = new ConvEncoder(device), head = new nn.Linear(3136, 32, { device }), dec = new ConvDecoder(32, device);
  const params = [...enc.parameters(), ...head.parameters(), ...dec.parameters()];
  const adam = new optim.Adam(params, { lr: 1e-3 });
  const x = T.rand([batch, 1, 28, 28], { device });
  const step = () => T.tidy(() => { adam.zeroGrad(); const l = T.bceWithLogits(dec.forward(head.forward(enc.forward(x))), x); l.backward(); adam.step(); return l; });
  for (let i = 0; i < 2; i++) step().dispose();
  await T.sync(device);
  const t0 = performance.now();
  for (let i = 0; i < 3; i++) step().dispose();
  await T.sync(device);
  console.log(device, batch, ((performance.now() - t0) / 3).toFixed(0), 'ms/step');
}
process.exit(0);
