/**
 * Whole-training-step rows (issue 6, "Speed"): one DCGAN G+D step at batch 64 (16 with --quick), ours against the
 * same model in TensorFlow.js, on WebGPU (tfjs-backend-webgpu on the same adapter) and on the CPU
 * (tfjs-backend-cpu).
 *
 * The model: G dense 100 -> 64x7x7 (ReLU), convT 64 -> 32 4x4 s2 (ReLU), convT 32 -> 1 4x4 s2
 * (tanh); D conv 1 -> 32 3x3 (LeakyReLU 0.2), conv 32 -> 64 3x3 s2 (LeakyReLU 0.2), dense -> 1;
 * BCE with logits, non-saturating G loss; Adam 2e-4, β1 0.5. A step is one D update on a batch of real
 * and a batch of fake images, then one G update through the frozen D, with fresh noise each step.
 *
 * One difference in how the step is written, not in the model: ours makes the fakes once and
 * back-propagates G's loss through that same forward pass (as PyTorch's DCGAN does); tfjs's
 * `optimizer.minimize` takes a closure per player, so it runs G forward once for D's update and
 * again inside G's (as the Keras code of notes 002 §3.2 does). That is one extra G forward on tfjs's
 * side, about a sixth of a step. Weights are initialised independently (N(0, 0.02) on both), so
 * there is no output comparison: the first step's losses are logged instead (both ≈ 1.386, 0.693).
 *
 * Also one VAE step at batch 100 (`vae step b100`): `models/vae.ts`'s fully connected VAE
 * (`arch: 'mlp'`: 784 -> 512 -> 256 -> mu, log sigma^2 of a 32-d code; 32 -> 256 -> 512 -> 784
 * logits; ReLU), one reparameterised sample per image, the negative ELBO (BCE with logits summed
 * over the pixels, divided by the batch, plus the analytic Gaussian KL), Adam 1e-3, one update per
 * step. Both sides train on the same fixed batch of binary images (random intensities binarised
 * once in setup; the model's trainer re-binarises MNIST every step, a cost outside this row).
 * Weights are initialised independently (ours: `nn.Linear`'s; tfjs: the same U(±1/√fan_in)), so
 * again only the first step's losses are logged (both ≈ 784 ln 2 ≈ 543 nats plus a small KL).
 */
import type * as TF from '@tensorflow/tfjs-core';
import * as G from '../../src/index.js';
import { nn, optim } from '../../src/index.js';
import { Vae, binarize } from '../../models/vae.js';
import { discriminatorLoss, ganAdam, generatorLoss } from '../../models/blocks/gan.js';
import { adversarialRound } from '../../models/blocks/train.js';
import type { WebGPUBackend } from '../../src/backend/webgpu/index.js';
import { tfWebGPUWait, type BenchEnv, type BenchOptions, type Case, type Group } from '../suite.js';

const Z = 100;

/** One training step of ours (returning its losses) and of the peer, as the suite times them. */
interface OursStep {
  step(): G.Tensor[];
  dispose(): void;
}
interface PeerStep {
  step(): void;
  losses(): Promise<number[]>;
  dispose(): void;
}

/** Our side: the bench DCGAN as nn modules, trained by the same step the models use. */
export function oursStep(device: G.DeviceName, batch: number): OursStep {
  G.manualSeed(1);
  const generator = new nn.Sequential(
    new nn.Linear(Z, 64 * 7 * 7, { device }), new nn.ReLU(), new nn.Unflatten(1, [64, 7, 7]),
    new nn.ConvTranspose2d(64, 32, 4, { stride: 2, padding: 1, device }), new nn.ReLU(),
    new nn.ConvTranspose2d(32, 1, 4, { stride: 2, padding: 1, device }), new nn.Tanh(),
  );
  const discriminator = new nn.Sequential(
    new nn.Conv2d(1, 32, 3, { padding: 1, device }), new nn.LeakyReLU(0.2),
    new nn.Conv2d(32, 64, 3, { stride: 2, padding: 1, device }), new nn.LeakyReLU(0.2),
    new nn.Flatten(), new nn.Linear(64 * 14 * 14, 1, { device }),
  );
  nn.dcganInit_(generator);
  nn.dcganInit_(discriminator);
  const optG = ganAdam(generator, 2e-4);
  const optD = ganAdam(discriminator, 2e-4);
  const real = G.tidy(() => G.sub(G.mul(G.rand([batch, 1, 28, 28], { device }), 2), 1));
  return {
    step: () => G.tidy(() => {
      const fake = generator.forward(G.randn([batch, Z], { device }));
      const { d, g } = adversarialRound({
        critic: discriminator, optD, optG,
        dLoss: () => discriminatorLoss(discriminator.forward(real), discriminator.forward(fake.detach())),
        gLoss: () => generatorLoss(discriminator.forward(fake), 'non-saturating'),
      }, { step: 0, totalSteps: 1 });
      return [d!, g!];
    }),
    dispose() {
      generator.dispose();
      discriminator.dispose();
      optG.dispose();
      optD.dispose();
      real.dispose();
    },
  };
}

