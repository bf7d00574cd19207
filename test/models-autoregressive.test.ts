// The autoregressive models' defining property, checked by autograd: the output at pixel i (raster
// order) has zero gradient with respect to every input pixel at or after i, and the samplers draw
// from exactly the conditionals the network computes.
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import {
  ImageGpt, MaskedConv2d, PixelCnn, PixelRnn, configOf, imageGpt, kernelMask, pixelcnn, pixelrnn, type PixelCnnConfig, type PixelRnnConfig,
} from '../models/index.js';

const values = async (t: Tensor) => Array.from(await t.data());

/**
 * For each output pixel i of `net` on a random [1, 1, side, side] image, the input pixels j whose
 * gradient of sum(net(x)[..., i]) is nonzero.
 */
async function dependencies(net: (x: Tensor) => Tensor, side: number): Promise<Set<number>[]> {
  const x = T.rand([1, 1, side, side]).requiresGrad_(true);
  const out = net(x);
  const seen: Set<number>[] = [];
  for (let i = 0; i < side * side; i++) {
    const [g] = T.gradients(T.sum(T.slice(out, [0, null, Math.floor(i / side), i % side])), [x]);
    const grads = await values(g!);
    seen.push(new Set(grads.flatMap((v, j) => (v !== 0 ? [j] : []))));
    g!.dispose();
  }
  return seen;
}

const pixelCnn = (config: Partial<PixelCnnConfig>) => new PixelCnn(configOf(pixelcnn, { width: 4, blocks: 2, ...config }), 'cpu');

describe('masked convolutions', () => {
  it('mask A opens the pixels before the centre, mask B the centre too, rows-above the whole centre row', () => {
    expect(kernelMask('A', 3, 3)).toEqual([1, 1, 1, 1, 0, 0, 0, 0, 0]);
    expect(kernelMask('B', 3, 3)).toEqual([1, 1, 1, 1, 1, 0, 0, 0, 0]);
    expect(kernelMask('rows-above', 3, 3)).toEqual([1, 1, 1, 1, 1, 1, 0, 0, 0]);
    expect(kernelMask('A', 1, 3)).toEqual([1, 0, 0]);
  });

  it('a mask-B layer: output i reads inputs j <= i only; the masked weights get zero gradient', async () => {
    T.manualSeed(0);
    const layer = new MaskedConv2d('B', 1, 2, [3, 3], 'cpu');
    const seen = await dependencies((x) => layer.forward(x), 5);
    seen.forEach((s, i) => {
      expect([...s].every((j) => j <= i)).toBe(true);
      expect(s.has(i)).toBe(true);
    });
    T.sum(T.square(layer.forward(T.rand([2, 1, 5, 5])))).backward();
    const grad = await values(layer.conv.weight.grad!);
    const mask = kernelMask('B', 3, 3);
    grad.forEach((g, k) => (mask[k % 9] === 0 ? expect(g).toBe(0) : expect(g).not.toBe(0)));
  });
});

