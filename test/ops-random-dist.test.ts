// alphaDropout, poisson, uniform_ and exponential_: PyTorch's alpha-dropout affine map, sample
// statistics against the distributions, determinism under a seed, gradients, typed errors, and the
// same draws on wasm and WebGPU.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { getBackend } from '../src/backend/registry.js';
import type { WasmBackend } from '../src/backend/wasm/index.js';
import { gradcheck, randomF64 } from './setup/gradcheck.js';
import { expectClose } from './setup/parity.js';
import { TOL } from './setup/tolerance.js';
import { torchRef } from './setup/torch-fill.js';

const values = (t: Tensor) => Array.from(t.dataSync(), Number);
const meanOf = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const varOf = (v: number[]) => meanOf(v.map((x) => (x - meanOf(v)) ** 2));

describe('alphaDropout', () => {
  it('maps kept x to a x + b and dropped ones to one constant, as PyTorch', () => {
    const { p, x, out } = torchRef.alpha_dropout as { p: number; x: number[]; out: number[] };
    // PyTorch's own draw: its kept elements give a and b, its dropped ones the constant.
    const dropValue = out.find((o, i) => Math.abs(o - out[(i + 1) % out.length]!) < 1e-12 && Math.abs(x[i]! - x[(i + 1) % x.length]!) > 1e-6)!;
    const kept = out.map((o, i) => [x[i]!, o] as const).filter(([, o]) => Math.abs(o - dropValue) > 1e-9);
    const [[x0, y0], [x1, y1]] = [kept[0]!, kept.find(([xv]) => Math.abs(xv - kept[0]![0]) > 0.5)!];
    const a = (y1 - y0) / (x1 - x0);
    const b = y0 - a * x0;
    T.manualSeed(3);
    const ours = values(T.alphaDropout(T.tensor(x, { dtype: 'float64' }), p));
    let dropped = 0;
    ours.forEach((o, i) => {
      if (Math.abs(o - dropValue) < 1e-12) dropped++;
      else expect(o).toBeCloseTo(a * x[i]! + b, 12);
    });
    expect(Math.abs(dropped / x.length - p)).toBeLessThan(0.08);
  });
  it('keeps zero mean and unit variance; identity when not training; gradient a on kept elements', () => {
    T.manualSeed(1);
    const y = values(T.alphaDropout(T.randn([20000]), 0.2));
    expect(Math.abs(meanOf(y))).toBeLessThan(0.02);
    expect(Math.abs(varOf(y) - 1)).toBeLessThan(0.03);
    const x = T.ones([3]);
    expect(T.alphaDropout(x, 0.5, false)).toBe(x);
    gradcheck((t) => {
      T.manualSeed(9);
      return T.alphaDropout(t, 0.4);
    }, [randomF64([3, 5])]);
    expect(values(T.alphaDropout(T.ones([4]), 1))).toEqual([0, 0, 0, 0]);
  });
});

