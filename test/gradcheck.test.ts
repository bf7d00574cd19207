// Float64 central-difference gradient checks for every op with a backward rule, on the CPU
// backend, with odd sizes, size-1 dims and broadcasting.
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { gradcheck, randomF64, randomValues } from './setup/gradcheck.js';

const shapes: number[][] = [[1], [5], [3, 1], [2, 3, 4], [1, 7]];

describe('unary ops', () => {
  const unary: [string, (x: Tensor) => Tensor, [number, number]?][] = [
    ['neg', T.neg], ['abs', T.abs], ['square', T.square], ['reciprocal', T.reciprocal, [0.5, 2]],
    ['exp', T.exp], ['log', T.log, [0.2, 3]], ['log1p', T.log1p, [-0.5, 2]], ['expm1', T.expm1],
    ['sqrt', T.sqrt, [0.2, 3]], ['rsqrt', T.rsqrt, [0.2, 3]], ['sin', T.sin], ['cos', T.cos],
    ['tanh', T.tanh], ['sigmoid', T.sigmoid], ['erf', T.erf], ['relu', T.relu],
    ['leakyRelu', (x) => T.leakyRelu(x, 0.2)], ['elu', (x) => T.elu(x, 0.7)], ['gelu', T.gelu],
    ['silu', T.silu], ['softplus', T.softplus],
  ];
  for (const [name, fn, range] of unary) {
    it(name, () => {
      for (const s of shapes) gradcheck(fn, [randomF64(s, ...(range ?? [-2, 2]))]);
    });
  }
});

describe('binary ops with broadcasting', () => {
  const pairs: [number[], number[]][] = [[[3], [3]], [[2, 3], [3]], [[4, 1], [1, 5]], [[1], [2, 3, 1]], [[2, 1, 3], [2, 4, 1]]];
  const binary: [string, (a: Tensor, b: Tensor) => Tensor, [number, number]?][] = [
    ['add', T.add], ['sub', T.sub], ['mul', T.mul], ['div', T.div, [0.5, 2]], ['pow', T.pow, [0.5, 2]],
    ['maximum', T.maximum], ['minimum', T.minimum], ['mod', T.mod, [0.3, 3]],
  ];
  for (const [name, fn, range] of binary) {
    it(name, () => {
      for (const [sa, sb] of pairs) gradcheck(fn, [randomF64(sa, ...(range ?? [-2, 2])), randomF64(sb, ...(range ?? [-2, 2]))]);
    });
  }
  it('ops with JS scalars', () => {
    gradcheck((x) => T.add(T.mul(T.sub(2, x), 3), T.div(1.5, T.add(x, 4))), [randomF64([2, 3])]);
    gradcheck((x) => T.pow(x, 3), [randomF64([4], 0.5, 2)]);
    gradcheck((x) => T.pow(2, x), [randomF64([4])]);
  });
  it('where and clamp', () => {
    gradcheck((a, b) => T.where(T.gt(a, 0), a, b), [randomF64([3, 4]), randomF64([4])]);
    gradcheck((x) => T.clamp(x, -0.5, 0.5), [randomF64([2, 5])]);
    gradcheck((x) => T.clamp(x, null, 0.3), [randomF64([7])]);
  });
});

describe('reductions', () => {
  const x = () => randomF64([2, 3, 5]);
  const cases: [string, (t: Tensor) => Tensor][] = [
    ['sum all', (t) => T.sum(t)], ['sum axis', (t) => T.sum(t, 1)], ['sum axes keepdim', (t) => T.sum(t, [0, 2], true)],
    ['mean', (t) => T.mean(t, -1)], ['mean non-adjacent', (t) => T.mean(t, [0, 2])],
    ['var', (t) => T.variance(t, 2)], ['var biased keepdim', (t) => T.variance(t, [0, 1], { correction: 0, keepdim: true })],
    ['std', (t) => T.std(t, 1)], ['max', (t) => T.max(t, 2)], ['min all', (t) => T.min(t)],
    ['prod', (t) => T.prod(t, 1)], ['logsumexp', (t) => T.logsumexp(t, [1, 2])], ['logsumexp keepdim', (t) => T.logsumexp(t, 0, true)],
  ];
  for (const [name, fn] of cases) it(name, () => gradcheck(fn, [x()]));
  it('size-1 and odd shapes', () => {
    gradcheck((t) => T.sum(t, 0), [randomF64([1, 3])]);
    gradcheck((t) => T.max(t, -1, true), [randomF64([3, 1])]);
    gradcheck((t) => T.logsumexp(t, 1), [randomF64([5, 7])]);
  });
});