describe('pixelcnn', () => {
  it.each(['plain', 'gated'] as const)('%s: output i has zero gradient wrt every input pixel >= i, and reads the pixels left of and above it', async (arch) => {
    T.manualSeed(1);
    const side = 6;
    const model = pixelCnn({ arch });
    (await dependencies((x) => model.forward(x), side)).forEach((s, i) => expect([...s].filter((j) => j >= i)).toEqual([]));
    // The trunk alone, as the head's ReLUs can be dead at a pixel of so narrow a net.
    (await dependencies((x) => model.trunk.forward(x), side)).forEach((s, i) => {
      if (i % side > 0) expect(s.has(i - 1)).toBe(true);
      if (i >= side) expect(s.has(i - side)).toBe(true);
    });
    model.dispose();
  });

  it('the plain trunk has a blind spot to the upper right, the gated one none', async () => {
    T.manualSeed(2);
    const side = 8;
    const [at, blind] = [4 * side + 2, 3 * side + 6];
    const plain = pixelCnn({ arch: 'plain', blocks: 1 });
    expect((await dependencies((x) => plain.trunk.forward(x), side))[at]!.has(blind)).toBe(false);
    const gated = pixelCnn({ arch: 'gated', blocks: 2 });
    expect((await dependencies((x) => gated.trunk.forward(x), side))[at]!.has(blind)).toBe(true);
    // On an image within its reach (5 columns either way), every earlier pixel.
    (await dependencies((x) => gated.trunk.forward(x), 6)).forEach((s, i) => expect(s.size).toBe(i));
    for (const m of [plain, gated]) m.dispose();
  });

  it.each(['plain', 'gated'] as const)('%s: a row computed on its window of rowsAbove rows equals the full image\'s', async (arch) => {
    T.manualSeed(3);
    const model = pixelCnn({ arch });
    const x = T.rand([2, 1, 14, 9]);
    const r = 12;
    const full = T.slice(model.forward(x), [null, null, r]);
    const window = T.slice(model.forward(T.slice(x, [null, null, { start: r - model.trunk.rowsAbove, stop: r + 1 }])), [null, null, -1]);
    const [a, b] = [await values(full), await values(window)];
    a.forEach((v, k) => expect(b[k]).toBeCloseTo(v, 5));
    model.dispose();
  });

  it.each(['bernoulli', 'categorical'] as const)('%s: with a zero head every pixel is uniform: NLL = 784 log K nats', async (output) => {
    const model = pixelCnn({ output });
    const last = model.head.at(-1) as unknown as { weight: Tensor; bias: Tensor };
    for (const p of [last.weight, last.bias]) T.noGrad(() => p.assign_(T.zerosLike(p)));
    const nll = await values(model.negativeLogLikelihood(T.rand([3, 1, 28, 28])));
    for (const v of nll) expect(v).toBeCloseTo(784 * Math.log(output === 'categorical' ? 256 : 2), 3);
    model.dispose();
  });

  it('sampling at a low temperature picks each pixel as the full network\'s conditional says, given the pixels before it', async () => {
    T.manualSeed(4);
    const model = pixelCnn({ arch: 'gated', blocks: 1, temperature: 1e-4 });
    const x = model.sample(2);
    // Greedy: pixel i is 1 exactly when its logit, computed from the sampled pixels before it, is > 0.
    const logits = await values(T.noGrad(() => model.forward(x)));
    const pixels = await values(x);
    const agree = pixels.filter((p, k) => Math.abs(logits[k]!) < 1e-3 || p === (logits[k]! > 0 ? 1 : 0)).length;
    expect(agree).toBe(pixels.length);
    model.dispose();
  });
});

describe('pixelrnn', () => {
  const pixelRnn = (config: Partial<PixelRnnConfig>) => new PixelRnn(configOf(pixelrnn, { width: 4, layers: 2, ...config }), 'cpu');

  it('output i has zero gradient wrt every input pixel >= i; the features read the pixels left of and above it', async () => {
    T.manualSeed(5);
    const side = 6;
    const model = pixelRnn({});
    (await dependencies((x) => model.forward(x), side)).forEach((s, i) => expect([...s].filter((j) => j >= i)).toEqual([]));
    (await dependencies((x) => model.features(x), side)).forEach((s, i) => {
      if (i % side > 0) expect(s.has(i - 1)).toBe(true);
      if (i >= side) expect(s.has(i - side)).toBe(true);
    });
    model.dispose();
  });

  it('a row stepped from the kept states of the rows above equals the full recurrence\'s', async () => {
    T.manualSeed(6);
    const model = pixelRnn({});
    const x = T.rand([2, 1, 9, 7]);
    const r = 6;
    const full = T.noGrad(() => T.slice(model.forward(x), [null, null, r]));
    // The states after row r - 1, from the recurrence over rows 0 .. r - 1, one row at a time.
    let states = [...model.layers].map((l) => l.initialState(T.zeros([2, 4, 1, 7])));
    for (let k = 0; k < r; k++) states = model.lastRow(T.slice(x, [null, null, { start: Math.max(0, k - 3), stop: k + 1 }]), states).states;
    const stepped = model.lastRow(T.slice(x, [null, null, { start: r - 3, stop: r + 1 }]), states).logits;
    const [a, b] = [await values(full), await values(stepped)];
    a.forEach((v, k) => expect(b[k]).toBeCloseTo(v, 5));
    model.dispose();
  });

  it('sampling at a low temperature picks each pixel as the full network\'s conditional says', async () => {
    T.manualSeed(7);
    const model = pixelRnn({ layers: 1, temperature: 1e-4 });
    const x = model.sample(2);
    const logits = await values(T.noGrad(() => model.forward(x)));
    const pixels = await values(x);
    expect(pixels.filter((p, k) => Math.abs(logits[k]!) < 1e-3 || p === (logits[k]! > 0 ? 1 : 0)).length).toBe(pixels.length);
    model.dispose();
  });
});

