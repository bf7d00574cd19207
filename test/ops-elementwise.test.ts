// The elementwise ops beyond the backend's primitives: values against JavaScript's Math (float64),
// float64 gradient checks on odd shapes with broadcasting, and their typed errors.
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { gradcheck, randomF64 } from './setup/gradcheck.js';

const f64 = (v: number[]) => T.tensor(v, { dtype: 'float64' });
const values = (t: Tensor) => Array.from(t.dataSync(), Number);

function expectValues(got: number[], want: number[], rel = 1e-14): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    const w = want[i]!;
    if (Number.isNaN(w) || !Number.isFinite(w)) expect(g, `element ${i}`).toBe(w);
    else expect(Math.abs(g - w), `element ${i}: ${g} vs ${w}`).toBeLessThanOrEqual(rel * Math.max(Math.abs(w), 1e-300) + 1e-300);
  });
}

const shapes = [[1], [5], [3, 1], [2, 3, 4]];

describe('trigonometric and hyperbolic functions', () => {
  const points = [-1e10, -7, -1.5, -0.7, -0.2, -1e-9, 0, 1e-12, 0.3, 0.99, 2, 1e3, 1e20, Infinity, -Infinity, NaN];
  const unit = [-1, -0.999, -0.5, -1e-8, 0, 0.25, 0.9999999, 1, 1.5, NaN];
  const cases: [string, (x: Tensor) => Tensor, (v: number) => number, number[], [number, number]][] = [
    ['atan', T.atan, Math.atan, points, [-3, 3]],
    ['asin', T.asin, Math.asin, unit, [-0.9, 0.9]],
    ['acos', T.acos, Math.acos, unit, [-0.9, 0.9]],
    ['tan', T.tan, Math.tan, [-1.5, -0.3, 0, 1e-10, 1, 1.5], [-1.2, 1.2]],
    ['sinh', T.sinh, Math.sinh, [-30, -1, -1e-9, 0, 1e-12, 0.5, 3, 700], [-2, 2]],
    ['cosh', T.cosh, Math.cosh, [-30, -1, 0, 1e-12, 0.5, 3, 700], [-2, 2]],
    ['asinh', T.asinh, Math.asinh, points, [-3, 3]],
    ['acosh', T.acosh, Math.acosh, [0.5, 1, 1 + 1e-12, 1.5, 10, 1e9, 1e300, Infinity, NaN], [1.2, 4]],
    ['atanh', T.atanh, Math.atanh, unit, [-0.9, 0.9]],
  ];
  for (const [name, fn, ref, at, range] of cases) {
    it(`${name}: float64 values against Math.${name}, gradcheck`, () => {
      expectValues(values(fn(f64(at))), at.map(ref), 2e-15);
      for (const s of shapes) gradcheck(fn, [randomF64(s, ...range)]);
    });
  }
  it('float32 values within a few ulps', () => {
    const x = [-5, -0.7, -0.2, 0, 0.3, 0.9, 4];
    const x32 = Array.from(Float32Array.from(x));
    expectValues(values(T.atan(T.tensor(x))), x32.map(Math.atan), 3e-7);
    expectValues(values(T.asinh(T.tensor(x))), x32.map(Math.asinh), 3e-7);
    expectValues(values(T.asin(T.tensor([-0.9, -0.5, 0, 0.7]))), Array.from(Float32Array.from([-0.9, -0.5, 0, 0.7])).map(Math.asin), 5e-7);
  });
  it('atan2: every quadrant, the axes and broadcasting', () => {
    const ys = [1, -1, 0, 0, 2, -2, 0.5, 3, -3];
    const xs = [0, 0, 1, -1, -3, -3, 1e-5, 4, 4];
    expectValues(values(T.atan2(f64(ys), f64(xs))), ys.map((y, i) => Math.atan2(y, xs[i]!)), 2e-15);
    const pairs: [number[], number[]][] = [[[3], [3]], [[2, 3], [3]], [[4, 1], [1, 5]]];
    for (const [sa, sb] of pairs) gradcheck(T.atan2, [randomF64(sa, 0.2, 2), randomF64(sb, -2, 2)]);
    expect(T.atan2(T.tensor([1], { dtype: 'int32' }), 1).dtype).toBe('float32');
  });
  it('erfinv inverts erf to float64 precision, and its gradient', () => {
    const p = [-0.999999, -0.9, -0.3, -1e-10, 0, 0.2, 0.5, 0.97, 0.9999];
    const y = values(T.erfinv(f64(p)));
    expectValues(values(T.erf(f64(y))), p, 1e-14);
    expect(values(T.erfinv(f64([-1, 1, 1.5, NaN])))).toEqual([-Infinity, Infinity, NaN, NaN]);
    for (const s of shapes) gradcheck(T.erfinv, [randomF64(s, -0.95, 0.95)]);
  });
});