describe('matmul', () => {
  const cases: [number[], number[]][] = [
    [[3, 4], [4, 5]], [[4], [4, 3]], [[2, 4], [4]], [[5], [5]], [[2, 3, 4], [4, 2]],
    [[2, 1, 3, 4], [3, 4, 2]], [[1, 3], [2, 3, 1]], [[3, 1, 2], [1, 2, 5]],
  ];
  for (const [sa, sb] of cases) {
    it(`${JSON.stringify(sa)} @ ${JSON.stringify(sb)}`, () => gradcheck((a, b) => T.matmul(a, b), [randomF64(sa), randomF64(sb)]));
  }
  it('batchedMatmul with every transpose combination', () => {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        const a = randomF64(ta ? [2, 4, 3] : [2, 3, 4]);
        const b = randomF64(tb ? [1, 5, 4] : [1, 4, 5]);
        gradcheck((x, y) => T.batchedMatmul(x, y, ta, tb), [a, b]);
      }
    }
  });
});

describe('shape ops', () => {
  const cases: [string, number[], (t: Tensor) => Tensor][] = [
    ['reshape', [2, 6], (t) => T.reshape(t, [3, -1])],
    ['flatten', [2, 3, 2], (t) => T.flatten(t, 1)],
    ['squeeze/unsqueeze', [3, 1, 2], (t) => T.unsqueeze(T.squeeze(t, 1), 0)],
    ['permute', [2, 3, 4], (t) => T.permute(t, [2, 0, 1])],
    ['transpose', [3, 5], (t) => T.transpose(t, 0, 1)],
    ['expand', [3, 1], (t) => T.expand(t, [2, 3, 4])],
    ['slice with steps and negatives', [5, 7], (t) => T.slice(t, [{ start: -4, step: 2 }, { start: 1, stop: -1, step: 3 }])],
    ['slice with an index', [4, 3, 2], (t) => T.slice(t, [null, 1])],
    ['pad', [2, 3], (t) => T.pad(t, [1, 2, 0, 1], 0.5)],
    ['clone', [3], (t) => T.clone(t)],
    ['split', [7, 2], (t) => T.cat(T.split(t, 3).map((p, i) => T.mul(p, i + 1)), 0)],
    ['chunk', [2, 5], (t) => T.stack(T.chunk(t, 3, 1).map((p) => T.sum(p, 1)), 0)],
  ];
  for (const [name, shape, fn] of cases) it(name, () => gradcheck(fn, [randomF64(shape)]));
  it('cat and stack of several inputs', () => {
    gradcheck((a, b, c) => T.cat([a, b, c], 1), [randomF64([2, 1]), randomF64([2, 3]), randomF64([2, 2])]);
    gradcheck((a, b) => T.stack([a, b], -1), [randomF64([3, 2]), randomF64([3, 2])]);
  });
});

describe('second derivatives (create_graph)', () => {
  it('d/dx of the gradient of sum(tanh(x)^3)', () => {
    const inner = (x: Tensor) => T.gradients(T.sum(T.pow(T.tanh(x), 3)), [x], { createGraph: true })[0]!;
    gradcheck(inner, [randomF64([2, 3])]);
  });
  it('a gradient penalty through matmul, softplus and a reduction', () => {
    // ||d D(x) / dx||^2 with D(x) = sum(softplus(x W)): what WGAN-GP and R1 differentiate through.
    const penalty = (x: Tensor, w: Tensor) => {
      const d = T.sum(T.softplus(T.matmul(x, w)));
      const [gx] = T.gradients(d, [x], { createGraph: true });
      return T.sum(T.square(gx!));
    };
    gradcheck(penalty, [randomF64([3, 4]), randomF64([4, 2])]);
  });
  it('nested functional grad', () => {
    gradcheck((x) => T.grad((y) => T.sum(T.mul(T.sin(y), T.exp(y))))(x)[0]!, [randomF64([4])]);
  });
});