/** The same model in tfjs (NHWC, HWIO filters). */
function peerStep(tf: typeof TF, batch: number): PeerStep {
  const w = (shape: number[]) => tf.variable(tf.randomNormal(shape, 0, 0.02));
  const b = (n: number) => tf.variable(tf.zeros([n]));
  const gVars = [w([Z, 64 * 7 * 7]), b(64 * 7 * 7), w([4, 4, 32, 64]), b(32), w([4, 4, 1, 32]), b(1)];
  const dVars = [w([3, 3, 1, 32]), b(32), w([3, 3, 32, 64]), b(64), w([64 * 14 * 14, 1]), b(1)];
  const [gw0, gb0, gw1, gb1, gw2, gb2] = gVars as [TF.Variable<TF.Rank.R2>, TF.Variable, TF.Variable<TF.Rank.R4>, TF.Variable, TF.Variable<TF.Rank.R4>, TF.Variable];
  const [dw1, db1, dw2, db2, dw3, db3] = dVars as [TF.Variable<TF.Rank.R4>, TF.Variable, TF.Variable<TF.Rank.R4>, TF.Variable, TF.Variable<TF.Rank.R2>, TF.Variable];
  const generate = (z: TF.Tensor2D): TF.Tensor4D => {
    const h0 = tf.reshape(tf.relu(tf.add(tf.matMul(z, gw0), gb0)), [batch, 7, 7, 64]) as TF.Tensor4D;
    const h1 = tf.relu(tf.add(tf.conv2dTranspose(h0, gw1, [batch, 14, 14, 32], 2, 'same'), gb1)) as TF.Tensor4D;
    return tf.tanh(tf.add(tf.conv2dTranspose(h1, gw2, [batch, 28, 28, 1], 2, 'same'), gb2)) as TF.Tensor4D;
  };
  const discriminate = (x: TF.Tensor4D): TF.Tensor => {
    const h1 = tf.leakyRelu(tf.add(tf.conv2d(x, dw1, 1, 'same'), db1), 0.2) as TF.Tensor4D;
    const h2 = tf.leakyRelu(tf.add(tf.conv2d(h1, dw2, 2, 'same'), db2), 0.2);
    return tf.add(tf.matMul(tf.reshape(h2, [batch, 64 * 14 * 14]) as TF.Tensor2D, dw3), db3);
  };
  const ones = tf.ones([batch, 1]);
  const zeros = tf.zeros([batch, 1]);
  const real = tf.randomUniform([batch, 28, 28, 1], -1, 1) as TF.Tensor4D;
  const optD = tf.train.adam(2e-4, 0.5);
  const optG = tf.train.adam(2e-4, 0.5);
  const bce = (labels: TF.Tensor, logits: TF.Tensor) => tf.losses.sigmoidCrossEntropy(labels, logits) as TF.Scalar;
  let last: TF.Scalar[] = [];
  return {
    step() {
      for (const t of last) t.dispose();
      const fake = tf.tidy(() => generate(tf.randomNormal([batch, Z])));
      const d = optD.minimize(() => tf.add(bce(ones, discriminate(real)), bce(zeros, discriminate(fake))) as TF.Scalar, true, dVars)!;
      fake.dispose();
      const g = optG.minimize(() => bce(ones, discriminate(generate(tf.randomNormal([batch, Z])))), true, gVars)!;
      last = [d, g];
    },
    losses: async () => Promise.all(last.map(async (t) => (await t.data())[0]!)),
    dispose() {
      for (const t of [...last, ...gVars, ...dVars, ones, zeros, real]) t.dispose();
      optD.dispose();
      optG.dispose();
    },
  };
}

/**
 * Kernel dispatches of the step just run (from `before`) against one more step with the
 * elementwise fusion off (untimed: it runs in the warm-up).
 */
