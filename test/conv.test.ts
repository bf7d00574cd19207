// conv2d and convTranspose2d on the CPU reference: literal values, output shapes against PyTorch's
// formulas, float64 gradient checks for every option, typed errors, and second derivatives
// (a WGAN-GP gradient penalty end to end).
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { gradcheck, randomF64 } from './setup/gradcheck.js';

const f64 = (values: number[], shape: number[]) => T.tensor(values, { shape, dtype: 'float64' });
const values = (t: Tensor) => Array.from(t.dataSync());

describe('conv2d values', () => {
  it('is a cross-correlation with stride, padding and bias', () => {
    const x = f64([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
    const w = f64([1, 0, 0, -1], [1, 1, 2, 2]);
    expect(values(T.conv2d(x, w))).toEqual([-4, -4, -4, -4]);
    expect(values(T.conv2d(x, w, f64([10], [1]), { stride: 2, padding: 1 }))).toEqual([9, 7, 3, 6]);
  });
  it('fuses the activation after the bias', () => {
    const x = f64([1, -2, 3, -4], [1, 1, 2, 2]);
    const w = f64([1], [1, 1, 1, 1]);
    const b = f64([0.5], [1]);
    expect(values(T.conv2d(x, w, b, { activation: 'relu' }))).toEqual([1.5, 0, 3.5, 0]);
    values(T.conv2d(x, w, b, { activation: 'leakyRelu', negativeSlope: 0.1 })).forEach((v, i) => expect(v).toBeCloseTo([1.5, -0.15, 3.5, -0.35][i]!, 12));
    const expected = [1.5, -1.5, 3.5, -3.5].map((z) => z / (1 + Math.exp(-z)));
    values(T.conv2d(x, w, b, { activation: 'silu' })).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 12));
  });
  it('groups: each output channel sees only its group', () => {
    const x = f64([1, 1, 2, 2], [1, 2, 1, 2]);
    const w = f64([1, 10], [2, 1, 1, 1]);
    expect(values(T.conv2d(x, w, null, { groups: 2 }))).toEqual([1, 1, 20, 20]);
  });
});

describe('convTranspose2d values', () => {
  it('stride 2 with a 2x2 kernel of ones spreads each pixel over a block', () => {
    const x = f64([1, 2, 3, 4], [1, 1, 2, 2]);
    const w = f64([1, 1, 1, 1], [1, 1, 2, 2]);
    expect(values(T.convTranspose2d(x, w, null, { stride: 2 }))).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });
  it('is the adjoint of conv2d: <conv(x, w), y> = <x, convT(y, w)>', () => {
    const x = randomF64([2, 4, 7, 6]);
    const w = randomF64([6, 2, 3, 2]);
    const opts = { stride: [2, 1] as [number, number], padding: [1, 0, 1, 1] as [number, number, number, number], dilation: [1, 2] as [number, number], groups: 2 };
    const y = T.conv2d(x, w, null, opts);
    const r = randomF64([...y.shape]);
    // The conv drops a row (floor); outputPadding restores it.
    const back = T.convTranspose2d(r, w, null, { ...opts, outputPadding: [1, 0] });
    expect(back.shape).toEqual(x.shape);
    expect(T.sum(T.mul(y, r)).dataSync()[0]).toBeCloseTo(T.sum(T.mul(x, back)).dataSync()[0]!, 10);
  });
});