describe('prod with zeros (the gradient never divides by x)', () => {
  /** Random float64 values in [-2, -0.5] u [0.5, 2] with exact zeros at the given flat indices. */
  const withZeros = (shape: number[], zeroAt: number[], dtype: 'float32' | 'float64' = 'float64'): Tensor => {
    const v = randomValues(shape.reduce((a, b) => a * b, 1), 0.5, 2);
    const signs = randomValues(v.length);
    v.forEach((a, i) => (v[i] = signs[i]! < 0 ? -a : a));
    for (const i of zeroAt) v[i] = 0;
    return T.tensor(v, { shape, dtype });
  };
  const gradOf = (x: Tensor, f: (t: Tensor) => Tensor): number[] => {
    const leaf = x.detach().requiresGrad_(true);
    return Array.from(T.gradients(T.sum(f(leaf)), [leaf])[0]!.dataSync());
  };
  /** Reference: d/dx_i of sum(prod) = the product of the other entries of x_i's slice (by brute force). */
  const productOfOthers = (x: Tensor, axes: number[]): number[] => {
    const v = Array.from(x.dataSync());
    const shape = x.shape;
    const coords = (i: number) => shape.map((_, d) => Math.floor(i / shape.slice(d + 1).reduce((a, b) => a * b, 1)) % shape[d]!);
    const sliceKey = (i: number) => coords(i).map((c, d) => (axes.includes(d) ? '*' : c)).join();
    return v.map((_, i) => v.reduce((p, xj, j) => (j !== i && sliceKey(j) === sliceKey(i) ? p * xj : p), 1));
  };

  it('by hand: one zero gets the product of the rest, two zeros give zeros', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const f = (t: Tensor) => T.prod(t);
      expect(gradOf(T.tensor([2, 0, 3], { dtype }), f)).toEqual([0, 6, 0]);
      expect(gradOf(T.tensor([0, 0, 5], { dtype }), f)).toEqual([0, 0, 0]);
      expect(gradOf(T.tensor([2, 4, 3], { dtype }), f)).toEqual([12, 6, 8]);
      expect(gradOf(T.tensor([[2, 0, 3], [0, 0, 5], [1, 2, 3]], { dtype }), (t) => T.prod(t, 1))).toEqual([0, 6, 0, 0, 0, 0, 6, 3, 2]);
      expect(gradOf(T.tensor([[2, 0, 3], [0, 0, 5], [1, 2, 3]], { dtype }), (t) => T.prod(t, 0, true))).toEqual([0, 0, 15, 2, 0, 9, 0, 0, 15]);
      expect(gradOf(T.tensor([0, 7], { dtype }), (t) => T.prod(t, 0))).toEqual([7, 0]);
      expect(gradOf(T.tensor([0], { dtype }), (t) => T.prod(t, 0))).toEqual([1]);
    }
  });
  // Each case has one slice with no zeros, one with one zero and one with two.
  const cases: [string, number[], number[], number[], boolean][] = [
    ['[3,5] over axis 1', [3, 5], [7, 10, 14], [1], false],
    ['[3,5] over axis 1, keepdim', [3, 5], [7, 10, 14], [1], true],
    ['[2,3,4] over axes [0,2]', [2, 3, 4], [19, 8, 22], [0, 2], false],
    ['[2,3,4] over axes [0,2], keepdim', [2, 3, 4], [19, 8, 22], [0, 2], true],
    ['[2,3,4] over axis 0 (non-last)', [2, 3, 4], [5, 2, 14], [0], false],
  ];
  for (const [name, shape, zeroAt, axes, keepdim] of cases) {
    it(`${name}: gradcheck and the brute-force reference, float64 and float32`, () => {
      const f = (t: Tensor) => T.prod(t, axes, keepdim);
      gradcheck(f, [withZeros(shape, zeroAt)]);
      for (const dtype of ['float64', 'float32'] as const) {
        const x = withZeros(shape, zeroAt, dtype);
        const got = gradOf(x, f);
        const want = productOfOthers(x, axes);
        got.forEach((g, i) => expect(g, `${dtype} element ${i}`).toBeCloseTo(want[i]!, dtype === 'float64' ? 12 : 5));
      }
    });
  }
  it('full reduction with no, one and two zeros (also keepdim)', () => {
    for (const zeroAt of [[], [4], [1, 4]]) {
      gradcheck((t) => T.prod(t), [withZeros([2, 3], zeroAt)]);
      gradcheck((t) => T.prod(t, undefined, true), [withZeros([3, 1, 2], zeroAt)]);
    }
    gradcheck((t) => T.prod(t), [withZeros([13], [])]);
    gradcheck((t) => T.prod(t), [withZeros([13], [6])]);
  });
  it('second derivatives against finite differences, zeros included', () => {
    const w = randomF64([3]);
    // The gradient of prod over axis 1, weighted per row, differentiated again.
    const inner = (axes: number | number[] | undefined, keepdim = false) => (x: Tensor) => {
      const y = T.prod(x, axes, keepdim);
      const loss = y.shape.length === 1 && y.shape[0] === 3 ? T.sum(T.mul(y, w)) : T.sum(y);
      return T.gradients(loss, [x], { createGraph: true })[0]!;
    };
    gradcheck(inner(1), [withZeros([3, 5], [7, 10, 14])]);
    gradcheck(inner([0, 2], true), [withZeros([2, 3, 4], [19, 8, 22])]);
    for (const zeroAt of [[], [2], [0, 3], [0, 2, 3]]) gradcheck(inner(undefined), [withZeros([5], zeroAt)]);
    // By hand: x0 x1 x2 at [0, 0, 5] has a zero gradient but a Hessian with H01 = H10 = 5.
    const x = T.tensor([0, 0, 5], { dtype: 'float64' }).requiresGrad_(true);
    const [gx] = T.gradients(T.prod(x), [x], { createGraph: true });
    const rows = [0, 1, 2].map((i) => Array.from(T.gradients(T.slice(gx!, [i]), [x], { allowUnused: true })[0]!.dataSync()));
    expect(rows).toEqual([[0, 5, 0], [5, 0, 0], [0, 0, 0]]);
  });
});
