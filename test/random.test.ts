import { beforeAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { philox4x32 } from '../src/random.js';

describe('Philox4x32-10', () => {
  it('matches the Random123 known-answer vectors', () => {
    const out = new Uint32Array(4);
    const hex = () => [...out].map((v) => v.toString(16).padStart(8, '0'));
    philox4x32(0, 0, 0, 0, 0, 0, out);
    expect(hex()).toEqual(['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']);
    philox4x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, out);
    expect(hex()).toEqual(['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd']);
    philox4x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, out);
    expect(hex()).toEqual(['d16cfe09', '94fdcceb', '5001e420', '24126ea1']);
  });
  it('same seed, same stream; a new call is a new stream', async () => {
    T.manualSeed(42);
    const a = await T.rand([5]).toArray();
    const b = await T.rand([5]).toArray();
    T.manualSeed(42);
    expect(await T.rand([5]).toArray()).toEqual(a);
    expect(b).not.toEqual(a);
  });
  it('randn has mean 0 and variance 1', async () => {
    T.manualSeed(1);
    const x = T.randn([200_000], { dtype: 'float64' });
    expect(Math.abs(await T.mean(x).item())).toBeLessThan(0.01);
    expect(Math.abs((await T.variance(x).item()) - 1)).toBeLessThan(0.01);
  });
});

describe('identical random streams on CPU and WebGPU', () => {
  beforeAll(async () => {
    await T.initWebGPU();
  });
  it('rand is bit-identical, randn equal within WGSL log/cos accuracy, randint identical', async () => {
    for (const seed of [0, 7, 2 ** 40 + 3]) {
      T.manualSeed(seed);
      const cpu = [T.rand([1000]), T.randn([257]), T.randint(0, 10, [300])];
      T.manualSeed(seed);
      const gpu = [T.rand([1000], { device: 'webgpu' }), T.randn([257], { device: 'webgpu' }), T.randint(0, 10, [300], { device: 'webgpu' })];
      expect(await gpu[0]!.toArray()).toEqual(await cpu[0]!.toArray());
      const gn = await gpu[1]!.toArray();
      const cn = await cpu[1]!.toArray();
      gn.forEach((v, i) => expect(Math.abs(v - cn[i]!)).toBeLessThan(2e-4 * Math.max(1, Math.abs(cn[i]!))));
      expect(await gpu[2]!.toArray()).toEqual(await cpu[2]!.toArray());
    }
  });
});
