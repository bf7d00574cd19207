// initWebGPU under concurrency and after device loss: concurrent first calls share one device
// request (two at once used to abort the process in Dawn), and after a loss a call makes a fresh
// device while tensors of the lost one raise a DeviceError.
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import type { WebGPUBackend } from '../src/backend/webgpu/index.js';

describe('initWebGPU', () => {
  it('concurrent first calls share one device request', async () => {
    // A GPU that counts adapter requests: three concurrent first calls must make one.
    const { create } = await import('webgpu');
    const gpu = create([]);
    let requests = 0;
    const counting = { requestAdapter: (o?: GPURequestAdapterOptions) => (requests++, gpu.requestAdapter(o)) };
    const seen = await Promise.all([0, 1, 2].map(async () => {
      await T.initWebGPU({ gpu: counting });
      return T.getBackend('webgpu');
    }));
    expect(requests).toBe(1);
    expect(new Set(seen).size).toBe(1);
    await Promise.all([T.initWebGPU({ gpu: counting }), T.initWebGPU({ gpu: counting })]);
    expect(requests).toBe(1);
    expect(T.getBackend('webgpu')).toBe(seen[0]);
  });

  it('after the device is lost, a call makes a fresh device; tensors of the lost one raise a DeviceError', async () => {
    await T.initWebGPU();
    const old = T.getBackend('webgpu') as WebGPUBackend;
    const stale = T.ones([3], { device: 'webgpu' });
    old.destroy();
    // The loss is reported asynchronously.
    for (let i = 0; i < 100 && !old.lost; i++) await new Promise((r) => setTimeout(r, 10));
    expect(old.lost).toBe(true);
    await Promise.all([T.initWebGPU(), T.initWebGPU()]);
    const fresh = T.getBackend('webgpu');
    expect(fresh).not.toBe(old);
    expect(Array.from(await T.add(T.ones([3], { device: 'webgpu' }), 1).data())).toEqual([2, 2, 2]);
    expect(() => T.exp(stale)).toThrow(T.DeviceError);
    expect(() => T.exp(stale)).toThrow(/exp: tensor #\d+ with shape \[3\] lives on a webgpu device that was lost/);
  });
});
