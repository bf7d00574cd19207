import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';

describe('backward', () => {
  it('accumulates into .grad across calls and follows a diamond graph', async () => {
    const x = T.tensor([1, 2, 3], { requiresGrad: true });
    const y = T.mul(x, x); // used twice below: gradients from both paths must add up
    T.sum(T.add(y, T.mul(y, 2))).backward();
    expect(await x.grad!.toArray()).toEqual([6, 12, 18]);
    T.sum(x).backward();
    expect(await x.grad!.toArray()).toEqual([7, 13, 19]);
  });
  it('retainGrad keeps non-leaf gradients; leaves of no interest get none', async () => {
    const x = T.tensor([1, 2], { requiresGrad: true });
    const c = T.tensor([5, 5]);
    const h = T.mul(x, 3).retainGrad();
    T.sum(T.square(h)).backward();
    expect(await h.grad!.toArray()).toEqual([6, 12]);
    expect(c.grad).toBeNull();
  });
  it('detach and noGrad cut the graph', () => {
    const x = T.tensor([1, 2], { requiresGrad: true });
    expect(T.mul(x.detach(), 2).requiresGrad).toBe(false);
    expect(T.noGrad(() => T.mul(x, 2)).requiresGrad).toBe(false);
    expect(T.mul(x, 2).requiresGrad).toBe(true);
  });
  it('a non-scalar output needs an explicit gradient', async () => {
    const x = T.tensor([1, 2], { requiresGrad: true });
    expect(() => T.mul(x, 2).backward()).toThrow(T.ShapeError);
    T.mul(x, 2).backward(T.tensor([1, 10]));
    expect(await x.grad!.toArray()).toEqual([2, 20]);
  });
  it('grad and valueAndGrad (functional)', async () => {
    const f = (x: T.Tensor, y: T.Tensor) => T.sum(T.mul(T.square(x), y));
    const [gx, gy] = T.grad(f)(T.tensor([1, 2]), T.tensor([3, 4]));
    expect(await gx!.toArray()).toEqual([6, 16]);
    expect(await gy!.toArray()).toEqual([1, 4]);
    const [v, [g]] = T.valueAndGrad((x: T.Tensor) => T.sum(T.exp(x)), { argnums: [0] })(T.tensor([0, 0], { dtype: 'float64' }));
    expect(await v.item()).toBe(2);
    expect(await g!.toArray()).toEqual([1, 1]);
  });
  it('second derivative: d2/dx2 x^3 = 6x, and grad of grad', async () => {
    const x = T.tensor([1, 2, -1], { requiresGrad: true });
    const [g] = T.gradients(T.sum(T.pow(x, 3)), [x], { createGraph: true });
    expect(await g!.toArray()).toEqual([3, 12, 3]);
    T.sum(g!).backward();
    expect(await x.grad!.toArray()).toEqual([6, 12, -6]);
    const d2 = T.grad((y: T.Tensor) => T.sum(T.grad((z: T.Tensor) => T.sum(T.sin(z)))(y)[0]!));
    const [h] = d2(T.tensor([0.5], { dtype: 'float64' }));
    expect(await h!.item()).toBeCloseTo(-Math.sin(0.5), 12);
  });
});

describe('gradient ownership', () => {
  it('leaves that receive the same gradient tensor own separate copies (accumulation across backward calls)', async () => {
    const a = T.tensor([1, 2], { requiresGrad: true });
    const b = T.tensor([3, 4], { requiresGrad: true });
    T.sum(T.add(a, b)).backward();
    expect(a.grad).not.toBe(b.grad);
    T.sum(T.add(a, b)).backward();
    expect(await a.grad!.toArray()).toEqual([2, 2]);
    expect(await b.grad!.toArray()).toEqual([2, 2]);
    a.grad!.dispose();
    expect(await b.grad!.toArray()).toEqual([2, 2]);
  });
});
