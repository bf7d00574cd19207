// evaluate(): a model that draws real digits scores at its floor, a model that draws blanks far
// from it; N is matched and reported; conditional models get class accuracy.
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { io, metrics } from '../src/index.js';
import { loadEmbeddedMnist } from '../src/node.js';

/** 7x7 average-pooled pixels as features (fast, and enough to tell digits from blanks). */
function poolExtractor(): metrics.FeatureExtractor {
  return {
    name: 'avgpool-7x7',
    featureDim: 49,
    async extract(images) {
      const pooled = T.tidy(() => T.flatten(T.avgPool2d(images, 4), 1));
      const features = Float64Array.from(await pooled.data());
      pooled.dispose();
      return { features, n: images.shape[0]! };
    },
  };
}

describe('evaluate', () => {
  const all = loadEmbeddedMnist({ limit: 3000, device: 'cpu' });
  const { train, heldOut } = io.stratifiedSplit(all, { heldOut: 500, seed: 1 });
  const rest = io.stratifiedSplit(train, { heldOut: 600, seed: 2 });

  it('a model that draws other real digits scores about its floor', async () => {
    let offset = 0;
    const copier: metrics.EvaluableModel = {
      async generate(n) {
        const out = T.slice(rest.train.images, [{ start: offset, stop: offset + n }]);
        offset += n;
        return out;
      },
    };
    const r = await metrics.evaluate(copier, { n: 600, train: rest.heldOut, heldOut, extractor: poolExtractor(), batch: 200 });
    expect(r.n).toBe(600);
    expect(r.nHeldOut).toBe(500);
    expect(r.is).toBeUndefined();
    expect(r.fid.floor!.n).toBe(600);
    expect(Math.abs(r.fid.value - r.fid.floor!.value)).toBeLessThan(0.5 * r.fid.floor!.value);
    expect(Math.abs(r.precision.value - r.precision.floor!.value)).toBeLessThan(0.1);
    expect(Math.abs(r.recall.value - r.recall.floor!.value)).toBeLessThan(0.1);
  });

  it('a model that draws blank images is far from the floor, with precision and recall 0', async () => {
    const blank: metrics.EvaluableModel = { async generate(n) { return T.zeros([n, 1, 28, 28], { device: 'cpu' }); } };
    const r = await metrics.evaluate(blank, { n: 300, train: rest.heldOut, heldOut, extractor: poolExtractor() });
    expect(r.n).toBe(300);
    expect(r.fid.value).toBeGreaterThan(10 * r.fid.floor!.value);
    expect(r.kid.value).toBeGreaterThan(10 * Math.abs(r.kid.floor!.value));
    expect(r.precision.value).toBe(0);
    expect(r.recall.value).toBe(0);
  });

  it('reports the held-out reconstruction error of models that reconstruct: 0 for the identity, by hand for a blank', async () => {
    const copy = async (x: T.Tensor) => T.clone(x);
    const blankOut = async (x: T.Tensor) => T.fullLike(x, 0.5);
    const base: metrics.EvaluableModel = { async generate(n) { return T.zeros([n, 1, 28, 28], { device: 'cpu' }); } };
    const exact = await metrics.evaluate({ ...base, reconstruct: copy }, { n: 100, train: rest.heldOut, heldOut, extractor: poolExtractor() });
    expect(exact.reconstruction!.n).toBe(500);
    expect(exact.reconstruction!.mse).toBe(0);
    const grey = await metrics.evaluate({ ...base, reconstruct: blankOut }, { n: 100, train: rest.heldOut, heldOut, extractor: poolExtractor() });
    // Predicting 0.5 everywhere: BCE is 784 ln 2 per image whatever the targets; MSE the mean of (x - 0.5)².
    expect(grey.reconstruction!.bce).toBeCloseTo(784 * Math.LN2, 6);
    const x = Array.from(heldOut.images.dataSync() as Float32Array);
    expect(grey.reconstruction!.mse).toBeCloseTo(x.reduce((a, v) => a + (v - 0.5) ** 2, 0) / x.length, 9);
    expect((await metrics.evaluate(base, { n: 100, train: rest.heldOut, heldOut, extractor: poolExtractor() })).reconstruction).toBeUndefined();
  });

  it('N is capped at the training set size, and conditional models get class accuracy', async () => {
    const labelsOfTrain = rest.heldOut.labels!.dataSync();
    // The extractor's "classifier" reads the class the generator wrote into pixel 0.
    const tagged: metrics.FeatureExtractor = {
      ...poolExtractor(),
      classes: 10,
      async extract(images) {
        const base = await poolExtractor().extract(images);
        const px = await images.data();
        const probs = new Float64Array(base.n * 10);
        for (let i = 0; i < base.n; i++) probs[i * 10 + (Math.round(px[i * 784]! * 10) % 10)] = 1;
        return { ...base, probs };
      },
    };
    const conditional: metrics.EvaluableModel = {
      classes: 10,
      async generate(n, labels) {
        const data = new Float32Array(n * 784);
        for (let i = 0; i < n; i++) data[i * 784] = (i % 3 === 0 ? (labels![i]! + 1) % 10 : labels![i]!) / 10;
        return T.tensor(data, { shape: [n, 1, 28, 28], device: 'cpu' });
      },
    };
    const r = await metrics.evaluate(conditional, { n: 5000, train: rest.heldOut, heldOut, extractor: tagged });
    expect(r.n).toBe(labelsOfTrain.length);
    // Every third image is of the wrong class.
    expect(r.classAccuracy!.value).toBeCloseTo(2 / 3, 2);
    expect(r.is!.n).toBe(600);
  });
});
