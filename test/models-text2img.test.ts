// The text-to-image GANs on the captions task (models/gan-cls.ts, models/gigagan.ts, the shared
// text pieces of models/blocks/text.ts): the mismatch rule and the grid's captions, the losses in
// closed form and recomputed at lr 0, GigaGAN's adaptive conv against StyleGAN2's and its
// cross-attention, the caption reaching both players, sampling from given captions, and the
// forward passes on the CPU and WebGPU from the same weights.
import { beforeAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { loadEmbeddedMnist } from '../src/node.js';
import {
  AdaptiveConv2d, AttentionBlock, captionMeaning, generatorLoss, gridCaptions, hingeDiscriminatorLoss, interpolatedCodes, matchingAwareLoss, mismatchedTokens, taskRecord,
  type GanCls, type Gigagan,
} from '../models/index.js';
import { modulatedConv2d } from '../models/blocks/style.js';
import { disposeHarness, harness, step } from './setup/models.js';

beforeAll(async () => {
  await T.initWebGPU();
});

const values = (t: Tensor) => Array.from(t.dataSync());
const data = loadEmbeddedMnist({ limit: 8 });
const record = () => taskRecord('captions', data.images, 0, [-1, 1], data.labels);
const rowsOf = (tokens: Tensor) => Array.from({ length: tokens.shape[0]! }, (_, i) => values(tokens).slice(4 * i, 4 * i + 4));
const softplus = (v: number) => Math.log1p(Math.exp(v));
const TINY_CLS = { width: 4, zDim: 8, embedDim: 4, textDim: 8, condDim: 4 };
const TINY_GIGA = { width: 4, zDim: 8, embedDim: 4, textDim: 8, wDim: 8, kernels: 3, heads: 2, matchWeight: 0.5 };

describe('text pieces', () => {
  it('a mismatched caption is a caption that differs in exactly one of digit, thickness, slant; all three kinds occur', () => {
    const many = loadEmbeddedMnist({ limit: 64 });
    const { tokens } = taskRecord('captions', many.images, 1, [0, 1], many.labels);
    T.manualSeed(3);
    const wrong = mismatchedTokens(tokens!);
    expect(wrong.dtype).toBe('int32');
    const kinds = new Set<string>();
    rowsOf(tokens!).forEach((row, i) => {
      const [a, b] = [captionMeaning(row), captionMeaning(rowsOf(wrong)[i]!)];
      const changed = (['digit', 'thick', 'slanted'] as const).filter((k) => a[k] !== b[k]);
      expect(changed.length).toBe(1);
      kinds.add(changed[0]!);
    });
    expect(kinds.size).toBe(3);
  });

  it('the grid: row r is digit r mod 10, columns cycle thin/thick then upright/slanted', () => {
    const rows = rowsOf(gridCaptions(24, 'cpu')).map(captionMeaning);
    expect(rows[0]).toEqual({ digit: 0, thick: false, slanted: false });
    expect(rows[3]).toEqual({ digit: 0, thick: true, slanted: true });
    expect(rows[8 + 2]).toEqual({ digit: 1, thick: false, slanted: true });
    expect(rows[23]!.digit).toBe(2);
  });
});

describe('gan-cls', () => {
  it('the matching-aware loss and the interpolated codes in closed form', async () => {
    const l = (v: number[]) => T.tensor(v, { shape: [v.length, 1] });
    expect(await matchingAwareLoss(l([0]), l([0]), l([0])).item()).toBeCloseTo(2 * Math.log(2), 6);
    const expected = (softplus(-1) + softplus(-0.5)) / 2 + 0.5 * ((softplus(2) + softplus(3)) / 2 + (softplus(-1) + softplus(0)) / 2);
    expect(await matchingAwareLoss(l([1, 0.5]), l([2, 3]), l([-1, 0])).item()).toBeCloseTo(expected, 6);
    const code = T.tensor([[1, 2], [3, 4], [5, 6]]);
    expect(values(interpolatedCodes(code, 0.5))).toEqual([3, 4, 2, 3, 4, 5]);
    expect(values(interpolatedCodes(code, 1))).toEqual(values(code));
  });

  it('the caption reaches both players: other captions, other logits and other images from the same z', () => {
    T.manualSeed(0);
    const h = harness('gan-cls', 'cpu', { config: TINY_CLS });
    const model = h.model as GanCls;
    const { images, tokens } = record();
    const [a, b] = [model.encode(tokens!), model.encode(T.roll(tokens!, 1, 0))];
    expect(a.shape).toEqual([8, 8]);
    const z = T.randn([8, 8]);
    const differ = (p: Tensor, q: Tensor) => values(T.abs(T.sub(p, q))).some((v) => v > 1e-6);
    expect(differ(model.discriminator.forward(images!, a), model.discriminator.forward(images!, b))).toBe(true);
    expect(differ(model.generate(a, z), model.generate(b, z))).toBe(true);
    disposeHarness(h);
  });

  it.each(['gan-int-cls', 'gan'] as const)('%s: D\'s and G\'s losses recomputed at lr 0', async (variant) => {
    const h = harness('gan-cls', 'cpu', { config: { ...TINY_CLS, variant }, lr: 0 });
    const model = h.model as GanCls;
    const batch = record();
    const [x, tokens] = [batch.images!, batch.tokens!];
    T.manualSeed(7);
    const losses = step(h, batch);
    // The step's draws in order: the mismatched captions, z of the fakes, z of the interpolated fakes.
    T.manualSeed(7);
    const wrong = mismatchedTokens(tokens);
    const [z, z2] = [T.randn([8, 8]), T.randn([8, 8])];
    const code = model.encode(tokens);
    const fake = model.generate(code, z);
    const d = model.discriminator;
    const [real, faked, mismatched] = [d.forward(x, code), d.forward(fake, code), d.forward(x, model.encode(wrong))];
    const between = interpolatedCodes(code, 0.5);
    const gInt = generatorLoss(d.forward(model.generate(between, z2), between), 'non-saturating');
    if (variant === 'gan') {
      expect(Object.keys(losses)).toEqual(['d', 'g']);
      expect(await losses.d!.item()).toBeCloseTo(await T.add(T.bceWithLogits(real, T.onesLike(real)), T.bceWithLogits(faked, T.zerosLike(faked))).item(), 5);
      expect(await losses.g!.item()).toBeCloseTo(await generatorLoss(faked, 'non-saturating').item(), 5);
    } else {
      expect(Object.keys(losses)).toEqual(['mismatch', 'd', 'g']);
      expect(await losses.mismatch!.item()).toBeCloseTo(await T.mean(T.sigmoid(mismatched)).item(), 5);
      expect(await losses.d!.item()).toBeCloseTo(await matchingAwareLoss(real, mismatched, faked).item(), 5);
      expect(await losses.g!.item()).toBeCloseTo(await T.add(generatorLoss(faked, 'non-saturating'), gInt).item(), 5);
    }
    disposeHarness(h);
  });

  it('samples the grid\'s captions, or the first n of the given ones', () => {
    T.manualSeed(1);
    const h = harness('gan-cls', 'cpu', { config: TINY_CLS });
    const model = h.model as GanCls;
    const batch = record();
    T.manualSeed(5);
    const drawn = model.sample(5, { sources: batch });
    T.manualSeed(5);
    model.eval();
    const expected = T.noGrad(() => model.generate(model.encode(T.slice(batch.tokens!, [{ stop: 5 }]))));
    model.train();
    expect(values(drawn)).toEqual(values(expected));
    expect(model.sample(16).shape).toEqual([16, 1, 28, 28]);
    expect(() => model.sample(9, { sources: batch })).toThrow(/asked for 9 images from 8 captions/);
    disposeHarness(h);
  });
});

describe('gigagan', () => {
  it('an adaptive conv is the StyleGAN2 conv of the softmax-weighted sum of its bank, per image', () => {
    T.manualSeed(2);
    const conv = new AdaptiveConv2d(3, 2, 5, 4);
    T.noGrad(() => conv.bias.assign_(T.tensor([0.5, -1])));
    const [x, w] = [T.randn([2, 3, 6, 6]), T.randn([2, 5])];
    const y = conv.forward(x, w);
    const s = conv.selection(w);
    expect(values(T.sum(s, 1)).every((v) => Math.abs(v - 1) < 1e-6)).toBe(true);
    for (let i = 0; i < 2; i++) {
      const one = (t: Tensor) => T.slice(t, [{ start: i, stop: i + 1 }]);
      const kernel = T.reshape(T.matmul(one(s), T.mul(conv.bank, 1 / Math.sqrt(27))), [2, 3, 3, 3]);
      const expected = T.add(modulatedConv2d(one(x), kernel, conv.affine.forward(one(w)), { padding: 1 }), T.reshape(conv.bias, [1, 2, 1, 1]));
      values(T.sub(one(y), expected)).forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-5));
    }
  });

  it('cross-attention to a caption whose words are all alike adds the same vector at every pixel', () => {
    T.manualSeed(4);
    const block = new AttentionBlock(8, 2, 6);
    const x = T.randn([2, 8, 3, 3]);
    const words = T.expand(T.randn([2, 1, 6]), [2, 4, 6]);
    const added = values(T.sub(block.forward(x, words), x));
    for (let n = 0; n < 2; n++) for (let c = 0; c < 8; c++) {
      const plane = added.slice((n * 8 + c) * 9, (n * 8 + c + 1) * 9);
      plane.forEach((v) => expect(Math.abs(v - plane[0]!)).toBeLessThan(1e-5));
    }
    expect(new Set(added.map((v) => v.toFixed(4))).size).toBeGreaterThan(8);
  });

  it('D\'s hinge + matching-aware loss and G\'s hinge loss recomputed at lr 0; the caption reaches G', async () => {
    const h = harness('gigagan', 'cpu', { config: TINY_GIGA, lr: 0 });
    const model = h.model as Gigagan;
    const batch = record();
    const [x, tokens] = [batch.images!, batch.tokens!];
    T.manualSeed(7);
    const losses = step(h, batch);
    // The step's draws in order: the mismatched captions, then z.
    T.manualSeed(7);
    const wrong = mismatchedTokens(tokens);
    const fake = model.generate(tokens, T.randn([8, 8]));
    const judge = (images: Tensor, t: Tensor) => model.discriminator.forward(images, model.text.forward(t).code);
    const mismatch = await T.mean(T.relu(T.add(judge(x, wrong), 1))).item();
    expect(Object.keys(losses)).toEqual(['mismatch', 'd', 'g']);
    expect(await losses.mismatch!.item()).toBeCloseTo(mismatch, 5);
    expect(await losses.d!.item()).toBeCloseTo(await hingeDiscriminatorLoss(judge(x, tokens), judge(fake, tokens)).item() + 0.5 * mismatch, 5);
    expect(await losses.g!.item()).toBeCloseTo(-(await T.mean(judge(fake, tokens)).item()), 5);
    const z = T.randn([8, 8]);
    expect(values(T.abs(T.sub(model.generate(tokens, z), model.generate(T.roll(tokens, 1, 0), z)))).some((v) => v > 1e-6)).toBe(true);
    disposeHarness(h);
  });

  it('samples the given captions', () => {
    T.manualSeed(1);
    const h = harness('gigagan', 'cpu', { config: TINY_GIGA });
    const model = h.model as Gigagan;
    const batch = record();
    T.manualSeed(5);
    const drawn = model.sample(3, { sources: batch });
    T.manualSeed(5);
    model.eval();
    const expected = T.noGrad(() => model.generate(T.slice(batch.tokens!, [{ stop: 3 }])));
    model.train();
    expect(values(drawn)).toEqual(values(expected));
    disposeHarness(h);
  });
});

