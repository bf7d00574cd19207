import * as T from '/work/main/src/index.js';
import '/work/main/models/dcgan.js';
import '/work/main/models/gan.js';
import { getModel } from '/work/main/models/registry.js';
const name = process.argv[2]!; const device = process.argv[3] as T.DeviceName;
if (device === 'webgpu') await T.initWebGPU();
T.manualSeed(0);
const e = getModel(name);
const tr = e.create({ device, lr: 2e-4, config: e.config });
const x = T.sub(T.mul(T.rand([64,1,28,28], {device}), 2), 1);
for (let i = 0; i < (Number(process.argv[4]) || 4); i++) {
  const t0 = performance.now();
  const l = tr.trainStep(x);
  const v = await l.d!.item(); const g = await l.g!.item();
  console.log(name, device, i, (performance.now()-t0).toFixed(0), 'ms', v.toFixed(3), g.toFixed(3));
}
process.exit(0);