describe('logarithms, rounding and binary math', () => {
  it('log2, log10, exp2, trunc, frac', () => {
    const x = [0.125, 1, 3, 1000, 1e-300];
    expectValues(values(T.log2(f64(x))), x.map(Math.log2), 3e-16);
    expectValues(values(T.log10(f64(x))), x.map(Math.log10), 3e-16);
    expectValues(values(T.exp2(f64([-3, 0, 0.5, 10]))), [0.125, 1, Math.SQRT2, 1024], 3e-15);
    expect(values(T.trunc(f64([-2.7, -0.5, 0, 0.5, 2.7])))).toEqual([-2, -0, 0, 0, 2]);
    expectValues(values(T.frac(f64([-2.75, -0.5, 0, 2.25]))), [-0.75, -0.5, 0, 0.25]);
    expect(T.trunc(T.tensor([3], { dtype: 'int32' })).dtype).toBe('int32');
    expect(T.log2(T.tensor([8], { dtype: 'int32' })).dtype).toBe('float32');
    for (const s of shapes) {
      gradcheck(T.log2, [randomF64(s, 0.3, 3)]);
      gradcheck(T.log10, [randomF64(s, 0.3, 3)]);
      gradcheck(T.exp2, [randomF64(s)]);
      gradcheck(T.frac, [randomF64(s, 0.1, 0.9)]);
    }
  });
  const pairs: [number[], number[]][] = [[[3], [3]], [[2, 3], [3]], [[4, 1], [1, 5]], [[1], [2, 3, 1]]];
  it('fmod takes the sign of the dividend, mod the divisor', () => {
    const a = [5.5, -5.5, 5.5, -5.5, 6, -6];
    const b = [2, 2, -2, -2, 3, 4];
    expectValues(values(T.fmod(f64(a), f64(b))), a.map((v, i) => v % b[i]!));
    const ia = T.tensor(new Int32Array([7, -7, 7, -7]));
    const ib = T.tensor(new Int32Array([3, 3, -3, -3]));
    expect(values(T.fmod(ia, ib))).toEqual([1, -1, 1, -1]);
    for (const [sa, sb] of pairs) gradcheck(T.fmod, [randomF64(sa, -3, 3), randomF64(sb, 0.7, 1.3)]);
  });
  it('hypot never overflows its squares; gradient 0 at the origin', () => {
    expectValues(values(T.hypot(f64([3, 1e200, 1e-200, 0, Infinity]), f64([4, 1e200, 1e-200, 0, NaN]))), [5, Math.SQRT2 * 1e200, Math.SQRT2 * 1e-200, 0, Infinity], 3e-16);
    const a = f64([0, 3]).requiresGrad_(true);
    const [ga] = T.gradients(T.sum(T.hypot(a, 0)), [a]);
    expect(values(ga!)).toEqual([0, 1]);
    for (const [sa, sb] of pairs) gradcheck(T.hypot, [randomF64(sa), randomF64(sb)]);
  });
  it('logaddexp is stable at any magnitude', () => {
    const a = [1000, -1000, -Infinity, Infinity, 0, 2];
    const b = [1000, -1001, -Infinity, 5, 0, -3];
    const want = [1000 + Math.LN2, -1000 + Math.log1p(Math.exp(-1)), -Infinity, Infinity, Math.LN2, 2 + Math.log1p(Math.exp(-5))];
    expectValues(values(T.logaddexp(f64(a), f64(b))), want, 3e-16);
    for (const [sa, sb] of pairs) gradcheck(T.logaddexp, [randomF64(sa, -3, 3), randomF64(sb, -3, 3)]);
  });
  it('xlogy is 0 where x is 0, NaN where y is', () => {
    expectValues(values(T.xlogy(f64([0, 0, 2, 0]), f64([0, 3, Math.E, NaN]))), [0, 0, 2, NaN]);
    for (const [sa, sb] of pairs) gradcheck(T.xlogy, [randomF64(sa), randomF64(sb, 0.3, 2)]);
  });
  it('lerp in all three arguments, broadcast', () => {
    expectValues(values(T.lerp(f64([0, 10]), f64([10, 20]), 0.25)), [2.5, 12.5]);
    gradcheck((s, e, w) => T.lerp(s, e, w), [randomF64([2, 3]), randomF64([3]), randomF64([2, 1])]);
  });
  it('clamp with tensor bounds routes the gradient to whichever binds', () => {
    expect(values(T.clamp(f64([-2, 0, 2, 5]), f64([-1, 1, -1, 6]), f64([1, 3, 1, 4])))).toEqual([-1, 1, 1, 4]);
    gradcheck((x, lo, hi) => T.clamp(x, lo, hi), [randomF64([4, 5], -2, 2), randomF64([5], -1.5, -0.1), randomF64([4, 1], 0.1, 1.5)]);
    gradcheck((x, lo) => T.clamp(x, lo), [randomF64([2, 3]), randomF64([2, 1])]);
    gradcheck((x, hi) => T.clamp(x, -0.5, hi), [randomF64([3, 4]), randomF64([4])]);
  });
});

