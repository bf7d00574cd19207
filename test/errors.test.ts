// Every typed error is provoked and its message checked: it names the op, the argument and the shapes.
import { beforeAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';

describe('typed errors (CPU)', () => {
  it('ShapeError: broadcasting, matmul, reshape, axes, slicing', () => {
    expect(() => T.add(T.zeros([2, 3]), T.zeros([4]))).toThrow(/add: shapes \[2, 3\] and \[4\] cannot be broadcast/);
    expect(() => T.matmul(T.zeros([2, 3]), T.zeros([4, 5]))).toThrow(T.ShapeError);
    expect(() => T.matmul(T.zeros([2, 3]), T.zeros([4, 5]))).toThrow(/matmul: inner dimensions differ: \[2, 3\] @ \[4, 5\] \(3 vs 4\)/);
    expect(() => T.reshape(T.zeros([2, 3]), [4, 2])).toThrow(/reshape: cannot reshape tensor of shape \[2, 3\]/);
    expect(() => T.sum(T.zeros([2, 3]), 2)).toThrow(/sum: axis 2 is out of range of a tensor with shape \[2, 3\]/);
    expect(() => T.slice(T.zeros([2, 3]), [5])).toThrow(/slice: index 5 is out of range for axis 0 of size 2/);
    expect(() => T.cat([T.zeros([2, 3]), T.zeros([3, 2])], 0)).toThrow(/cat: shapes \[2, 3\], \[3, 2\] differ outside axis 0/);
    expect(() => T.tensor([[1, 2], [3]])).toThrow(/tensor: ragged nested array/);
  });
  it('DTypeError: bool condition, float-only ops, grads on ints', () => {
    expect(() => T.where(T.zeros([2]), 1, 0)).toThrow(/where: condition must be a bool tensor, got float32 with shape \[2\]/);
    expect(() => T.mean(T.arange(4))).toThrow(T.DTypeError);
    expect(() => T.arange(3).requiresGrad_()).toThrow(/requiresGrad_: only floating-point tensors can require gradients, got int32/);
  });
  it('DisposedTensorError names the op and the tensor', () => {
    const x = T.zeros([2, 2]);
    x.dispose();
    expect(() => T.exp(x)).toThrow(T.DisposedTensorError);
    expect(() => T.exp(x)).toThrow(/exp: tensor #\d+ with shape \[2, 2\] \(float32, cpu\) was disposed/);
    expect(() => x.dataSync()).toThrow(T.DisposedTensorError);
  });
  it('ArgumentError for bad options', () => {
    expect(() => T.arange(0, 1, 0)).toThrow(T.ArgumentError);
    expect(() => T.pad(T.zeros([2]), [-1, 0])).toThrow(/pad: pads must be non-negative integers/);
  });
});

describe('typed errors (WebGPU)', () => {
  beforeAll(async () => {
    await T.initWebGPU();
  });
  it('mixing devices is a DeviceError naming both', async () => {
    const g = await T.zeros([2]).to('webgpu');
    expect(() => T.add(T.zeros([2]), g)).toThrow(T.DeviceError);
    expect(() => T.add(T.zeros([2]), g)).toThrow(/add: tensors are on different devices \(\[2\] on cpu, \[2\] on webgpu\)/);
  });
  it('float64 on WebGPU is a DTypeError', () => {
    expect(() => T.zeros([2], { device: 'webgpu', dtype: 'float64' })).toThrow(/zeros|full: float64 is not supported on webgpu/);
  });
  it('a shape over the device binding limit fails before any work', () => {
    expect(() => T.zeros([1 << 16, 1 << 16], { device: 'webgpu' })).toThrow(T.DeviceError);
    expect(() => T.zeros([1 << 16, 1 << 16], { device: 'webgpu' })).toThrow(/zeros: the result of shape \[65536, 65536\].*exceeds the webgpu device's largest buffer/);
  });
  it('sync reads are refused on WebGPU with a hint', async () => {
    const g = await T.ones([2]).to('webgpu');
    expect(() => g.dataSync()).toThrow(/dataSync: synchronous reads are not possible on webgpu; use `await t.data\(\)`/);
  });
});
