/**
 * The features of an encoder checkpoint (simclr, moco, dino) on the 1,000 held-out digits,
 * projected on their first two principal components and drawn as coloured points, one colour per
 * class (tab10: 0 blue, 1 orange, 2 green, 3 red, 4 purple, 5 brown, 6 pink, 7 grey, 8 olive,
 * 9 cyan). Left: the trained encoder; right: a randomly initialised one of the same configuration.
 *
 *   node --import tsx --import ./scripts/wgsl-register.mjs examples/selfsup-pca.ts <checkpoint> <out.png>
 */
import * as T from '../src/index.js';
import { isEncoder, type EncoderModel } from '../models/index.js';
import { loadModel } from '../src/cli/load-model.js';
import { loadTrainAndHeldOut } from '../src/io/held-out.js';
import { saveImageGrid } from '../src/io/png.js';
import { eigh, meanCov } from '../src/metrics/linalg.js';

const SIZE = 360;
const TAB10 = ['1f77b4', 'ff7f0e', '2ca02c', 'd62728', '9467bd', '8c564b', 'e377c2', '7f7f7f', 'bcbd22', '17becf'].map((h) => [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16) / 255));

/** Features [n, d] of the images, and the share of variance of the first two components. */
function pca2(features: Float64Array, n: number, d: number): { points: Float64Array; explained: number } {
  const { mean, cov } = meanCov(features, n, d);
  const { values, vectors } = eigh(cov, d);
  const order = Array.from(values.keys()).sort((a, b) => values[b]! - values[a]!);
  const points = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 2; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (features[i * d + j]! - mean[j]!) * vectors[j * d + order[c]!]!;
      points[i * 2 + c] = s;
    }
  }
  const total = values.reduce((a, b) => a + Math.max(b, 0), 0);
  return { points, explained: (values[order[0]!]! + values[order[1]!]!) / total };
}

/** One panel [3, SIZE, SIZE]: white, with a 3x3 dot per point in its class's colour. */
function panel(points: Float64Array, labels: ArrayLike<number>): Float32Array {
  const image = new Float32Array(3 * SIZE * SIZE).fill(1);
  const n = labels.length;
  const range = (c: number) => {
    let [lo, hi] = [Infinity, -Infinity];
    for (let i = 0; i < n; i++) [lo, hi] = [Math.min(lo, points[i * 2 + c]!), Math.max(hi, points[i * 2 + c]!)];
    return [lo, hi - lo || 1] as const;
  };
  const [[x0, xw], [y0, yw]] = [range(0), range(1)];
  for (let i = 0; i < n; i++) {
    const px = Math.round(8 + ((points[i * 2]! - x0) / xw) * (SIZE - 16));
    const py = Math.round(SIZE - 8 - ((points[i * 2 + 1]! - y0) / yw) * (SIZE - 16));
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
      for (let ch = 0; ch < 3; ch++) image[ch * SIZE * SIZE + (py + dy) * SIZE + px + dx] = TAB10[labels[i]!]![ch]!;
    }
  }
  return image;
}

async function featuresOf(model: EncoderModel, images: T.Tensor): Promise<Float64Array> {
  model.eval();
  const f = T.noGrad(() => T.tidy(() => model.encode(images)));
  return Float64Array.from(await f.data());
}

const [checkpoint, out] = process.argv.slice(2);
if (!checkpoint || !out) throw new Error('usage: selfsup-pca.ts <checkpoint> <out.png>');
const { entry, model, config } = loadModel(checkpoint, 'cpu');
if (!isEncoder(model)) throw new Error(`${entry.name} is not an encoder`);
T.manualSeed(0);
const random = entry.build(config, 'cpu') as EncoderModel;
const { heldOut } = loadTrainAndHeldOut('mnist');
const labels = heldOut.labels!.dataSync();
const panels: Float32Array[] = [];
for (const [who, encoder] of [['trained', model], ['random', random]] as const) {
  const { points, explained } = pca2(await featuresOf(encoder, heldOut.images), labels.length, encoder.featureDim);
  console.log(`${who} ${entry.name}: the first two components explain ${(100 * explained).toFixed(1)}% of the feature variance`);
  panels.push(panel(points, labels));
}
const both = new Float32Array(2 * 3 * SIZE * SIZE);
panels.forEach((p, i) => both.set(p, i * p.length));
await saveImageGrid(out, T.tensor(both, { shape: [2, 3, SIZE, SIZE] }), { nrow: 2, range: [0, 1] });
console.log(`wrote ${out}`);
