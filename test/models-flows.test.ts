// The normalising flows (realnvp, glow): every layer's log-determinant against a float64
// brute-force Jacobian, exact inverses, actnorm's data-dependent init, the likelihood's units,
// sampling at a temperature, and the 1x1 conv on WebGPU.
import { beforeAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { nn } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import {
  ActNorm, AffineCoupling, FactorOut, Glow, InvertibleConv1x1, MultiScaleFlow, RealNvp, Squeeze, configOf, glow, glowLevels, realNvpLevels, realnvp,
  type FlowLayer, type FlowModel,
} from '../models/index.js';
import { loadEmbeddedMnist } from '../src/node.js';

const f64 = { dtype: 'float64', device: 'cpu' } as const;

beforeAll(async () => {
  await T.initWebGPU();
});

/** Every parameter of `m` in float64 and redrawn from N(0, σ²), so no layer sits at its identity init. */
function randomized<M extends nn.Module>(m: M, sigma = 0.3): M {
  m.double();
  for (const p of m.parameters()) {
    const r = T.mul(T.randn(p.shape, f64), sigma);
    p.assign_(r);
    r.dispose();
  }
  return m;
}

/**
 * log |det ∂f/∂x| at x [1, ...] by central differences in float64: all 2D perturbed copies of x
 * go through f as one batch, and row i of the D x D matrix is (f(x + h e_i) - f(x - h e_i)) / 2h.
 */
async function bruteForceLogDet(f: (x: Tensor) => Tensor, x: Tensor, h = 1e-5): Promise<number> {
  const d = x.size;
  const steps = T.reshape(T.mul(T.eye(d, d, f64), h), [d, ...x.shape.slice(1)]);
  const [plus, minus] = [T.add(x, steps), T.sub(x, steps)].map((xs) => T.flatten(f(xs), 1));
  const jacobian = T.div(T.sub(plus!, minus!), 2 * h);
  expect(jacobian.shape).toEqual([d, d]);
  return T.slogdet(jacobian).logabsdet.item();
}

const maxAbs = (a: Tensor, b: Tensor) => T.max(T.abs(T.sub(a, b))).item();

/** The layer's log det at x agrees with the brute-force one, and its inverse undoes it. */
async function checkLayer(layer: FlowLayer, shape: number[]): Promise<void> {
  const x = T.randn(shape, f64);
  const { y, logdet } = layer.forward(x);
  expect(logdet.shape).toEqual([1]);
  const brute = await bruteForceLogDet((xs) => layer.forward(xs).y, x);
  expect(Math.abs((await logdet.item()) - brute)).toBeLessThan(1e-6 * (1 + Math.abs(brute)));
  expect(await maxAbs(layer.inverse(y), x)).toBeLessThan(1e-10);
}

describe('flow layers: log det against a float64 brute-force Jacobian, and exact inverses', () => {
  it('squeeze', async () => checkLayer(new Squeeze(), [1, 2, 4, 4]));
  it('actnorm', async () => checkLayer(randomized(new ActNorm(3)), [1, 3, 2, 2]));
  it('invertible 1x1 conv in LU form; W⁻¹ W = I', async () => {
    const conv = randomized(new InvertibleConv1x1(5));
    await checkLayer(conv, [1, 5, 2, 3]);
    expect(await maxAbs(T.matmul(conv.inverseWeight(), conv.weight()), T.eye(5, 5, f64))).toBeLessThan(1e-12);
  });
  it.each([
    ['channel', 0, 'sigmoid', [1, 3, 2, 2]], ['channel', 1, 'tanh', [1, 3, 2, 2]],
    ['checkerboard', 0, 'tanh', [1, 2, 4, 3]], ['checkerboard', 1, 'sigmoid', [1, 1, 3, 4]],
  ] as const)('affine coupling, %s mask, parity %s, %s scale', async (mask, parity, bound, shape) => {
    await checkLayer(randomized(new AffineCoupling(shape[1], mask, parity, 4, bound)), [...shape]);
  });
  it('factor-out with its learned prior: (kept, z) from x', async () => {
    const split = randomized(new FactorOut(5));
    await checkLayer({
      forward: (x: Tensor) => {
        const { kept, z, logdet } = split.forward(x);
        return { y: T.cat([kept, z], 1), logdet };
      },
      inverse: (y: Tensor) => split.inverse(T.slice(y, [null, { stop: 2 }]), T.slice(y, [null, { start: 2 }])),
    } as unknown as FlowLayer, [1, 5, 2, 2]);
  });
  it('the logit pre-processing of RealNVP', async () => {
    const model = new RealNvp(configOf(realnvp, { width: 2, depth: 1, logitAlpha: 0.05 }), 'cpu');
    const y = T.rand([1, 1, 3, 3], f64);
    const brute = await bruteForceLogDet((ys) => model.toFlowSpace(ys).v, y);
    expect(Math.abs((await model.toFlowSpace(y).logdet.item()) - brute)).toBeLessThan(1e-6 * Math.abs(brute));
    expect(await maxAbs(model.fromFlowSpace(model.toFlowSpace(y).v), y)).toBeLessThan(1e-12);
    model.dispose();
  });
  it.each([['glow', glowLevels], ['realnvp', realNvpLevels]] as const)('the whole 2-level %s flow, 4x4 -> 2x2 -> 1x1', async (_name, levels) => {
    T.manualSeed(3);
    const flow = randomized(new MultiScaleFlow(1, 4, 2, levels({ width: 4, depth: 2 }, 'cpu')), 0.2);
    expect(flow.latentShapes).toEqual([[2, 2, 2], [8, 1, 1]]);
    const x = T.randn([1, 1, 4, 4], f64);
    const encode = (xs: Tensor) => T.cat(flow.encode(xs).zs.map((z) => T.flatten(z, 1)), 1);
    const brute = await bruteForceLogDet(encode, x);
    expect(Math.abs((await flow.encode(x).logdet.item()) - brute)).toBeLessThan(1e-6 * (1 + Math.abs(brute)));
    expect(await maxAbs(flow.decode(flow.encode(x).zs), x)).toBeLessThan(1e-10);
    flow.dispose();
  });
});

const digits = (n: number, device: DeviceName = 'cpu') => loadEmbeddedMnist({ limit: n }).images.to(device);

describe.each([['glow', Glow, glow], ['realnvp', RealNvp, realnvp]] as const)('%s on 28x28 digits', (name, Model, entry) => {
  it('actnorm init: each actnorm\'s output on the init batch has zero mean and unit variance per channel', async () => {
    T.manualSeed(0);
    const model = new Model(configOf(entry, { width: 4, depth: 2 }), 'cpu');
    const stats: { mean: number; variance: number }[] = [];
    for (const m of model.modules()) {
      if (!(m instanceof ActNorm)) continue;
      const forward = m.forward.bind(m);
      m.forward = (x: Tensor) => {
        const out = forward(x);
        const mean = T.mean(out.y, [0, 2, 3], true);
        const variance = T.mean(T.square(T.sub(out.y, mean)), [0, 2, 3]);
        for (const v of mean.dataSync()) stats.push({ mean: v, variance: NaN });
        variance.dataSync().forEach((v, c) => (stats[stats.length - variance.size + c]!.variance = v));
        return out;
      };
    }
    model.initialize(await digits(16));
    expect(stats.length).toBe(name === 'glow' ? 2 * (4 + 8) : 1 + 4 + 2 + 8);
    for (const { mean, variance } of stats) {
      expect(Math.abs(mean)).toBeLessThan(1e-4);
      expect(Math.abs(variance - 1)).toBeLessThan(1e-3);
    }
    model.dispose();
  });

  it('x -> z -> x reconstructs to 1e-4 (float32, weights moved off their init)', async () => {
    T.manualSeed(1);
    const model = new Model(configOf(entry, { width: 8, depth: 2 }), 'cpu');
    const x = await digits(4);
    model.initialize(x);
    for (const p of model.parameters()) p.assign_(T.add(p, T.mul(T.randnLike(p), 0.05)));
    const { v } = model.toFlowSpace(model.dequantize(x));
    const back = model.flow.decode(model.flow.encode(v).zs);
    expect(await maxAbs(back, v)).toBeLessThan(1e-4 * (1 + (await T.max(T.abs(v)).item())));
    model.dispose();
  });

  it('logLikelihood is log P(x) in nats; the loss is the same in bits/dim; temperature 0 samples one image', async () => {
    T.manualSeed(2);
    const model = new Model(configOf(entry, { width: 4, depth: 1, temperature: 0 }), 'cpu') as FlowModel;
    const x = await digits(4);
    model.initialize(x);
    T.manualSeed(5);
    const nats = Array.from(await model.logLikelihood({ images: x }).data());
    T.manualSeed(5);
    const bits = await model.bitsPerDim(x).item();
    expect(bits).toBeCloseTo(-nats.reduce((a, b) => a + b, 0) / 4 / (784 * Math.LN2), 4);
    expect(bits).toBeGreaterThan(0);
    const samples = await model.sample(2).data();
    expect(Array.from(samples.slice(0, 784))).toEqual(Array.from(samples.slice(784)));
    model.dispose();
  });
});

// A whole training step is compared on CPU and wasm by test/wasm-models.test.ts. On SwiftShader a
// glow step compiles every conv kernel (100 s here under load), so WebGPU checks the one layer with
// a device-specific path: the 1x1 conv's LU weight and its Neumann-series inverse.
describe('WebGPU', () => {
  it('the invertible 1x1 conv forward, log det and inverse agree with the CPU', async () => {
    T.manualSeed(4);
    const conv = new InvertibleConv1x1(6, 'cpu');
    for (const p of conv.parameters()) p.assign_(T.add(p, T.mul(T.randnLike(p), 0.2)));
    const x = T.randn([2, 6, 3, 5]);
    const cpu = conv.forward(x);
    await conv.to('webgpu');
    const gpu = conv.forward(await x.to('webgpu'));
    const close = async (a: Tensor, b: Tensor) => expect(await maxAbs(await a.to('cpu'), b)).toBeLessThan(1e-4);
    await close(gpu.y, cpu.y);
    await close(gpu.logdet, cpu.logdet);
    await close(conv.inverse(gpu.y), x);
    conv.dispose();
  });
});
