/**
 * The VAE's quality number: the negative ELBO, in nats, of the 1,000 embedded MNIST digits that
 * `genlab train` leaves out and `genlab eval` measures against (a stratified split, 100 a class;
 * see src/io/held-out.ts), binarised by
 * sampling each pixel from its intensity with a fixed seed (and, for comparison, by thresholding
 * at 0.5). Also writes the interpolation grid of notes 002 §2.3: 11 decodings, alpha 0.0 ... 1.0, between
 * pairs of held-out digits, one pair per row.
 *
 *   node --import tsx --import ./scripts/wgsl-register.mjs examples/vae-heldout.ts out/vae/checkpoint
 */
import { join } from 'node:path';
import * as T from '../src/index.js';
import type { DeviceName } from '../src/index.js';
import { loadCheckpoint, readCheckpointInfo, saveImageGrid } from '../src/node.js';
import { loadTrainAndHeldOut } from '../src/io/held-out.js';
import { SEED_ALPHAS, Vae, binarize, type VaeConfig } from '../models/index.js';

const dir = process.argv[2] ?? 'out/vae/checkpoint';
const device = (process.argv[3] ?? 'webgpu') as DeviceName;
const info = readCheckpointInfo(dir);
// The held-out digits are held out only if the run left them out: runs record it (`heldOut`).
const run = info.trainingState as { data?: string; heldOut?: boolean };
if (run.data === undefined) {
  console.warn(`${dir} records no training run (imported weights?): the held-out digits may have been trained on.`);
} else if (run.data !== 'mnist' || run.heldOut !== true) {
  console.error(`${dir} was trained on ${run.data !== 'mnist' ? `'${run.data}'` : 'every embedded digit, the held-out ones included'}; train with \`genlab train vae\` (which leaves them out) for a held-out ELBO.`);
  process.exit(1);
}
if (device === 'webgpu') await T.initWebGPU();

const config = JSON.parse(info.metadata['genlab.config']!) as VaeConfig;
const model = new Vae(config, device);
loadCheckpoint(dir, { module: model });
const heldOut = await loadTrainAndHeldOut('mnist').heldOut.images.to(device);

/** Mean negative ELBO (and its two terms) over the held-out digits, one z sample per digit. */
async function negativeElbo(binary: T.Tensor): Promise<string> {
  const total = { loss: 0, reconstruction: 0, kl: 0 };
  const batch = 100;
  for (let start = 0; start < 1000; start += batch) {
    const terms = T.noGrad(() => model.elbo(T.slice(binary, [{ start, stop: start + batch }])));
    for (const key of ['loss', 'reconstruction', 'kl'] as const) {
      total[key] += (await terms[key].item()) * batch / 1000;
      terms[key].dispose();
    }
  }
  return `-ELBO ${total.loss.toFixed(2)} nats (reconstruction ${total.reconstruction.toFixed(2)}, KL ${total.kl.toFixed(2)})`;
}

T.manualSeed(2024);
const t0 = performance.now();
console.log(`sampled binarisation:   ${await negativeElbo(binarize(heldOut))}`);
console.log(`thresholded at 0.5:     ${await negativeElbo(T.cast(T.gt(heldOut, 0.5), 'float32'))}`);
const pairs = Array.from({ length: 6 }, (_, r) => T.noGrad(() =>
  model.interpolate(T.slice(heldOut, [{ start: 2 * r, stop: 2 * r + 1 }]), T.slice(heldOut, [{ start: 2 * r + 1, stop: 2 * r + 2 }]), SEED_ALPHAS)));
const path = join(dir, '..', 'interpolation.png');
await saveImageGrid(path, T.cat(pairs, 0), { nrow: SEED_ALPHAS.length });
console.log(`wrote ${path} (${((performance.now() - t0) / 1000).toFixed(1)} s on ${device})`);
process.exit(0);