describe('output shapes follow PyTorch', () => {
  // [input, weight, options, expected output] for torch.nn.functional.conv2d.
  const convCases: [number[], number[], T.Conv2dOptions, number[]][] = [
    [[1, 1, 28, 28], [32, 1, 3, 3], { padding: 1 }, [1, 32, 28, 28]],
    [[2, 3, 28, 28], [8, 3, 3, 3], {}, [2, 8, 26, 26]],
    [[2, 32, 28, 28], [64, 32, 3, 3], { stride: 2, padding: 1 }, [2, 64, 14, 14]],
    [[1, 3, 7, 9], [4, 3, 4, 4], { stride: 2, padding: 1 }, [1, 4, 3, 4]],
    [[1, 2, 10, 10], [2, 2, 3, 3], { dilation: 2 }, [1, 2, 6, 6]],
    [[1, 2, 10, 11], [2, 2, 3, 3], { dilation: [2, 3], padding: [1, 2] }, [1, 2, 8, 9]],
    [[1, 4, 5, 5], [4, 1, 3, 3], { groups: 4, padding: 1 }, [1, 4, 5, 5]],
    [[1, 4, 9, 9], [6, 2, 5, 5], { groups: 2, stride: 3 }, [1, 6, 2, 2]],
    [[1, 1, 5, 6], [1, 1, 2, 2], { padding: [0, 1, 1, 0] }, [1, 1, 5, 6]],
    [[1, 1, 7, 8], [1, 1, 4, 3], { padding: 'same' }, [1, 1, 7, 8]],
    // 'same' with a stride follows TensorFlow (ceil(size / stride)); PyTorch only allows stride 1.
    [[1, 1, 7, 8], [1, 1, 3, 3], { padding: 'same', stride: 2 }, [1, 1, 4, 4]],
    [[1, 1, 7, 8], [1, 1, 3, 3], { padding: 'same', dilation: 3 }, [1, 1, 7, 8]],
    [[1, 1, 7, 8], [1, 1, 3, 3], { padding: 'valid' }, [1, 1, 5, 6]],
    [[3, 2, 1, 1], [5, 2, 1, 1], {}, [3, 5, 1, 1]],
  ];
  for (const [xs, ws, opts, expected] of convCases) {
    it(`conv2d ${JSON.stringify(xs)} * ${JSON.stringify(ws)} ${JSON.stringify(opts)}`, () => {
      expect(T.conv2d(T.zeros(xs), T.zeros(ws), null, opts).shape).toEqual(expected);
    });
  }
  // torch.nn.functional.conv_transpose2d: (H - 1) * s - 2p + d (k - 1) + output_padding + 1.
  const transposeCases: [number[], number[], T.ConvTranspose2dOptions, number[]][] = [
    [[2, 64, 7, 7], [64, 32, 4, 4], { stride: 2, padding: 1 }, [2, 32, 14, 14]],
    [[1, 64, 14, 14], [64, 32, 4, 4], { stride: 2, padding: 1 }, [1, 32, 28, 28]],
    [[1, 100, 1, 1], [100, 8, 4, 4], {}, [1, 8, 4, 4]],
    [[1, 2, 5, 5], [2, 3, 3, 3], { stride: 2, padding: 1, outputPadding: 1 }, [1, 3, 10, 10]],
    [[1, 2, 4, 5], [2, 3, 3, 2], { stride: [3, 2], padding: [1, 0], outputPadding: [2, 1] }, [1, 3, 12, 11]],
    [[1, 4, 3, 3], [4, 1, 3, 3], { groups: 2, dilation: 2 }, [1, 2, 7, 7]],
  ];
  for (const [xs, ws, opts, expected] of transposeCases) {
    it(`convTranspose2d ${JSON.stringify(xs)} * ${JSON.stringify(ws)} ${JSON.stringify(opts)}`, () => {
      expect(T.convTranspose2d(T.zeros(xs), T.zeros(ws), null, opts).shape).toEqual(expected);
    });
  }
});