describe('image-gpt', () => {
  const small = () => new ImageGpt(configOf(imageGpt, { width: 8, layers: 2, heads: 2 }), 'cpu');

  it('causal: changing token j changes no logit before j, and changes the logits at j', async () => {
    T.manualSeed(8);
    const model = small();
    const tokens = [12, 0, 3, 1, 2, 2, 0, 3, 1, 0, 2, 3];
    const j = 6;
    const logits = (seq: number[]) => T.noGrad(() => model.forward(T.tensor(seq, { shape: [1, seq.length], dtype: 'int32' })));
    const [a, b] = [await values(logits(tokens)), await values(logits(tokens.map((t, k) => (k === j ? (t + 1) % 4 : t))))];
    const levels = 4;
    expect(b.slice(0, j * levels)).toEqual(a.slice(0, j * levels));
    expect(b.slice(j * levels, (j + 1) * levels)).not.toEqual(a.slice(j * levels, (j + 1) * levels));
    model.dispose();
  });

  it('tokens: 14x14 averages quantised to 4 levels, decoded as 2x2 blocks of level / 3', async () => {
    const model = small();
    const image = T.reshape(T.tensor(Array.from({ length: 784 }, (_, k) => (Math.floor(k / 28) < 14 ? 0.9 : 0.3))), [1, 1, 28, 28]);
    const tokens = await values(model.tokenize(image));
    expect(tokens).toEqual([...new Array(98).fill(3), ...new Array(98).fill(1)]);
    const decoded = await values(model.decode(model.tokenize(image)));
    expect(decoded[0]).toBe(1);
    expect(decoded[783]).toBeCloseTo(1 / 3, 6);
    model.dispose();
  });

  it('top-k 1 draws the most likely level; a zero head gives NLL 196 log 4', async () => {
    T.manualSeed(9);
    const model = new ImageGpt(configOf(imageGpt, { width: 8, layers: 1, heads: 2, topK: 1 }), 'cpu');
    const logits = T.tensor([[0.1, 2, -1, 0.5], [3, 0, 0, 2.9]]);
    expect(await values(model.drawNext(logits))).toEqual([1, 0]);
    for (const p of [model.transformer.head.weight, model.transformer.head.bias!]) T.noGrad(() => p.assign_(T.zerosLike(p)));
    const nll = await values(model.logLikelihood({ images: T.rand([2, 1, 28, 28]), labels: T.tensor([3, 7], { dtype: 'int32' }) }));
    for (const v of nll) expect(v).toBeCloseTo(-196 * Math.log(4), 3);
    model.dispose();
  });
});

describe('image-gpt incremental decoding', () => {
  it('step by step with the kept inputs gives the logits of the full pass', async () => {
    T.manualSeed(10);
    const model = new ImageGpt(configOf(imageGpt, { width: 8, layers: 2, heads: 2 }), 'cpu');
    const tokens = [13, 2, 0, 3, 3, 1, 0];
    const full = await values(T.noGrad(() => model.forward(T.tensor(tokens, { shape: [1, 7], dtype: 'int32' }))));
    let cache: Tensor[] = [];
    const stepped: number[] = [];
    for (const [t, token] of tokens.entries()) {
      const out = T.noGrad(() => model.transformer.step(T.tensor([token], { shape: [1, 1], dtype: 'int32' }), t, cache));
      stepped.push(...(await values(out.logits)));
      cache = out.cache;
    }
    stepped.forEach((v, k) => expect(v).toBeCloseTo(full[k]!, 5));
    model.dispose();
  });
});
