// Bad calls, as a hostile user makes them: every exported function is given non-tensor values
// (null, undefined, a JS array, a string, an object, NaN) in its first two arguments, and a list
// of bad arguments per op family follows. Each must be a typed error (GenlabError) whose message
// starts with the name of the op the user called, thrown before any device work, leaving no
// tensor behind. The list of functions is read from the package, so a new op is covered on arrival.
import { beforeAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { TENSOR_BRAND } from '../src/tensor.js';
import { heldTensors } from './setup/memory.js';

/** Exports that are not ops on tensors (setup, scopes, devices, error helpers). */
const NOT_OPS = new Set(['tidy', 'scope', 'keep', 'memory', 'noGrad', 'enableGrad', 'isGradEnabled', 'grad', 'valueAndGrad',
  'getDefaultDevice', 'setDefaultDevice', 'getBackend', 'initWebGPU', 'initWasm', 'sync', 'flush', 'deviceInfo', 'manualSeed', 'fmtShape', 'setMemoryBudget',
  // Internal primitives (op name, tensor, window) that the shape-op module exports.
  'gatherWindow', 'scatterWindow']);

/** Calls that are valid on purpose: null or undefined axes mean every axis, a missing bound no bound, and `tensor` takes arrays and numbers. */
const VALID = new Set([
  ...['sum', 'mean', 'max', 'min', 'prod', 'logsumexp', 'moments', 'std', 'variance', 'clamp', 'countNonzero', 'stdMean', 'varMean', 'all', 'any'].flatMap((op) => [`${op}(1:null)`, `${op}(1:undefined)`]),
  'squeeze(1:undefined)', 'argmax(1:undefined)', 'argmin(1:undefined)', 'median(1:undefined)', 'tensor(0:array)', 'tensor(0:NaN)',
]);

const BAD: [string, unknown][] = [['null', null], ['undefined', undefined], ['array', [[1, 2, 3], [4, 5, 6]]], ['string', 'x'], ['object', {}], ['NaN', NaN]];

function ops(): [string, (...args: unknown[]) => unknown][] {
  return Object.entries(T).filter((e): e is [string, (...args: unknown[]) => unknown] => typeof e[1] === 'function' && !NOT_OPS.has(e[0]) && !/^[A-Z]/.test(e[0]));
}

/** Inputs the cases make inside their calls: not counted as leaks, disposed after each case. */
const made: T.Tensor[] = [];
function input<X extends T.Tensor>(t: X): X {
  made.push(t);
  return t;
}

/** Run `call`; return what went wrong, or null when it threw a typed error naming `op` and leaked nothing. */
function problem(op: string, call: () => unknown): string | null {
  made.length = 0;
  const before = heldTensors();
  let error: unknown = null;
  try {
    const r = call();
    if (r instanceof Promise) r.catch(() => {});
    T.tidy(() => r as T.Tensor);
  } catch (e) {
    error = e;
  }
  const leaked = heldTensors() - before - made.filter((t) => !t.isDisposed).length;
  for (const t of made) t.dispose();
  if (error === null) return 'accepted';
  if (!(error instanceof T.GenlabError)) return `untyped ${(error as Error).name}: ${(error as Error).message}`;
  if (!error.message.startsWith(`${op}:`)) return `names another op: ${error.message}`;
  if (leaked > 0) return `leaked ${leaked} tensors`;
  return null;
}

function nonTensorAudit(device: T.DeviceName): string[] {
  const found: string[] = [];
  for (const [name, f] of ops()) {
    for (const pos of [0, 1]) {
      if (pos >= Math.max(f.length, 1)) continue;
      for (const [label, bad] of BAD) {
        const key = `${name}(${pos}:${label})`;
        if (VALID.has(key) || (pos === 1 && label === 'NaN')) continue;
        const x = T.ones([2, 3], { device });
        const p = problem(name, () => (pos === 0 ? f(bad) : f(x, bad)));
        x.dispose();
        if (p) found.push(`${key}: ${p}`);
      }
    }
  }
  return found;
}

/** Sizes past the device's limit: WebGPU's largest buffer; on the CPU the int32 index range (2^31 - 1 elements). */
const HUGE = { webgpu: { arange: 3e8, classes: 1e9 }, cpu: { arange: 3e9, classes: 2e9 } } as const;

function familyCases(device: 'cpu' | 'webgpu'): [string, () => unknown][] {
  const x = () => input(T.ones([2, 3], { device }));
  const img = () => input(T.ones([1, 2, 4, 4], { device }));
  const ints = (shape: number[]) => input(T.zeros(shape, { device, dtype: 'int32' }));
  return [
    ['zeros', () => T.zeros([2, NaN], { device })],
    ['ones', () => T.ones([2, 1.5], { device })],
    ['full', () => T.full([2], 'x' as never, { device })],
    ['randn', () => T.randn([-1], { device })],
    ['zeros', () => T.zeros([2], { device, dtype: 'float16' as never })],
    ['arange', () => T.arange(HUGE[device].arange, undefined, 1, { device })],
    ['arange', () => T.arange(NaN)],
    ['oneHot', () => T.oneHot(ints([2]), HUGE[device].classes)],
    ['reshape', () => T.reshape(x(), [NaN, 6])],
    ['reshape', () => T.reshape(x(), [2.5, 2])],
    ['expand', () => T.expand(x(), [4, NaN])],
    ['slice', () => T.slice(x(), [{ start: 0.5 }])],
    ['slice', () => T.slice(x(), [NaN])],
    ['slice', () => T.slice(x(), [{ step: 0 }])],
    ['sum', () => T.sum(x(), 1.5)],
    ['permute', () => T.permute(x(), [0, 0])],
    ['cat', () => T.cat([x(), input(T.ones([3, 2], { device }))])],
    ['add', () => T.add(x(), [[1, 2, 3], [4, 5, 6]] as never)],
    ['cast', () => T.cast(x(), 'float16' as never)],
    ['clamp', () => T.clamp(x(), 'a' as never)],
    ['conv2d', () => T.conv2d(img(), input(T.ones([3, 2, 3, 3], { device })), null, { activation: 'swish' as never })],
    ['conv2d', () => T.conv2d(img(), input(T.ones([3, 5, 3, 3], { device })))],
    ['interpolate', () => T.interpolate(img(), { scaleFactor: 2, mode: 'lanczos' as never })],
    ['batchNorm', () => T.batchNorm(img(), null, null, { training: true, eps: -1 } as never)],
    ['crossEntropy', () => T.crossEntropy(x(), ints([3]))],
    ['matmul', () => T.matmul(x(), x())],
    ['exp', () => {
      const t = x();
      t.dispose();
      return T.exp(t);
    }],
  ];
}

describe('bad calls (CPU)', () => {
  it('every exported op given a non-tensor value: a typed error naming the op, nothing leaked', () => {
    expect(nonTensorAudit('cpu')).toEqual([]);
  });

  it('per op family: NaN, negative, non-integer, unsupported and over-limit arguments', () => {
    const found = familyCases('cpu').map(([op, call]) => [op, problem(op, call)]).filter(([, p]) => p !== null);
    expect(found).toEqual([]);
  });

  it('multinomial refuses NaN, negative, infinite and all-zero rows', () => {
    for (const row of [[0.5, NaN], [0.5, -0.1], [Infinity, 1], [0, 0]]) {
      const probs = T.tensor([[0.2, 0.8], row]);
      expect(problem('multinomial', () => T.multinomial(probs, 1))).toBe(null);
      probs.dispose();
    }
  });

  it('backward twice without retainGraph is an error; with it the gradients add up', async () => {
    const w = T.tensor([1, 2, 3]).requiresGrad_();
    const y = T.sum(T.mul(w, w));
    y.backward();
    expect(() => y.backward()).toThrow(/backward: the graph through '(mul|sum)' .* was already used by a backward pass/);
    const z = T.sum(T.mul(w, 2));
    z.backward(undefined, { retainGraph: true });
    z.backward();
    expect(Array.from(w.grad!.dataSync())).toEqual([2 + 4, 4 + 4, 6 + 4]);
  });

  it('a tensor of another copy of the package is refused with a clear error, not computed as NaN', () => {
    const x = T.ones([2]);
    const foreign = Object.create({ [TENSOR_BRAND]: { copy: 'other' } }) as T.Tensor;
    Object.assign(foreign, { shape: [2], dtype: 'float32', device: 'cpu' });
    expect(() => T.add(x, foreign)).toThrow(/add: the second operand is a Tensor of another copy of @genlab\/tensor/);
    expect(() => T.exp(foreign)).toThrow(T.ArgumentError);
    x.dispose();
  });
});

describe('bad calls (WebGPU)', () => {
  beforeAll(async () => {
    await T.initWebGPU();
  });

  it('every exported op given a non-tensor value: a typed error naming the op, nothing leaked', () => {
    expect(nonTensorAudit('webgpu')).toEqual([]);
  });

  it('per op family, including sizes over the limit before any host allocation', () => {
    const found = familyCases('webgpu').map(([op, call]) => [op, problem(op, call)]).filter(([, p]) => p !== null);
    expect(found).toEqual([]);
  });
});
