/**
 * A picture of what a self-supervised encoder (simclr, moco, dino) learned: its frozen features of
 * the held-out images projected on their first two principal components, one dot per image,
 * coloured by class; on the left the trained encoder, on the right a randomly initialised one of
 * the same configuration (seed 0, the floor `genlab eval` reports). Under the panels, the ten
 * class colours, each with its label (0 to 9).
 *
 *   node --import tsx --import ./scripts/wgsl-register.mjs scripts/encoder-pca.ts runs/simclr-light/checkpoint docs/samples/simclr-pca.png [--data mnist|fashion-mnist] [--limit N]
 *
 * PCA of the centred features (their covariance's leading eigenvectors); each panel is scaled to
 * its own points, the 1st-99th percentile of each axis filling it.
 */
import { parseArgs } from 'node:util';
import { encode } from 'fast-png';
import * as T from '../src/index.js';
import { featuresOf } from '../src/cli/eval-encoder.js';
import { loadModel } from '../src/cli/load-model.js';
import { writeFileAtomic } from '../src/io/files.js';
import { loadTrainAndHeldOut } from '../src/io/held-out.js';
import { stratifiedSplitIndices, subset } from '../src/io/split.js';
import { symmetricEigen } from '../src/ops/linalg-host.js';
import type { EncoderModel } from '../models/index.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { data: { type: 'string', default: 'mnist' }, limit: { type: 'string', default: '2000' } } });
const [checkpoint, out] = positionals;
if (!checkpoint || !out) throw new Error('usage: encoder-pca.ts CHECKPOINT OUT.png [--data mnist|fashion-mnist] [--limit N]');

// Ten distinct colours (Tableau 10), label order.
const PALETTE = [[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189], [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207]];
const PANEL = 360;
/** The digits 0-9 as 3x5 bitmaps (rows of three bits), for the legend's labels. */
const DIGITS = ['111 101 101 101 111', '010 110 010 010 111', '111 001 111 100 111', '111 001 111 001 111', '101 101 111 001 001',
  '111 100 111 001 111', '111 100 111 101 111', '111 001 010 010 010', '111 101 111 101 111', '111 101 111 001 111'].map((d) => d.split(' '));

/** The n points' coordinates on the first two principal components of their d features. */
function pca2(features: Float64Array, n: number, d: number): Float64Array {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += features[i * d + j]! / n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const xa = features[i * d + a]! - mean[a]!;
      for (let b = 0; b < d; b++) cov[a * d + b] += (xa * (features[i * d + b]! - mean[b]!)) / n;
    }
  }
  const { vectors } = symmetricEigen(cov, d);
  const xy = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const x = features[i * d + j]! - mean[j]!;
      xy[2 * i] += x * vectors[j * d]!;
      xy[2 * i + 1] += x * vectors[j * d + 1]!;
    }
  }
  return xy;
}

/** Paints one panel's dots (3x3 pixels) into the RGB image at column offset `left`. */
function paint(rgb: Uint8Array, width: number, left: number, xy: Float64Array, labels: Int32Array): void {
  const range = (axis: number) => {
    const v = Array.from({ length: labels.length }, (_, i) => xy[2 * i + axis]!).sort((a, b) => a - b);
    return [v[Math.floor(0.01 * v.length)]!, v[Math.floor(0.99 * v.length)]!] as const;
  };
  const [[x0, x1], [y0, y1]] = [range(0), range(1)];
  const margin = 12;
  labels.forEach((label, i) => {
    const px = Math.round(margin + ((xy[2 * i]! - x0) / (x1 - x0 || 1)) * (PANEL - 2 * margin));
    const py = Math.round(margin + ((y1 - xy[2 * i + 1]!) / (y1 - y0 || 1)) * (PANEL - 2 * margin));
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const [x, y] = [px + dx, py + dy];
        if (x < 1 || y < 1 || x >= PANEL - 1 || y >= PANEL - 1) continue;
        rgb.set(PALETTE[label % 10]!, 3 * (y * width + left + x));
      }
    }
  });
}

const device = 'wasm';
// One thread: the machine is shared.
await T.initWasm({ threads: 1 });
const { entry, config, model } = loadModel(checkpoint, device);
const encoder = model as EncoderModel;
const { heldOut } = loadTrainAndHeldOut(values.data!);
const limit = Math.min(Number(values.limit), heldOut.images.shape[0]!);
const shown = limit === heldOut.images.shape[0] ? heldOut
  : subset(heldOut, stratifiedSplitIndices(heldOut.labels!.dataSync(), { heldOut: limit, seed: 0, allocation: 'proportional' }).heldOut);
T.manualSeed(0);
const random = entry.build(config, device) as EncoderModel;
const legend = 24;
const width = 2 * PANEL;
const height = PANEL + legend;
const rgb = new Uint8Array(3 * width * height).fill(255);
for (const [i, enc] of [encoder, random].entries()) {
  const { features, labels } = await featuresOf(enc, shown, entry.dataRange);
  paint(rgb, width, i * PANEL, pca2(features, labels.length, enc.featureDim), labels);
}
// Panel borders, then the legend: class k's colour at the k-th of ten slots.
for (let y = 0; y < PANEL; y++) for (const x of [0, PANEL - 1, PANEL, width - 1]) rgb.fill(0, 3 * (y * width + x), 3 * (y * width + x) + 3);
for (let x = 0; x < width; x++) for (const y of [0, PANEL - 1]) rgb.fill(0, 3 * (y * width + x), 3 * (y * width + x) + 3);
// Each swatch is followed by its class label, drawn in a 3x5 pixel font at 2x.
PALETTE.forEach((colour, k) => {
  for (let y = PANEL + 6; y < PANEL + legend - 6; y++) for (let x = 20 + k * 70; x < 20 + k * 70 + 32; x++) rgb.set(colour, 3 * (y * width + x));
  DIGITS[k]!.forEach((row, r) => [...row].forEach((bit, c) => {
    if (bit !== '1') return;
    for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) rgb.fill(0, 3 * ((PANEL + 7 + 2 * r + dy) * width + 20 + k * 70 + 38 + 2 * c + dx), 3 * ((PANEL + 7 + 2 * r + dy) * width + 20 + k * 70 + 38 + 2 * c + dx) + 3);
  }));
});
writeFileAtomic(out, encode({ width, height, data: rgb, channels: 3, depth: 8 }));
console.log(`wrote ${out}: ${limit} held-out images of ${values.data}, ${entry.name} (left) and a random encoder (right)`);
