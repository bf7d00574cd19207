// WebGPU parity for the convolution, pooling, statistics and resampling kernels: every kernel
// variant forced, on odd and tile-unaligned shapes, forward and backward against the CPU reference.
import { beforeAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { expectClose, parity as parityOn, type ParityInput } from './setup/parity.js';
import { TOL, type Tolerance } from './setup/tolerance.js';

let hasSubgroups = false;

const parity = (what: string, inputs: ParityInput[], fn: (...xs: Tensor[]) => Tensor, tol: Tolerance = TOL.f32Matmul) =>
  parityOn(what, inputs, fn, tol, undefined, 11);

beforeAll(async () => {
  const info = await T.initWebGPU();
  hasSubgroups = info.features?.includes('subgroups') ?? false;
});

const VARIANTS: T.ConvVariant[] = ['direct', 'gemm', 'auto'];

describe('conv2d: every variant, forward and both gradients', () => {
  const cases: [string, number[], number[], T.Conv2dOptions][] = [
    ['3x3 same, odd sizes', [2, 3, 9, 11], [5, 3, 3, 3], { padding: 1 }],
    ['stride, asymmetric padding, dilation', [1, 4, 13, 10], [20, 4, 3, 2], { stride: [2, 3], padding: [1, 0, 2, 1], dilation: [2, 1] }],
    ['groups with stride', [2, 6, 7, 7], [9, 2, 3, 3], { groups: 3, stride: 2 }],
    ['depthwise', [1, 5, 8, 9], [5, 1, 3, 3], { groups: 5, padding: 1 }],
    ['1x1, rows past one tile', [3, 17, 5, 5], [33, 17, 1, 1], {}],
    ['40 output channels (2.5 row tiles)', [2, 8, 10, 10], [40, 8, 3, 3], { padding: 1 }],
    ['kernel as large as the padded input', [2, 2, 3, 4], [3, 2, 5, 6], { padding: 1 }],
    ['1x1 depthwise (the norms\' affine map; pointwise path)', [2, 6, 5, 7], [6, 1, 1, 1], { groups: 6 }],
    ['1x1 grouped, two channels per group (pointwise path)', [2, 6, 5, 7], [3, 2, 1, 1], { groups: 3 }],
  ];
  for (const variant of VARIANTS) {
    for (const [name, xs, ws, opts] of cases) {
      it(`${variant}: ${name}`, async () => {
        await parity(`conv2d ${variant} ${name}`, [xs, ws, [ws[0]!]], (x, w, b) => T.conv2d(x, w, b, { ...opts, variant }));
      });
    }
  }
  it('fused activations in both kernels', async () => {
    for (const variant of ['direct', 'gemm'] as const) {
      for (const activation of ['relu', 'leakyRelu', 'tanh', 'sigmoid', 'silu'] as const) {
        await parity(`conv2d ${variant} ${activation}`, [[2, 3, 6, 7], [17, 3, 3, 3], [17]],
          (x, w, b) => T.conv2d(x, w, b, { padding: 1, activation, negativeSlope: 0.2, variant }), TOL.f32Matmul);
      }
      // Relative accuracy of tanh near 0, where its exp form would cancel.
      await parity(`conv2d ${variant} tanh near 0`, [[1, 2, 5, 5], [4, 2, 1, 1]],
        (x, w) => T.conv2d(T.mul(x, 1e-4), w, null, { activation: 'tanh', variant }), { rtol: 1e-5, atol: 1e-9 });
    }
  });
});

describe('convTranspose2d: every variant (stride phases included)', () => {
  const cases: [string, number[], number[], T.ConvTranspose2dOptions][] = [
    ['4x4 stride 2 (DCGAN)', [2, 7, 5, 6], [7, 5, 4, 4], { stride: 2, padding: 1 }],
    ['output padding', [1, 4, 3, 4], [4, 18, 3, 3], { stride: 2, padding: 1, outputPadding: 1 }],
    ['stride 3x2, dilation, output padding', [1, 4, 4, 3], [4, 3, 3, 2], { stride: [3, 2], outputPadding: [2, 1], dilation: [1, 2] }],
    ['groups', [2, 6, 3, 3], [6, 2, 3, 3], { groups: 2, stride: 2 }],
    ['stride 2 dilation 2: phases no tap reaches', [1, 3, 4, 4], [3, 2, 3, 3], { stride: 2, dilation: 2 }],
    ['many output channels', [2, 5, 4, 4], [5, 24, 4, 4], { stride: 2, padding: 1 }],
  ];
  for (const variant of VARIANTS) {
    for (const [name, xs, ws, opts] of cases) {
      it(`${variant}: ${name}`, async () => {
        const cout = ws[1]! * (opts.groups ?? 1);
        await parity(`convTranspose2d ${variant} ${name}`, [xs, ws, [cout]], (x, w, b) => T.convTranspose2d(x, w, b, { ...opts, variant }));
      });
    }
  }
  it('second derivatives match', async () => {
    const penalty = (x: Tensor, w: Tensor) => {
      const [g] = T.gradients(T.sum(T.square(T.conv2d(x, w, null, { stride: 2, padding: 1, activation: 'tanh' }))), [x], { createGraph: true });
      return T.square(g!);
    };
    await parity('conv2d gradient penalty', [[2, 3, 6, 5], [4, 3, 3, 3]], penalty);
  });
});

describe('pooling', () => {
  const cases: [string, number[], number | [number, number], T.AvgPool2dOptions][] = [
    ['2x2', [2, 3, 8, 9], 2, {}],
    ['3x3 stride 2 padding 1', [1, 2, 9, 7], 3, { stride: 2, padding: 1 }],
    ['asymmetric', [2, 2, 7, 10], [3, 2], { stride: [2, 3], padding: [1, 0, 1, 1] }],
    ['overlapping, no pad counted', [1, 3, 6, 6], 3, { stride: 1, padding: 1, countIncludePad: false }],
  ];
  for (const [name, xs, k, opts] of cases) {
    it(`max and avg: ${name}`, async () => {
      await parity(`maxPool2d ${name}`, [xs], (x) => T.maxPool2d(x, k, opts), TOL.f32Elementwise);
      await parity(`avgPool2d ${name}`, [xs], (x) => T.avgPool2d(x, k, opts), TOL.f32Reduce);
    });
  }
  it('adaptive and global average', async () => {
    await parity('adaptiveAvgPool2d', [[2, 3, 9, 7]], (x) => T.adaptiveAvgPool2d(x, [4, 3]), TOL.f32Reduce);
    await parity('globalAvgPool2d', [[2, 3, 9, 7]], (x) => T.globalAvgPool2d(x), TOL.f32Reduce);
  });
});

describe('moments: every kernel variant', () => {
  const cases: [string, number[], number[]][] = [
    ['short rows', [5, 37], [1]],
    ['leading and trailing axes', [3, 7, 11], [0, 2]],
    ['batch norm axes', [4, 6, 5, 3], [0, 2, 3]],
    ['long rows', [2, 1000], [1]],
    ['kept axes split in two', [2, 3, 4, 5], [0, 2]],
    ['three non-adjacent reduced axes (copied first)', [2, 3, 2, 3, 2], [0, 2, 4]],
    ['everything', [3, 5, 7], [0, 1, 2]],
  ];
  const variants = (): T.MomentsVariant[] => ['thread', 'workgroup', ...(hasSubgroups ? ['subgroup' as const] : [])];
  it('the adapter reports whether it has subgroups (the subgroup kernel runs where it does)', () => {
    expect(typeof hasSubgroups).toBe('boolean');
  });
  for (const [name, shape, axes] of cases) {
    it(name, async () => {
      for (const variant of variants()) {
        await parity(`moments ${variant} ${name}`, [shape], (x) => {
          const [m, v] = T.moments(x, axes, false, { variant });
          return T.add(m, T.mul(v, 2));
        }, TOL.f32Reduce);
      }
    });
  }
  it('stays accurate far from zero', async () => {
    for (const variant of variants()) {
      const x = T.add(T.mul(T.randn([3, 500]), 0.01), 1000);
      const [, v] = T.moments(await x.to('webgpu'), 1, false, { variant });
      const [, vc] = T.moments(x, 1);
      await expectClose(v, vc, { rtol: 2e-2, atol: 0 }, `moments ${variant} variance at 1000 +- 0.01`);
    }
  });
});

describe('norms, resampling and dropout', () => {
  it('batchNorm (training and eval), layerNorm, groupNorm, instanceNorm', async () => {
    await parity('batchNorm training', [[4, 6, 5, 3], [6], [6]], (x, w, b) => T.batchNorm(x, null, null, w, b), TOL.f32Reduce);
    await parity('batchNorm 1d', [[9, 5], [5], [5]], (x, w, b) => T.batchNorm(x, null, null, w, b), TOL.f32Reduce);
    await parity('layerNorm', [[3, 4, 7], [4, 7], [4, 7]], (x, w, b) => T.layerNorm(x, [4, 7], w, b), TOL.f32Reduce);
    await parity('groupNorm', [[2, 6, 3, 5], [6], [6]], (x, w, b) => T.groupNorm(x, 3, w, b), TOL.f32Reduce);
    await parity('instanceNorm', [[2, 3, 4, 5]], (x) => T.instanceNorm(x), TOL.f32Reduce);
    T.manualSeed(4);
    const [rm, rv] = [T.randn([6]), T.add(T.square(T.randn([6])), 0.5)];
    const [grm, grv] = [await rm.to('webgpu'), await rv.to('webgpu')];
    const x = T.randn([4, 6, 3, 3]);
    const gx = await x.to('webgpu');
    await expectClose(T.batchNorm(gx, grm, grv, null, null, { training: false }), T.batchNorm(x, rm, rv, null, null, { training: false }), TOL.f32Reduce, 'batchNorm eval');
    T.batchNorm(gx, grm, grv);
    T.batchNorm(x, rm, rv);
    await expectClose(grm, rm, TOL.f32Reduce, 'running mean');
    await expectClose(grv, rv, TOL.f32Reduce, 'running var');
  });
  it('interpolate, pixel shuffle and padding modes', async () => {
    await parity('nearest up', [[2, 3, 5, 4]], (x) => T.interpolate(x, { scaleFactor: 2 }), TOL.f32Elementwise);
    await parity('bilinear down', [[1, 2, 9, 7]], (x) => T.interpolate(x, { size: [4, 5], mode: 'bilinear' }), TOL.f32Reduce);
    await parity('bilinear align corners', [[1, 2, 3, 5]], (x) => T.interpolate(x, { size: [7, 6], mode: 'bilinear', alignCorners: true }), TOL.f32Reduce);
    await parity('pixelShuffle', [[2, 8, 3, 5]], (x) => T.pixelUnshuffle(T.pixelShuffle(x, 2), 2), TOL.exact);
    await parity('reflect pad', [[2, 3, 4, 5]], (x) => T.pad(x, [2, 1, 3, 0], { mode: 'reflect' }), TOL.f32Elementwise);
    await parity('replicate pad', [[2, 3, 4, 5]], (x) => T.pad(x, [0, 3, 1, 1], { mode: 'replicate' }), TOL.f32Elementwise);
  });
  it('dropout drops the same elements on both devices for the same seed', async () => {
    T.manualSeed(1);
    const x = T.randn([7, 131]);
    const gx = await x.to('webgpu');
    T.manualSeed(21);
    const cpu = T.dropout(x, 0.37);
    T.manualSeed(21);
    const gpu = T.dropout(gx, 0.37);
    await expectClose(gpu, cpu, TOL.f32Elementwise, 'dropout');
  });
});