describe('poisson', () => {
  it('has the Poisson mean and variance for small and large rates; 0 gives 0; integers', () => {
    T.manualSeed(2);
    const rates = [0, 0.7, 3, 15.5, 16, 40, 900];
    const draws = values(T.poisson(T.tensor(rates).reshape([1, 7]).expand([6000, 7])));
    expect(draws.every((d) => Number.isInteger(d) && d >= 0)).toBe(true);
    rates.forEach((r, c) => {
      const col = draws.filter((_, i) => i % 7 === c);
      expect(Math.abs(meanOf(col) - r), `mean at rate ${r}`).toBeLessThanOrEqual(5 * Math.sqrt(r / 6000) + 1e-9);
      expect(Math.abs(varOf(col) - r), `variance at rate ${r}`).toBeLessThanOrEqual(0.1 * r + 1e-9);
    });
  });
  it('matches the probabilities at rate 3 and rate 20 (chi-square)', () => {
    for (const rate of [3, 20]) {
      T.manualSeed(4);
      const n = 20000;
      const draws = values(T.poisson(T.full([n], rate, { dtype: 'float64' })));
      const pmf = (k: number) => Math.exp(-rate + k * Math.log(rate) - logFactorial(k));
      let chi = 0;
      let bins = 0;
      for (let k = Math.max(0, Math.floor(rate - 3 * Math.sqrt(rate))); k <= rate + 3 * Math.sqrt(rate); k++) {
        const expected = n * pmf(k);
        chi += (draws.filter((d) => d === k).length - expected) ** 2 / expected;
        bins++;
      }
      expect(chi, `chi-square over ${bins} bins at rate ${rate}`).toBeLessThan(bins + 5 * Math.sqrt(2 * bins));
    }
  });
  it('is seeded, has no gradient, and names bad input', () => {
    T.manualSeed(6);
    const a = values(T.poisson(T.full([20], 5)));
    T.manualSeed(6);
    expect(values(T.poisson(T.full([20], 5)))).toEqual(a);
    const r = T.full([3], 2, { dtype: 'float64' }).requiresGrad_();
    expect(T.poisson(r).requiresGrad).toBe(false);
    expect(() => T.poisson(T.zeros([2], { dtype: 'int32' }))).toThrow(/poisson: rate must be a floating-point tensor.*\[2\]/);
  });
});

function logFactorial(k: number): number {
  let s = 0;
  for (let i = 2; i <= k; i++) s += Math.log(i);
  return s;
}

describe('uniform_ and exponential_', () => {
  it('fill the same tensor in place with the right distribution', () => {
    T.manualSeed(8);
    const t = T.zeros([30000]);
    expect(T.uniform_(t, -2, 3)).toBe(t);
    const u = values(t);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...u)).toBeLessThan(3);
    expect(Math.abs(meanOf(u) - 0.5)).toBeLessThan(0.05);
    expect(Math.abs(varOf(u) - 25 / 12)).toBeLessThan(0.06);
    expect(T.exponential_(t, 4)).toBe(t);
    const e = values(t);
    expect(e.every((v) => v >= 0 && Number.isFinite(v))).toBe(true);
    expect(Math.abs(meanOf(e) - 0.25)).toBeLessThan(0.01);
    expect(Math.abs(varOf(e) - 1 / 16)).toBeLessThan(0.006);
  });
  it('name the op and the argument', () => {
    expect(() => T.uniform_(T.zeros([2]), 3, 1)).toThrow(/uniform_: need finite from <= to, got from=3 to=1 \(self \[2\]\)/);
    expect(() => T.exponential_(T.zeros([2]), 0)).toThrow(/exponential_: lambd must be positive/);
    expect(() => T.exponential_(T.zeros([2], { dtype: 'int32' }))).toThrow(/exponential_: self must be a floating-point tensor/);
    expect(() => T.alphaDropout(T.zeros([2]), 1.5)).toThrow(/alphaDropout: p must be in \[0, 1\], got 1.5 \(input \[2\]\)/);
  });
});

describe('the same draws on wasm and WebGPU', () => {
  beforeAll(async () => {
    await T.initWasm({ threads: 1 });
    await T.initWebGPU();
  });
  afterAll(() => (getBackend('wasm') as WasmBackend).rt.pool.stop());

  it.each(['wasm', 'webgpu'] as const)('%s', async (device) => {
    const draw = async (dev: T.DeviceName, fn: (x: Tensor) => Tensor) => {
      T.manualSeed(11);
      return fn(await T.tensor([0.3, 2, 7.5, 15, 16.5, 60]).reshape([2, 3]).to(dev));
    };
    for (const [what, fn, tol] of [
      ['poisson', T.poisson, TOL.exact],
      ['alphaDropout', (x: Tensor) => T.alphaDropout(x, 0.3), TOL.f32Elementwise],
      ['uniform_', (x: Tensor) => T.uniform_(x, -1, 2), TOL.f32Elementwise],
      ['exponential_', (x: Tensor) => T.exponential_(x, 2), TOL.f32Transcendental],
    ] as const) {
      await expectClose(await draw(device, fn), await draw('cpu', fn), tol, what, device);
    }
  });
});