describe('conv2d gradients (float64 central differences)', () => {
  const cases: [string, number[], number[], T.Conv2dOptions][] = [
    ['plain 3x3', [2, 3, 5, 5], [4, 3, 3, 3], {}],
    ['stride 2, padding 1, odd sizes', [1, 2, 7, 6], [3, 2, 3, 3], { stride: 2, padding: 1 }],
    ['asymmetric stride and padding', [2, 2, 6, 5], [2, 2, 2, 3], { stride: [2, 1], padding: [1, 0, 2, 1] }],
    ['dilation', [1, 2, 7, 7], [2, 2, 3, 2], { dilation: [2, 3], padding: 2 }],
    ['groups', [2, 4, 5, 4], [6, 2, 3, 3], { groups: 2, padding: 1 }],
    ['depthwise', [1, 3, 5, 5], [3, 1, 3, 3], { groups: 3, stride: 2 }],
    ['same padding, even kernel', [1, 2, 5, 6], [2, 2, 4, 4], { padding: 'same' }],
    ['1x1 kernel, batch 1', [1, 5, 3, 2], [3, 5, 1, 1], {}],
    ['kernel as large as the padded input', [2, 1, 3, 3], [2, 1, 5, 5], { padding: 1 }],
  ];
  for (const [name, xs, ws, opts] of cases) {
    it(name, () => {
      const bias = randomF64([ws[0]!]);
      gradcheck((x, w, b) => T.conv2d(x, w, b, opts), [randomF64(xs), randomF64(ws), bias]);
    });
  }
  it('fused activations (relu, leakyRelu, tanh, sigmoid, silu)', () => {
    for (const activation of ['relu', 'leakyRelu', 'tanh', 'sigmoid', 'silu'] as const) {
      gradcheck((x, w, b) => T.conv2d(x, w, b, { activation, negativeSlope: 0.2, padding: 1 }), [randomF64([1, 2, 4, 4]), randomF64([3, 2, 3, 3]), randomF64([3])]);
    }
  });
  it('groups = batch: a modulated convolution folded into the channel axis', () => {
    // StyleGAN2: per-sample weights [N * O, C, k, k] over x reshaped to [1, N * C, H, W].
    const modulated = (x: Tensor, w: Tensor, style: Tensor) => {
      const perSample = T.reshape(T.mul(T.unsqueeze(w, 0), T.reshape(style, [2, 1, 3, 1, 1])), [2 * 4, 3, 3, 3]);
      return T.conv2d(T.reshape(x, [1, 6, 5, 5]), perSample, null, { groups: 2, padding: 1 });
    };
    gradcheck(modulated, [randomF64([2, 3, 5, 5]), randomF64([4, 3, 3, 3]), randomF64([2, 3])]);
  });
});

describe('convTranspose2d gradients (float64 central differences)', () => {
  const cases: [string, number[], number[], T.ConvTranspose2dOptions][] = [
    ['stride 2, 4x4, padding 1 (DCGAN)', [2, 3, 3, 3], [3, 2, 4, 4], { stride: 2, padding: 1 }],
    ['output padding', [1, 2, 3, 4], [2, 3, 3, 3], { stride: 2, padding: 1, outputPadding: 1 }],
    ['stride 3 and asymmetric output padding', [1, 2, 3, 2], [2, 2, 3, 2], { stride: [3, 2], outputPadding: [2, 1] }],
    ['dilation', [1, 2, 3, 3], [2, 2, 2, 3], { dilation: 2, padding: [1, 0] }],
    ['groups', [2, 4, 3, 3], [4, 1, 3, 3], { groups: 2, stride: 2 }],
    ['1x1 input, batch 1', [1, 5, 1, 1], [5, 3, 4, 4], {}],
  ];
  for (const [name, xs, ws, opts] of cases) {
    it(name, () => {
      const groups = opts.groups ?? 1;
      gradcheck((x, w, b) => T.convTranspose2d(x, w, b, opts), [randomF64(xs), randomF64(ws), randomF64([ws[1]! * groups])]);
    });
  }
});

describe('second derivatives', () => {
  it('through conv2d (with a fused activation) and convTranspose2d', () => {
    const inner = (x: Tensor, w: Tensor, v: Tensor) => {
      const y = T.convTranspose2d(T.conv2d(x, w, null, { stride: 2, padding: 1, activation: 'tanh' }), v, null, { stride: 2, padding: 1 });
      return T.gradients(T.sum(T.square(y)), [x], { createGraph: true })[0]!;
    };
    gradcheck(inner, [randomF64([1, 2, 4, 4]), randomF64([3, 2, 3, 3]), randomF64([3, 2, 4, 4])]);
  });
  it('a WGAN-GP gradient penalty through a small conv critic and generator, end to end', () => {
    // Generator: z -> convTranspose -> tanh; critic: conv(leakyRelu, stride 2) -> conv -> mean.
    // penalty = mean over samples of (||d critic / d x_hat|| - 1)^2 at x_hat = mix of real and fake.
    const critic = (x: Tensor, w1: Tensor, w2: Tensor) => {
      const h = T.conv2d(x, w1, null, { stride: 2, padding: 1, activation: 'leakyRelu', negativeSlope: 0.2 });
      return T.mean(T.conv2d(h, w2), [1, 2, 3]);
    };
    const penalty = (z: Tensor, real: Tensor, g: Tensor, w1: Tensor, w2: Tensor) => {
      const fake = T.tanh(T.convTranspose2d(z, g, null, { stride: 2, padding: 1 }));
      const alpha = T.reshape(T.tensor([0.3, 0.8], { dtype: 'float64' }), [2, 1, 1, 1]);
      const mixed = T.add(T.mul(real, alpha), T.mul(fake, T.sub(1, alpha)));
      const [gx] = T.gradients(T.sum(critic(mixed, w1, w2)), [mixed], { createGraph: true });
      const norms = T.sqrt(T.sum(T.square(gx!), [1, 2, 3]));
      return T.mean(T.square(T.sub(norms, 1)));
    };
    const inputs = [randomF64([2, 3, 2, 2]), randomF64([2, 1, 4, 4]), randomF64([3, 1, 4, 4]), randomF64([2, 1, 3, 3]), randomF64([1, 2, 2, 2])];
    gradcheck(penalty, inputs, { skip: [0, 1] });
  });
});

