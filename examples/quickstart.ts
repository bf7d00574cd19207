/**
 * Quick start: train a small MLP autoencoder on the embedded MNIST digits and write a PNG of
 * test digits (top rows) above their reconstructions (bottom rows).
 *
 *   npm run demo                      # a hardware WebGPU adapter if there is one, else the CPU
 *   npm run demo -- --device webgpu --steps 300 --out out/quickstart
 *
 * The model: 784 -> 256 -> 32 -> 256 -> 784 with ReLU, trained with binary cross-entropy on the
 * pixel intensities and Adam. The same model is `genlab train mlp-autoencoder`.
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import * as T from '../src/index.js';
import { io, nn, optim } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { loadEmbeddedMnist, saveImageGrid } from '../src/node.js';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '600' },
    batch: { type: 'string', default: '64' },
    lr: { type: 'string', default: '0.002' },
    device: { type: 'string' },
    out: { type: 'string', default: 'out/quickstart' },
    seed: { type: 'string', default: '0' },
  },
});

class Autoencoder extends nn.Module {
  encoder = new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 32));
  decoder = new nn.Sequential(new nn.Linear(32, 256), new nn.ReLU(), new nn.Linear(256, 784), new nn.Unflatten(1, [1, 28, 28]));

  /** Logits of the reconstruction (its sigmoid is the image). */
  forward(x: Tensor): Tensor {
    return this.decoder.forward(this.encoder.forward(x));
  }
}

/** A hardware WebGPU adapter if there is one; `genlab train` also times a software adapter against the CPU. */
async function pickDevice(): Promise<DeviceName> {
  if (args.device === 'cpu') return 'cpu';
  if (args.device === 'webgpu') return (await T.initWebGPU()).device;
  const info = await T.initWebGPU().catch(() => null);
  return info && !info.isSoftware ? 'webgpu' : 'cpu';
}

async function main() {
  T.manualSeed(Number(args.seed));
  const device = await pickDevice();
  const { images } = loadEmbeddedMnist();
  const test = T.slice(images, [{ stop: 500 }]);
  const loader = new io.DataLoader({ images: T.slice(images, [{ start: 500 }]) }, { batchSize: Number(args.batch), shuffle: true, dropLast: true, device });

  const model = await new Autoencoder().to(device);
  const adam = new optim.Adam(model.parameters(), { lr: Number(args.lr) });
  const steps = Number(args.steps);
  console.log(`training on ${device} for ${steps} steps`);
  const t0 = performance.now();
  for (let step = 1; step <= steps; ) {
    for (const b of loader) {
      using batch = b;
      const loss = T.tidy(() => {
        adam.zeroGrad();
        const l = T.bceWithLogits(model.forward(batch.images), batch.images);
        l.backward();
        adam.step();
        return l;
      });
      if (step % 100 === 0 || step === steps) {
        const rate = step / ((performance.now() - t0) / 1000);
        console.log(`step ${step}/${steps}  loss ${(await loss.item()).toFixed(4)}  ${rate.toFixed(1)} steps/s`);
      }
      loss.dispose();
      if (++step > steps) break;
    }
  }

  model.eval();
  const testOnDevice = await test.to(device);
  const testLoss = T.noGrad(() => T.bceWithLogits(model.forward(testOnDevice), testOnDevice));
  console.log(`held-out BCE per pixel on 500 digits: ${(await testLoss.item()).toFixed(4)}`);
  const shown = T.slice(testOnDevice, [{ stop: 32 }]);
  const recon = T.noGrad(() => T.sigmoid(model.forward(shown)));
  const path = join(args.out!, 'reconstructions.png');
  await saveImageGrid(path, T.cat([shown, recon], 0), { nrow: 16 });
  console.log(`wrote ${path} (rows 1-2: test digits, rows 3-4: reconstructions)`);
}

await main();
// Dawn's device keeps the event loop alive once WebGPU was initialised.
process.exit();