async function unfusedComparison(backend: WebGPUBackend, before: { dispatches: number; fusedChains: number }, step: () => G.Tensor[]): Promise<string> {
  const fused = backend.dispatchCounts();
  backend.setFusion(false);
  try {
    const losses = step();
    await G.sync('webgpu');
    for (const t of losses) t.dispose();
  } finally {
    backend.setFusion(true);
  }
  const unfused = backend.dispatchCounts().dispatches - fused.dispatches;
  return `${fused.dispatches - before.dispatches} with elementwise fusion (${fused.fusedChains - before.fusedChains} fused chains), ${unfused} without`;
}

/**
 * The two timed cases of a training-step row. The first run of each is the suite's warm-up (never
 * a sample): it logs that step's losses, through `describe`, as a sanity check of both sides.
 */
function stepCases(env: BenchEnv, device: 'webgpu' | 'cpu', ours: OursStep, peer: PeerStep, describe: (losses: number[]) => string): { peer: Case; ours: Case[] } {
  const wait = () => (device === 'webgpu' ? tfWebGPUWait(env.tf) : Promise.resolve());
  let peerRuns = 0;
  let oursRuns = 0;
  let oursLosses: G.Tensor[] = [];
  const peerCase: Case = {
    label: device === 'webgpu' ? 'tfjs-webgpu' : 'tfjs-cpu',
    async run() {
      peer.step();
      await wait();
      if (peerRuns++ === 0) env.log(`  tfjs first step: ${describe(await peer.losses())}`);
    },
    dispose: () => peer.dispose(),
  };
  const oursCase: Case = {
    label: 'auto',
    async run() {
      for (const t of oursLosses) t.dispose();
      const counted = oursRuns === 0 && device === 'webgpu' ? (G.getBackend('webgpu') as unknown as WebGPUBackend) : null;
      const before = counted?.dispatchCounts();
      oursLosses = ours.step();
      await G.sync(device);
      if (oursRuns++ === 0) env.log(`  ours first step: ${describe(await Promise.all(oursLosses.map((t) => t.item())))}`);
      if (counted && before) env.log(`  ours dispatches per step: ${await unfusedComparison(counted, before, () => ours.step())}`);
    },
    dispose() {
      for (const t of oursLosses) t.dispose();
      ours.dispose();
    },
  };
  return { peer: peerCase, ours: [oursCase] };
}

function dcganStep(env: BenchEnv, opts: BenchOptions, device: 'webgpu' | 'cpu'): Group {
  const { tf } = env;
  // tfjs-webgpu takes ~30-40 s a step at batch 64 on a software adapter, and the warm-up plus the
  // minimum reps make four steps: --quick trains at batch 16 (in the row's id) to stay in minutes.
  const batch = opts.quick ? 16 : 64;
  return {
    id: `dcgan step b${batch} ${device}`,
    device,
    unit: 'ms',
    opsPerSample: 1,
    batchable: false,
    // The targets: 5x tfjs-webgpu on WebGPU, faster than tfjs-cpu on the CPU.
    target: device === 'webgpu' ? 5 : 1,
    // tfjs takes ~30-40 s a step on a software adapter: the minimum reps decide the run time.
    budgetMs: opts.quick ? 5_000 : 60_000,
    minReps: 3,
    maxReps: opts.quick ? 3 : 9,
    async setup() {
      // tfjs-core alone has no gradients (the `@tensorflow/tfjs` umbrella registers them). Loaded
      // here, not at the top: the entries import tfjs only after installing `require` and `navigator.gpu`.
      await import('@tensorflow/tfjs-core/dist/register_all_gradients');
      const ours = oursStep(device, batch);
      const peer = peerStep(tf, batch);
      return stepCases(env, device, ours, peer, (l) => `d ${l.map((v) => v.toFixed(3)).join(', g ')}`);
    },
  };
}

const VAE_LATENT = 32;
const VAE_HIDDEN = [512, 256];

/** Our side of the VAE step: `models/vae.ts`'s `Vae` and Adam, as `createVae` builds and steps them. */
export function oursVaeStep(device: G.DeviceName, images: G.Tensor): OursStep {
  G.manualSeed(2);
  const model = new Vae({ latent: VAE_LATENT, arch: 'mlp', channels: [], hidden: VAE_HIDDEN }, device);
  const adam = new optim.Adam(model.parameters(), { lr: 1e-3 });
  return {
    step: () => G.tidy(() => {
      adam.zeroGrad();
      const { loss } = model.elbo(images);
      loss.backward();
      adam.step();
      return [loss];
    }),
    dispose() {
      model.dispose();
      adam.dispose();
    },
  };
}