/** Each model's forward passes on one record and fixed z: what the devices must agree on. */
const FORWARD: Record<string, [object, (model: GanCls & Gigagan, x: Tensor, tokens: Tensor, z: Tensor) => Tensor[]]> = {
  'gan-cls': [TINY_CLS, (m, x, t, z) => {
    const code = m.encode(t);
    return [code, m.discriminator.forward(x, code), m.generate(code, z)];
  }],
  gigagan: [TINY_GIGA, (m, x, t, z) => {
    const { words, code } = m.text.forward(t);
    return [words, m.discriminator.forward(x, code), m.generator.forward(z, code, words)];
  }],
};

describe('the CPU and WebGPU agree', () => {
  // A training step through the GRU on SwiftShader takes minutes on this machine: the forward
  // passes of both players, from the same weights, are compared instead (wasm-models checks a step).
  it.each(Object.keys(FORWARD))('%s: caption features, D\'s logits and G\'s images from the same weights', async (name) => {
    const [config, forward] = FORWARD[name]!;
    const run = async (device: DeviceName) => {
      T.manualSeed(0);
      const h = harness(name, device, { config });
      const { images, tokens } = record();
      const [x, t, z] = [await images!.to(device), await tokens!.to(device), await T.randn([8, 8]).to(device)];
      const out = T.noGrad(() => forward(h.model as GanCls & Gigagan, x, t, z));
      const read = await Promise.all(out.map(async (o) => Array.from(await o.data())));
      disposeHarness(h);
      return read;
    };
    const [cpu, gpu] = [await run('cpu'), await run('webgpu')];
    cpu.forEach((part, i) => part.forEach((v, j) => expect(Math.abs(gpu[i]![j]! - v), `${name} output ${i}[${j}]`).toBeLessThan(1e-4 + 1e-4 * Math.abs(v))));
  }, 300_000);
});