describe('bad input gets typed errors naming the op and shapes', () => {
  const x = T.zeros([1, 4, 6, 6]);
  it('channel mismatch', () => {
    expect(() => T.conv2d(x, T.zeros([2, 3, 3, 3]))).toThrow(T.ShapeError);
    expect(() => T.conv2d(x, T.zeros([2, 3, 3, 3]))).toThrow(/conv2d: the input has 4 channels but the weight expects 3.*\[1, 4, 6, 6\].*\[2, 3, 3, 3\]/);
    expect(() => T.convTranspose2d(x, T.zeros([3, 2, 3, 3]))).toThrow(/convTranspose2d: the input has 4 channels/);
  });
  it('groups not dividing the channels', () => {
    expect(() => T.conv2d(x, T.zeros([3, 2, 3, 3]), null, { groups: 2 })).toThrow(/conv2d: groups \(2\) must divide the output channels.*\(3\)/);
    expect(() => T.conv2d(x, T.zeros([3, 1, 3, 3]), null, { groups: 3 })).toThrow(T.ShapeError);
    expect(() => T.convTranspose2d(T.zeros([1, 3, 4, 4]), T.zeros([3, 2, 3, 3]), null, { groups: 2 })).toThrow(/groups \(2\) must divide the input channels \(3\)/);
  });
  it('kernel larger than the padded input', () => {
    expect(() => T.conv2d(x, T.zeros([2, 4, 7, 7]))).toThrow(/conv2d: the kernel \(7x7 with dilation\) is larger than the padded input \(6x6/);
    expect(() => T.conv2d(x, T.zeros([2, 4, 3, 3]), null, { dilation: 4, padding: 1 })).toThrow(T.ShapeError);
    expect(() => T.maxPool2d(x, 7)).toThrow(/maxPool2d: the kernel/);
  });
  it('negative or malformed padding, stride and groups', () => {
    expect(() => T.conv2d(x, T.zeros([2, 4, 3, 3]), null, { padding: -1 })).toThrow(T.ArgumentError);
    expect(() => T.conv2d(x, T.zeros([2, 4, 3, 3]), null, { padding: [1, -1, 0, 0] })).toThrow(/conv2d: padding must be non-negative integers/);
    expect(() => T.convTranspose2d(x, T.zeros([4, 1, 3, 3]), null, { padding: [-2, 0] })).toThrow(T.ArgumentError);
    expect(() => T.conv2d(x, T.zeros([2, 4, 3, 3]), null, { stride: 0 })).toThrow(/conv2d: stride must be a positive integer/);
    expect(() => T.conv2d(x, T.zeros([2, 4, 3, 3]), null, { groups: 1.5 })).toThrow(T.ArgumentError);
    expect(() => T.convTranspose2d(x, T.zeros([4, 1, 3, 3]), null, { stride: 2, outputPadding: 2 })).toThrow(/outputPadding \[2, 2\] must be smaller than the stride/);
  });
  it('wrong ranks, bias shape and dtype', () => {
    expect(() => T.conv2d(T.zeros([4, 6, 6]), T.zeros([2, 4, 3, 3]))).toThrow(/conv2d: input must be 4-D/);
    expect(() => T.conv2d(x, T.zeros([2, 4, 3, 3]), T.zeros([3]))).toThrow(/conv2d: bias must have shape \[2\]/);
    expect(() => T.conv2d(x, T.zeros([2, 4, 3, 3], { dtype: 'float64' }))).toThrow(T.DTypeError);
  });
});