describe('NaN and infinity tests', () => {
  const x = () => f64([NaN, Infinity, -Infinity, 0, -1.5, 3]);
  it('isnan, isinf, isfinite and nanToNum', () => {
    expect(values(T.isnan(x()))).toEqual([1, 0, 0, 0, 0, 0]);
    expect(values(T.isinf(x()))).toEqual([0, 1, 1, 0, 0, 0]);
    expect(values(T.isfinite(x()))).toEqual([0, 0, 0, 1, 1, 1]);
    expect(T.isnan(x()).dtype).toBe('bool');
    expect(values(T.isfinite(T.tensor(new Int32Array([1, 2]))))).toEqual([1, 1]);
    expect(values(T.nanToNum(x()))).toEqual([0, Number.MAX_VALUE, -Number.MAX_VALUE, 0, -1.5, 3]);
    expect(values(T.nanToNum(T.tensor([NaN, Infinity, -Infinity]), { nan: 1, posinf: 2, neginf: -3 }))).toEqual([1, 2, -3]);
    expect(values(T.nanToNum(T.tensor([Infinity])))).toEqual([3.4028234663852886e38]);
    gradcheck((t) => T.nanToNum(t), [randomF64([3, 2])]);
  });
});

describe('activations', () => {
  const cases: [string, (x: Tensor) => Tensor, (v: number) => number][] = [
    ['selu', T.selu, (v) => 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * Math.expm1(v))],
    ['celu(0.5)', (x) => T.celu(x, 0.5), (v) => (v > 0 ? v : 0.5 * Math.expm1(v / 0.5))],
    ['mish', T.mish, (v) => v * Math.tanh(Math.log1p(Math.exp(v)))],
    ['hardtanh', T.hardtanh, (v) => Math.min(Math.max(v, -1), 1)],
    ['relu6', T.relu6, (v) => Math.min(Math.max(v, 0), 6)],
    ['hardsigmoid', T.hardsigmoid, (v) => Math.min(Math.max(v / 6 + 0.5, 0), 1)],
    ['hardswish', T.hardswish, (v) => v * Math.min(Math.max(v / 6 + 0.5, 0), 1)],
    ['softsign', T.softsign, (v) => v / (1 + Math.abs(v))],
    ['logsigmoid', T.logsigmoid, (v) => -Math.log1p(Math.exp(-v))],
    ['softplus beta 2', (x) => T.softplus(x, { beta: 2 }), (v) => (2 * v > 20 ? v : Math.log1p(Math.exp(2 * v)) / 2)],
    ['gelu tanh', (x) => T.gelu(x, { approximate: 'tanh' }), (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))],
  ];
  const at = [-8, -3.5, -1, -0.25, 0.1, 0.7, 2.5, 4, 7, 12];
  for (const [name, fn, ref] of cases) {
    it(name, () => {
      expectValues(values(fn(f64(at))), at.map(ref), 1e-13);
      // Kinks (hardtanh at +-1, relu6 at 0 and 6, hardsigmoid at +-3) are avoided by the range.
      for (const s of shapes) gradcheck(fn, [randomF64(s, -2.9, 2.9).detach()].map((t) => T.add(t, 0.013)));
    });
  }
  it('softplus threshold: linear above it', () => {
    expect(values(T.softplus(f64([30]), { threshold: 20 }))).toEqual([30]);
    expect(values(T.softplus(f64([3]), { beta: 1, threshold: 2 }))).toEqual([3]);
  });
  it('prelu with a shared and a per-channel slope; glu; softmin', () => {
    expect(values(T.prelu(f64([-2, 3]), f64([0.25])))).toEqual([-0.5, 3]);
    gradcheck(T.prelu, [randomF64([2, 3, 4]), randomF64([3], 0, 0.5)]);
    gradcheck(T.prelu, [randomF64([5, 1]), randomF64([1], 0, 0.5)]);
    gradcheck((x) => T.glu(x, 1), [randomF64([3, 4, 1])]);
    gradcheck((x) => T.softmin(x, 0), [randomF64([3, 2])]);
    expectValues(values(T.glu(f64([1, 2, 0, 100]))), [0.5, 2]);
  });
});

describe('typed errors name the op and the shapes', () => {
  it('rejects bad arguments before any work', () => {
    expect(() => T.prelu(T.zeros([2, 3, 4]), T.zeros([4]))).toThrow(T.ShapeError);
    expect(() => T.prelu(T.zeros([2, 3, 4]), T.zeros([4]))).toThrow(/prelu: weight must be \[1\] or \[3\].*\[2, 3, 4\]/);
    expect(() => T.glu(T.zeros([3, 5]))).toThrow(/glu: dim -1 of \[3, 5\] must have an even size/);
    expect(() => T.celu(T.zeros([2]), 0)).toThrow(T.ArgumentError);
    expect(() => T.hardtanh(T.zeros([2]), 1, -1)).toThrow(/hardtanh: minVal/);
    expect(() => T.softplus(T.zeros([2]), { beta: -1 })).toThrow(T.ArgumentError);
    expect(() => T.frac(T.tensor(new Int32Array([1])))).toThrow(T.DTypeError);
    expect(() => T.atan2(T.zeros([2, 3]), T.zeros([4]))).toThrow(/atan2.*\[2, 3\].*\[4\]/);
    expect(() => T.hypot(T.zeros([2]), T.zeros([3]))).toThrow(T.ShapeError);
  });
});