/** The same VAE and step in tfjs, on the same images flattened to [batch, 784]. */
function peerVaeStep(tf: typeof TF, images: Float32Array, batch: number): PeerStep {
  // nn.Linear's default: weights and biases U(-1/√fan_in, 1/√fan_in).
  const dense = (fanIn: number, fanOut: number): [TF.Variable<TF.Rank.R2>, TF.Variable] => {
    const bound = 1 / Math.sqrt(fanIn);
    return [tf.variable(tf.randomUniform([fanIn, fanOut], -bound, bound)), tf.variable(tf.randomUniform([fanOut], -bound, bound))];
  };
  const [h0, h1] = VAE_HIDDEN as [number, number];
  const layers = {
    enc0: dense(784, h0), enc1: dense(h0, h1), mu: dense(h1, VAE_LATENT), logVar: dense(h1, VAE_LATENT),
    dec0: dense(VAE_LATENT, h1), dec1: dense(h1, h0), dec2: dense(h0, 784),
  };
  const vars = Object.values(layers).flat();
  const linear = (x: TF.Tensor2D, [w, b]: [TF.Variable<TF.Rank.R2>, TF.Variable]): TF.Tensor2D => tf.add(tf.matMul(x, w), b);
  const x = tf.tensor2d(images, [batch, 784]);
  const optimizer = tf.train.adam(1e-3);
  const negElbo = (): TF.Scalar => {
    const h = tf.relu(linear(tf.relu(linear(x, layers.enc0)), layers.enc1));
    const mu = linear(h, layers.mu);
    const logVar = linear(h, layers.logVar);
    const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logVar, 0.5)), tf.randomNormal([batch, VAE_LATENT]))) as TF.Tensor2D;
    const logits = linear(tf.relu(linear(tf.relu(linear(z, layers.dec0)), layers.dec1)), layers.dec2);
    const reconstruction = tf.div(tf.losses.sigmoidCrossEntropy(x, logits, undefined, 0, tf.Reduction.SUM), batch);
    const kl = tf.div(tf.mul(tf.sum(tf.sub(tf.add(logVar, 1), tf.add(tf.square(mu), tf.exp(logVar)))), -0.5), batch);
    return tf.add(reconstruction, kl) as TF.Scalar;
  };
  let last: TF.Scalar[] = [];
  return {
    step() {
      for (const t of last) t.dispose();
      last = [optimizer.minimize(negElbo, true, vars)!];
    },
    losses: async () => Promise.all(last.map(async (t) => (await t.data())[0]!)),
    dispose() {
      for (const t of [...last, ...vars, x]) t.dispose();
      optimizer.dispose();
    },
  };
}

function vaeStep(env: BenchEnv, opts: BenchOptions, device: 'webgpu' | 'cpu'): Group {
  const { tf } = env;
  // The MLP is cheap (~0.1 GFLOP forward at batch 100): --quick keeps the batch and takes fewer reps.
  const batch = 100;
  return {
    id: `vae step b${batch} ${device}`,
    device,
    unit: 'ms',
    opsPerSample: 1,
    batchable: false,
    // The targets, as for the DCGAN step: 5x tfjs-webgpu on WebGPU, faster than tfjs-cpu on the CPU.
    target: device === 'webgpu' ? 5 : 1,
    budgetMs: opts.quick ? 8_000 : 30_000,
    minReps: opts.quick ? 3 : 5,
    maxReps: opts.quick ? 9 : 21,
    async setup() {
      // See dcganStep: tfjs-core alone has no gradients.
      await import('@tensorflow/tfjs-core/dist/register_all_gradients');
      G.manualSeed(3);
      const images = G.tidy(() => binarize(G.rand([batch, 1, 28, 28], { device })));
      const ours = oursVaeStep(device, images);
      const peer = peerVaeStep(tf, Float32Array.from(await images.data()), batch);
      return { ...stepCases(env, device, ours, peer, (l) => `-elbo ${l[0]!.toFixed(1)}`), dispose: () => images.dispose() };
    },
  };
}

/** The training-step groups, appended to the suite's by `defineGroups`. */
export function trainingGroups(env: BenchEnv, opts: BenchOptions): Group[] {
  return [dcganStep(env, opts, 'webgpu'), dcganStep(env, opts, 'cpu'), vaeStep(env, opts, 'webgpu'), vaeStep(env, opts, 'cpu')];
}
