/**
 * Quick start: train a small MLP autoencoder on the embedded MNIST digits and write a PNG of
 * test digits (top rows) above their reconstructions (bottom rows).
 *
 *   npm run demo                      # best device found, ~1-2 minutes on 2 CPU cores
 *   npm run demo -- --device cpu --steps 300 --out out/quickstart
 *
 * The model: 784 -> 256 -> 32 -> 256 -> 784 with ReLU, a sigmoid output and binary
 * cross-entropy against the pixel intensities; trained with Adam written out in a few lines
 * (what optim.Adam does, one fused kernel per parameter, in the full library).
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import * as T from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { loadEmbeddedMnist } from '../src/io/mnist.js';
import { saveImageGrid } from '../src/io/png.js';

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

// ---- the model ----

interface Layer {
  weight: Tensor;
  bias: Tensor;
}

/** PyTorch's default Linear init: U(-1/sqrt(fanIn), 1/sqrt(fanIn)) for weight and bias. */
function linear(fanIn: number, fanOut: number, device: DeviceName): Layer {
  const bound = 1 / Math.sqrt(fanIn);
  const uniform = (shape: number[]) => T.sub(T.mul(T.rand(shape, { device }), 2 * bound), bound).requiresGrad_();
  return { weight: uniform([fanIn, fanOut]), bias: uniform([fanOut]) };
}

const apply = (layer: Layer, x: Tensor) => T.add(T.matmul(x, layer.weight), layer.bias);

function makeAutoencoder(device: DeviceName) {
  const layers = [linear(784, 256, device), linear(256, 32, device), linear(32, 256, device), linear(256, 784, device)];
  /** Logits of the reconstruction (sigmoid gives the pixels). */
  const forward = (x: Tensor) => {
    let h = x;
    layers.forEach((layer, i) => {
      h = apply(layer, h);
      if (i < layers.length - 1) h = T.relu(h);
    });
    return h;
  };
  return { layers, forward, params: layers.flatMap((l) => [l.weight, l.bias]) };
}

/** Binary cross-entropy with logits, stable form: max(z, 0) - z * y + log(1 + exp(-|z|)). */
function bceWithLogits(logits: Tensor, target: Tensor): Tensor {
  return T.mean(T.add(T.sub(T.relu(logits), T.mul(logits, target)), T.log1p(T.exp(T.neg(T.abs(logits))))));
}

/** Adam (Kingma & Ba) with bias correction; the moments live next to each parameter. */
function makeAdam(params: Tensor[], lr: number, beta1 = 0.9, beta2 = 0.999, eps = 1e-8) {
  const m = params.map((p) => T.zerosLike(p));
  const v = params.map((p) => T.zerosLike(p));
  let t = 0;
  return () =>
    T.noGrad(() => {
      t++;
      const stepSize = (lr * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
      params.forEach((p, i) => {
        T.tidy(() => {
          const g = p.grad!;
          m[i]!.assign_(T.add(T.mul(m[i]!, beta1), T.mul(g, 1 - beta1)));
          v[i]!.assign_(T.add(T.mul(v[i]!, beta2), T.mul(T.square(g), 1 - beta2)));
          p.assign_(T.sub(p, T.mul(T.div(m[i]!, T.add(T.sqrt(v[i]!), eps)), stepSize)));
        });
        p.grad!.dispose();
        p.grad = null;
      });
    });
}

// ---- training ----

function trainStep(model: ReturnType<typeof makeAutoencoder>, adam: () => void, batch: Tensor): Tensor {
  return T.tidy(() => {
    const loss = bceWithLogits(model.forward(batch), batch);
    loss.backward();
    adam();
    return loss;
  });
}

/** Seconds per step of this model on `device` (a few warm steps, then timed ones). */
async function timeDevice(device: DeviceName, images: Tensor, batchSize: number): Promise<number> {
  const model = makeAutoencoder(device);
  const adam = makeAdam(model.params, 1e-3);
  const batch = await T.slice(images, [{ stop: batchSize }]).to(device);
  const run = async (n: number) => {
    for (let i = 0; i < n; i++) trainStep(model, adam, batch).dispose();
    await T.sync(device);
  };
  await run(2);
  const t0 = performance.now();
  await run(3);
  return (performance.now() - t0) / 3000;
}

async function chooseDevice(images: Tensor, batchSize: number): Promise<DeviceName> {
  if (args.device) return args.device as DeviceName;
  let info: T.DeviceInfo;
  try {
    info = await T.initWebGPU();
  } catch (e) {
    console.log(`WebGPU unavailable (${(e as Error).message.split('.')[0]}); training on the CPU backend.`);
    return 'cpu';
  }
  if (!info.isSoftware) {
    console.log(`Using WebGPU on ${info.adapter}.`);
    return 'webgpu';
  }
  // A software adapter runs shaders on the same CPU cores: take whichever is faster for this model.
  const gpu = await timeDevice('webgpu', images, batchSize);
  const cpu = await timeDevice('cpu', images, batchSize);
  const pick = gpu < cpu ? 'webgpu' : 'cpu';
  console.log(`Software WebGPU adapter (${info.adapter}): ${(gpu * 1000).toFixed(0)} ms/step vs CPU backend ${(cpu * 1000).toFixed(0)} ms/step; using ${pick}.`);
  return pick;
}

async function main() {
  const steps = Number(args.steps);
  const batchSize = Number(args.batch);
  T.manualSeed(Number(args.seed));
  const { images } = loadEmbeddedMnist();
  const flat = T.reshape(images, [-1, 784]);
  const nTest = 500;
  const test = T.slice(flat, [{ stop: nTest }]);
  const train = T.slice(flat, [{ start: nTest }]);
  const device = await chooseDevice(train, batchSize);

  const trainOnDevice = await train.to(device);
  const model = makeAutoencoder(device);
  const adam = makeAdam(model.params, Number(args.lr));
  const nTrain = train.shape[0]!;
  const t0 = performance.now();
  for (let step = 1; step <= steps; step++) {
    const batchIndex = T.randint(0, nTrain - batchSize, []);
    const start = (await batchIndex.item()) | 0;
    batchIndex.dispose();
    const batch = T.slice(trainOnDevice, [{ start, stop: start + batchSize }]);
    const loss = trainStep(model, adam, batch);
    batch.dispose();
    if (step % 100 === 0 || step === steps) {
      const rate = step / ((performance.now() - t0) / 1000);
      console.log(`step ${step}/${steps}  loss ${(await loss.item()).toFixed(4)}  ${rate.toFixed(1)} steps/s`);
    }
    loss.dispose();
  }

  const testOnDevice = await test.to(device);
  const shown = T.slice(testOnDevice, [{ stop: 32 }]);
  const recon = T.noGrad(() => T.sigmoid(model.forward(shown)));
  const testLoss = T.noGrad(() => bceWithLogits(model.forward(testOnDevice), testOnDevice));
  console.log(`held-out BCE per pixel on ${nTest} digits: ${(await testLoss.item()).toFixed(4)}`);
  const grid = T.reshape(T.cat([shown, recon], 0), [64, 1, 28, 28]);
  const path = join(args.out!, 'reconstructions.png');
  await saveImageGrid(path, grid, { nrow: 16 });
  console.log(`wrote ${path} (rows 1-2: test digits, rows 3-4: reconstructions)`);
}

await main();
