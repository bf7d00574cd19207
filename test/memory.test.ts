// Live bytes stay flat over a long training loop, with tidy, with `using`, and on both devices.
import { beforeAll, describe, expect, it } from 'vitest';
import { heldBytes, heldTensors } from './setup/memory.js';
import * as T from '../src/index.js';
import type { DeviceName } from '../src/index.js';

function trainingLoop(device: DeviceName, steps: number, onStep: (step: number) => void) {
  T.manualSeed(0);
  const w = T.mul(T.randn([8, 4], { device }), 0.1).requiresGrad_();
  const x = T.randn([16, 8], { device });
  const y = T.randn([16, 4], { device });
  for (let step = 0; step < steps; step++) {
    T.tidy(() => {
      const loss = T.mean(T.square(T.sub(T.tanh(T.matmul(x, w)), y)));
      w.grad = null;
      loss.backward();
      const grad = w.grad as T.Tensor | null;
      T.noGrad(() => w.assign_(T.sub(w, T.mul(grad!, 0.1))));
      grad!.dispose();
      w.grad = null;
    });
    onStep(step);
  }
}

describe('memory', () => {
  beforeAll(async () => {
    await T.initWebGPU();
  });
  for (const device of ['cpu', 'webgpu'] as const) {
    it(`200 forward+backward steps leave live bytes flat on ${device}`, async () => {
      const live: number[] = [];
      trainingLoop(device, 200, () => live.push(heldBytes()));
      await T.sync();
      expect(live[199]).toBe(live[0]);
    });
  }
  it('tidy keeps what it returns and disposes the rest; keep() escapes', () => {
    const before = heldTensors();
    let kept!: T.Tensor;
    const out = T.tidy(() => {
      kept = T.keep(T.ones([3]));
      T.zeros([100]);
      return T.mul(T.ones([3]), 2);
    });
    expect(out.isDisposed).toBe(false);
    expect(kept.isDisposed).toBe(false);
    expect(heldTensors()).toBe(before + 2);
  });
  it('`using` disposes at the end of the block, also across await', async () => {
    let inner!: T.Tensor;
    {
      using s = T.scope();
      inner = T.ones([4], { device: 'webgpu' });
      await T.sync();
      const survivor = s.keep(T.zeros([2], { device: 'webgpu' }));
      expect(survivor.isDisposed).toBe(false);
    }
    expect(inner.isDisposed).toBe(true);
    {
      using t = T.ones([2]);
      expect(t.isDisposed).toBe(false);
    }
  });
  it('reshape shares storage: disposing one view keeps the other valid', async () => {
    const a = T.arange(6, undefined, 1, { dtype: 'float32' });
    const b = T.reshape(a, [2, 3]);
    const live = heldBytes();
    a.dispose();
    expect(heldBytes()).toBe(live);
    expect(await b.toArray()).toEqual([0, 1, 2, 3, 4, 5]);
    b.dispose();
    expect(heldBytes()).toBe(live - 24);
  });
  it('memory() reports pooled bytes from the WebGPU pool', async () => {
    const t = T.zeros([1024], { device: 'webgpu' });
    await T.sync();
    t.dispose();
    expect(T.memory().pooledBytes).toBeGreaterThan(0);
  });
});

describe('no hidden references', () => {
  it('composite ops and scalar operands free their intermediates at once when no gradient is recorded', () => {
    const a = T.randn([3, 4, 5]);
    const b = T.randn([5, 2]);
    const ints = T.arange(3);
    const makers = [() => T.matmul(a, b), () => T.mul(a, 2), () => T.mean(a, 1), () => T.variance(a), () => T.logsumexp(a, -1), () => T.exp(ints)];
    // The first call may create shared literal constants (2, 1/n, ...), which live on by design.
    for (const make of makers) make().dispose();
    const before = { ...T.memory(), heldBytes: heldBytes(), heldTensors: heldTensors() };
    for (const make of makers) {
      make().dispose();
      expect(heldTensors()).toBe(before.heldTensors);
      expect(heldBytes()).toBe(before.heldBytes);
    }
  });
});
