// Primitive-level parity: every WebGPU kernel (and every matmul variant, forced) against the CPU
// reference backend on fresh random inputs with odd, tile-unaligned shapes. Runs on SwiftShader
// when there is no GPU, so shapes stay small. Without an adapter the suite fails with a message
// saying how to get one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpuBackend } from '../src/backend/cpu/index.js';
import type { BinaryOp, DType, HostArray, MatmulArgs, MatmulVariant, Storage, TensorRef, UnaryOp } from '../src/backend/backend.js';
import { hostArrayFor } from '../src/backend/backend.js';
import { createWebGPUBackend } from '../src/backend/webgpu/index.js';
import { binaryMode, broadcastStrides, contiguousStrides, mergeDims, packDims } from '../src/backend/webgpu/layout.js';
import type { WebGPUBackend, WebGPUStorage } from '../src/backend/webgpu/index.js';
import { DeviceError } from '../src/errors.js';
import { TOL, firstMismatch } from './setup/tolerance.js';
import type { Tolerance } from './setup/tolerance.js';
import { webgpuBackend } from './setup/webgpu.js';

let gpu: WebGPUBackend;

beforeAll(async () => {
  gpu = await webgpuBackend();
});

// Fresh inputs every run; the seed is part of every failure message so a failure can be replayed.
const SEED = Number(process.env.GENLAB_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));
let state = SEED;
function random(): number {
  state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
  return (state >>> 8) / 16777216;
}

function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function values(dtype: DType, n: number, lo = -3, hi = 3): HostArray {
  const out = hostArrayFor(dtype, n);
  for (let i = 0; i < n; i++) {
    const v = lo + random() * (hi - lo);
    out[i] = dtype === 'bool' ? Number(v > (lo + hi) / 2) : dtype === 'int32' ? Math.round(v) : v;
  }
  return out;
}

interface Pair {
  gpu: TensorRef;
  cpu: TensorRef;
}

function pair(data: HostArray, shape: readonly number[], dtype: DType): Pair {
  return {
    gpu: { storage: gpu.upload(data, dtype), shape, dtype },
    cpu: { storage: cpuBackend.upload(data, dtype), shape, dtype },
  };
}

function randomPair(shape: readonly number[], dtype: DType = 'float32', lo = -3, hi = 3): Pair {
  return pair(values(dtype, numel(shape), lo, hi), shape, dtype);
}

async function expectParity(what: string, g: Storage, c: Storage, shape: readonly number[], dtype: DType, tol: Tolerance): Promise<void> {
  const actual = await gpu.read({ storage: g, shape, dtype });
  const expected = cpuBackend.readSync({ storage: c, shape, dtype });
  expect(actual.constructor, what).toBe(expected.constructor);
  const i = firstMismatch(actual, expected, tol);
  if (i >= 0) {
    expect.fail(`${what} (seed ${SEED}): element ${i} of ${expected.length}: webgpu ${actual[i]} vs cpu ${expected[i]} (rtol ${tol.rtol}, atol ${tol.atol})`);
  }
  gpu.release(g);
}

describe('webgpu backend: elementwise', () => {
  const exactUnary: UnaryOp[] = ['neg', 'abs', 'sign', 'square', 'relu', 'floor', 'ceil', 'round'];
  // leakyRelu: the CPU multiplies by the float64 slope, the GPU by its float32 rounding.
  const roundedUnary: UnaryOp[] = ['reciprocal', 'sqrt', 'rsqrt', 'leakyRelu'];
  const transcendental: UnaryOp[] = [
    'exp', 'log', 'log1p', 'expm1', 'sin', 'cos', 'tanh', 'sigmoid', 'erf', 'elu', 'gelu', 'silu', 'softplus',
  ];
  const positiveDomain = new Set<UnaryOp>(['log', 'sqrt', 'rsqrt']);

  it('float32 unary ops match the CPU reference', async () => {
    for (const op of [...exactUnary, ...roundedUnary, ...transcendental]) {
      const shape = [3, 37];
      const x = positiveDomain.has(op) ? randomPair(shape, 'float32', 0.01, 9) : randomPair(shape, 'float32', -4, 4);
      const tol = exactUnary.includes(op) ? TOL.exact : roundedUnary.includes(op) ? TOL.f32Elementwise : TOL.f32Transcendental;
      await expectParity(`unary ${op}`, gpu.unary(op, x.gpu, 0.2), cpuBackend.unary(op, x.cpu, 0.2), shape, 'float32', tol);
    }
  });

  it('unary ops stay accurate at extreme and special inputs', async () => {
    const special = Float32Array.from([
      -100, -30, -12, -5, -1e-3, -1e-7, 0, 1e-7, 1e-4, 0.3, 0.49, 0.51, 2, 5, 12, 30, 88, 100,
    ]);
    const x = pair(special, [special.length], 'float32');
    for (const op of ['erf', 'gelu', 'tanh', 'sigmoid', 'softplus', 'silu', 'expm1', 'log1p', 'elu'] as UnaryOp[]) {
      const input = op === 'log1p' ? pair(special.map((v) => Math.abs(v)), [special.length], 'float32') : x;
      await expectParity(`unary ${op} (special values)`, gpu.unary(op, input.gpu), cpuBackend.unary(op, input.cpu), [special.length], 'float32', TOL.f32Transcendental);
    }
    const halves = Float32Array.from([-3.5, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 4.5]);
    const h = pair(halves, [halves.length], 'float32');
    await expectParity('round half to even', gpu.unary('round', h.gpu), cpuBackend.unary('round', h.cpu), [halves.length], 'float32', TOL.exact);
  });

  it('int32 and bool unary ops', async () => {
    const shape = [41];
    const x = randomPair(shape, 'int32', -50, 50);
    for (const op of ['neg', 'abs', 'sign', 'square', 'relu', 'floor', 'ceil', 'round'] as UnaryOp[]) {
      await expectParity(`int32 ${op}`, gpu.unary(op, x.gpu), cpuBackend.unary(op, x.cpu), shape, 'int32', TOL.exact);
    }
    for (const dtype of ['float32', 'int32', 'bool'] as DType[]) {
      const v = randomPair(shape, dtype, -2, 2);
      await expectParity(`logicalNot ${dtype}`, gpu.unary('logicalNot', v.gpu), cpuBackend.unary('logicalNot', v.cpu), shape, 'bool', TOL.exact);
    }
  });

  const broadcastCases: [number[], number[], number[]][] = [
    [[3, 37], [3, 37], [3, 37]],
    [[3, 1, 5], [4, 1], [3, 4, 5]],
    [[], [2, 7], [2, 7]],
    [[2, 1, 3, 1, 5], [1, 4, 1, 6, 1], [2, 4, 3, 6, 5]],
  ];

  it('float32 binary ops with broadcasting', async () => {
    const ops: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'mod', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr'];
    for (const [sa, sb, so] of broadcastCases) {
      for (const op of ops) {
        const a = op === 'pow' ? randomPair(sa, 'float32', 0.1, 3) : randomPair(sa);
        const b = randomPair(sb);
        const outDtype = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr'].includes(op) ? 'bool' : 'float32';
        const tol = op === 'pow' ? TOL.f32Transcendental : op === 'mod' ? TOL.f32Elementwise : TOL.exact;
        await expectParity(`binary ${op} ${JSON.stringify([sa, sb])}`, gpu.binary(op, a.gpu, b.gpu, so), cpuBackend.binary(op, a.cpu, b.cpu, so), so, outDtype, op === 'div' ? TOL.f32Elementwise : tol);
      }
    }
  });

  it('pow follows C rules for negative bases and zeros', async () => {
    const base = Float32Array.from([-2, -2, -2, 0, 0, 0, -0, 1, -1, 3]);
    const exponent = Float32Array.from([3, 2, 0.5, -1, 0, 2, -3, NaN, Infinity, -2]);
    const a = pair(base, [10], 'float32');
    const b = pair(exponent, [10], 'float32');
    await expectParity('pow specials', gpu.binary('pow', a.gpu, b.gpu, [10]), cpuBackend.binary('pow', a.cpu, b.cpu, [10]), [10], 'float32', TOL.f32Transcendental);
  });

  it('int32 binary ops wrap, truncate and follow the divisor sign', async () => {
    const a = pair(Int32Array.from([7, -7, 7, -7, 5, 0, 2147483647, -2147483648, 3, -3, 9, 2]), [12], 'int32');
    const b = pair(Int32Array.from([2, 2, -2, -2, 0, 0, 1, -1, 0, 5, -4, 31]), [12], 'int32');
    for (const op of ['add', 'sub', 'mul', 'div', 'mod', 'pow', 'maximum', 'minimum', 'eq', 'lt', 'ge', 'logicalAnd', 'logicalOr'] as BinaryOp[]) {
      const dtype = ['eq', 'lt', 'ge', 'logicalAnd', 'logicalOr'].includes(op) ? 'bool' : 'int32';
      await expectParity(`int32 ${op}`, gpu.binary(op, a.gpu, b.gpu, [12]), cpuBackend.binary(op, a.cpu, b.cpu, [12]), [12], dtype, TOL.exact);
    }
    for (const [sa, sb, so] of broadcastCases) {
      const x = randomPair(sa, 'int32', -20, 20);
      const y = randomPair(sb, 'int32', -20, 20);
      await expectParity(`int32 mul ${JSON.stringify([sa, sb])}`, gpu.binary('mul', x.gpu, y.gpu, so), cpuBackend.binary('mul', x.cpu, y.cpu, so), so, 'int32', TOL.exact);
    }
  });

  it('bool binary ops stay bool', async () => {
    const a = randomPair([4, 9], 'bool');
    const b = randomPair([9], 'bool');
    for (const op of ['logicalAnd', 'logicalOr', 'eq', 'ne', 'add', 'mul', 'maximum'] as BinaryOp[]) {
      await expectParity(`bool ${op}`, gpu.binary(op, a.gpu, b.gpu, [4, 9]), cpuBackend.binary(op, a.cpu, b.cpu, [4, 9]), [4, 9], 'bool', TOL.exact);
    }
  });

  it('where broadcasts its three operands', async () => {
    for (const dtype of ['float32', 'int32', 'bool'] as DType[]) {
      const cond = randomPair([3, 1, 5], 'bool');
      const a = randomPair([4, 1], dtype);
      const b = randomPair([], dtype);
      await expectParity(`where ${dtype}`, gpu.where(cond.gpu, a.gpu, b.gpu, [3, 4, 5]), cpuBackend.where(cond.cpu, a.cpu, b.cpu, [3, 4, 5]), [3, 4, 5], dtype, TOL.exact);
    }
  });

  it('cast between every dtype pair', async () => {
    const dtypes: DType[] = ['float32', 'int32', 'bool'];
    for (const from of dtypes) {
      const x = from === 'float32'
        ? pair(Float32Array.from([1.7, -1.7, 0, -0, 2.5, -2.5, 1e-3, 123456.7, NaN]), [9], 'float32')
        : randomPair([9], from, -5, 5);
      for (const to of dtypes) {
        await expectParity(`cast ${from}->${to}`, gpu.cast(x.gpu, to), cpuBackend.cast(x.cpu, to), [9], to, TOL.exact);
      }
    }
  });

  it('fill writes every element', async () => {
    for (const [dtype, value] of [['float32', -2.75], ['int32', -7], ['bool', 1], ['bool', 0]] as [DType, number][]) {
      await expectParity(`fill ${dtype}`, gpu.fill(1031, dtype, value), cpuBackend.fill(1031, dtype, value), [1031], dtype, TOL.exact);
    }
  });

  it('folds grids beyond 65535 workgroups into 2D', async () => {
    const n = 65535 * 256 + 777;
    const ones = gpu.fill(n, 'float32', 1);
    const doubled = gpu.binary('add', { storage: ones, shape: [n], dtype: 'float32' }, { storage: ones, shape: [n], dtype: 'float32' }, [n]);
    const data = await gpu.read({ storage: doubled, shape: [n], dtype: 'float32' });
    expect(data[0]).toBe(2);
    expect(data[n - 1]).toBe(2);
    expect(data.every((v) => v === 2)).toBe(true);
    gpu.release(ones);
    gpu.release(doubled);
  });
});

describe('webgpu backend: reductions', () => {
  const shape = [5, 37, 3];
  const axesCases = [[0], [1], [2], [0, 2], [1, 2], [0, 1, 2]];
  // Sums draw positive terms: with cancellation a float32 sum's error is relative to sum |x|, not
  // to the result, and a relative tolerance would test luck rather than the kernel.

  it('sum / prod / max / min over any axis set', async () => {
    for (const axes of axesCases) {
      const out = shape.map((s, d) => (axes.includes(d) ? 1 : s));
      for (const op of ['sum', 'max', 'min'] as const) {
        const x = op === 'sum' ? randomPair(shape, 'float32', 0.5, 1.5) : randomPair(shape);
        await expectParity(`reduce ${op} ${axes}`, gpu.reduce(op, x.gpu, axes), cpuBackend.reduce(op, x.cpu, axes), out, 'float32', op === 'sum' ? TOL.f32Reduce : TOL.exact);
      }
      // Factors near 1 keep products of up to 555 terms finite.
      const x = randomPair(shape, 'float32', 0.99, 1.01);
      await expectParity(`reduce prod ${axes}`, gpu.reduce('prod', x.gpu, axes), cpuBackend.reduce('prod', x.cpu, axes), out, 'float32', TOL.f32Reduce);
    }
  });

  it('long rows use the workgroup tree reduction', async () => {
    for (const [s, axes, out] of [[[3, 1000], [1], [3, 1]], [[700, 4], [0], [1, 4]], [[2, 300, 3], [0, 2], [1, 300, 1]], [[4099], [0], [1]]] as [number[], number[], number[]][]) {
      for (const op of ['sum', 'max', 'min'] as const) {
        const x = op === 'sum' ? randomPair(s, 'float32', 0.5, 1.5) : randomPair(s);
        await expectParity(`reduce ${op} ${JSON.stringify(s)} ${axes}`, gpu.reduce(op, x.gpu, axes), cpuBackend.reduce(op, x.cpu, axes), out, 'float32', op === 'sum' ? TOL.f32Reduce : TOL.exact);
      }
    }
  });

  it('max and min propagate NaN, short rows and long', async () => {
    for (const n of [5, 3000]) {
      const data = new Float32Array(2 * n).map((_, i) => i % 7);
      data[n - 2] = NaN; // row 0 only
      const x = pair(data, [2, n], 'float32');
      for (const op of ['max', 'min'] as const) {
        const out = await gpu.read({ storage: gpu.reduce(op, x.gpu, [1]), shape: [2, 1], dtype: 'float32' });
        expect(Number.isNaN(out[0]), `${op} n=${n}`).toBe(true);
        expect(out[1], `${op} n=${n}`).toBe(op === 'max' ? 6 : 0);
      }
    }
  });

  it('int32 and bool reductions', async () => {
    const x = randomPair([7, 301], 'int32', -100, 100);
    for (const op of ['sum', 'max', 'min'] as const) {
      await expectParity(`int32 ${op}`, gpu.reduce(op, x.gpu, [1]), cpuBackend.reduce(op, x.cpu, [1]), [7, 1], 'int32', TOL.exact);
    }
    const small = randomPair([6, 5], 'int32', -3, 3);
    await expectParity('int32 prod', gpu.reduce('prod', small.gpu, [1]), cpuBackend.reduce('prod', small.cpu, [1]), [6, 1], 'int32', TOL.exact);
    const mask = randomPair([9, 301], 'bool');
    await expectParity('bool sum -> int32', gpu.reduce('sum', mask.gpu, [1]), cpuBackend.reduce('sum', mask.cpu, [1]), [9, 1], 'int32', TOL.exact);
    await expectParity('bool max', gpu.reduce('max', mask.gpu, [0]), cpuBackend.reduce('max', mask.cpu, [0]), [1, 301], 'bool', TOL.exact);
  });

  it('argmax / argmin along each axis, ties to the first index', async () => {
    for (let axis = 0; axis < shape.length; axis++) {
      const out = shape.map((s, d) => (d === axis ? 1 : s));
      for (const dtype of ['float32', 'int32'] as DType[]) {
        // int32 values in a small range produce plenty of ties.
        const x = randomPair(shape, dtype, -2, 2);
        for (const op of ['argmax', 'argmin'] as const) {
          await expectParity(`${op} ${dtype} axis ${axis}`, gpu.argReduce(op, x.gpu, axis), cpuBackend.argReduce(op, x.cpu, axis), out, 'int32', TOL.exact);
        }
      }
    }
  });
});

describe('webgpu backend: matmul', () => {
  const variants: MatmulVariant[] = ['naive', 'register', 'shared', 'splitk', 'auto'];
  // Every size in {1, 3, 17, 33, 65, 70} appears as m, k and n; 64 / 68 / 36 hit the vec4 paths.
  const shapes: [number, number, number][] = [
    [1, 1, 1], [3, 17, 33], [17, 33, 65], [33, 65, 70], [65, 70, 1], [70, 1, 3], [1, 3, 17], [64, 68, 36], [36, 64, 68],
  ];

  async function check(m: number, k: number, n: number, transA: boolean, transB: boolean, variant: MatmulVariant, batch = 1, broadcast: 'none' | 'a' | 'b' = 'none') {
    const batchA = broadcast === 'a' ? 1 : batch;
    const batchB = broadcast === 'b' ? 1 : batch;
    const a = randomPair([batchA, transA ? k : m, transA ? m : k], 'float32', -1, 1);
    const b = randomPair([batchB, transB ? n : k, transB ? k : n], 'float32', -1, 1);
    const args: MatmulArgs = {
      batch, m, k, n, transA, transB, variant,
      aBatchStride: batchA === 1 ? 0 : m * k,
      bBatchStride: batchB === 1 ? 0 : k * n,
    };
    const what = `matmul ${variant} m${m} k${k} n${n} tA${+transA} tB${+transB} batch ${batch} broadcast ${broadcast}`;
    await expectParity(what, gpu.matmul(a.gpu, b.gpu, args), cpuBackend.matmul(a.cpu, b.cpu, args), [batch, m, n], 'float32', TOL.f32Matmul);
  }

  for (const variant of variants) {
    it(`${variant}: odd shapes, every transpose combination`, async () => {
      for (const [m, k, n] of shapes) {
        for (const transA of [false, true]) for (const transB of [false, true]) await check(m, k, n, transA, transB, variant);
      }
    });

    it(`${variant}: batches with a broadcast operand`, async () => {
      await check(17, 12, 9, false, false, variant, 3);
      await check(17, 12, 9, true, false, variant, 3, 'a');
      await check(8, 20, 12, false, true, variant, 2, 'b');
      await check(5, 33, 7, true, true, variant, 4, 'a');
    });
  }

  it('an empty inner dimension gives zeros', async () => {
    for (const variant of variants) await check(3, 0, 5, false, false, variant, 2);
  });

  it('splitk handles a long k with a tiny output', async () => {
    await check(3, 2500, 5, false, false, 'splitk');
    await check(4, 1030, 4, true, true, 'splitk', 2);
  });
});

describe('webgpu backend: data movement and random', () => {
  it('stridedCopy: permute, expand, stepped slices into a larger destination', async () => {
    const x = randomPair([3, 4, 5]);
    // Permute [3,4,5] -> [5,3,4].
    const permuted = { gpu: gpu.alloc(60, 'float32'), cpu: cpuBackend.alloc(60, 'float32') };
    gpu.stridedCopy(x.gpu.storage, permuted.gpu, 'float32', [5, 3, 4], [1, 20, 5], 0, [12, 4, 1], 0);
    cpuBackend.stridedCopy(x.cpu.storage, permuted.cpu, 'float32', [5, 3, 4], [1, 20, 5], 0, [12, 4, 1], 0);
    await expectParity('permute', permuted.gpu, permuted.cpu, [60], 'float32', TOL.exact);

    // Expand row 1 of x across a new leading axis (stride 0), into the middle of a filled buffer.
    const dst = { gpu: gpu.fill(100, 'float32', -1), cpu: cpuBackend.fill(100, 'float32', -1) };
    gpu.stridedCopy(x.gpu.storage, dst.gpu, 'float32', [3, 4, 5], [0, 5, 1], 20, [30, 6, 1], 7);
    cpuBackend.stridedCopy(x.cpu.storage, dst.cpu, 'float32', [3, 4, 5], [0, 5, 1], 20, [30, 6, 1], 7);
    await expectParity('expand into an offset window', dst.gpu, dst.cpu, [100], 'float32', TOL.exact);

    // Stepped slice x[1:, ::2, 1::3] of an int32 tensor.
    const ints = randomPair([3, 4, 5], 'int32', -100, 100);
    const slice = { gpu: gpu.alloc(8, 'int32'), cpu: cpuBackend.alloc(8, 'int32') };
    gpu.stridedCopy(ints.gpu.storage, slice.gpu, 'int32', [2, 2, 2], [20, 10, 3], 21, [4, 2, 1], 0);
    cpuBackend.stridedCopy(ints.cpu.storage, slice.cpu, 'int32', [2, 2, 2], [20, 10, 3], 21, [4, 2, 1], 0);
    await expectParity('stepped slice', slice.gpu, slice.cpu, [8], 'int32', TOL.exact);
  });

  it('stridedCopy within one storage reads the values from before the copy', async () => {
    const x = randomPair([10], 'float32');
    gpu.stridedCopy(x.gpu.storage, x.gpu.storage, 'float32', [9], [1], 0, [1], 1);
    cpuBackend.stridedCopy(cpuBackend.upload(cpuBackend.readSync(x.cpu), 'float32'), x.cpu.storage, 'float32', [9], [1], 0, [1], 1);
    await expectParity('overlapping shift', x.gpu.storage, x.cpu.storage, [10], 'float32', TOL.exact);
  });

  it('random uniform is bit-identical to the CPU; normal agrees to float32 rounding', async () => {
    for (const stream of [0, 7, 123456]) {
      const args = { kind: 'uniform' as const, key: [0x9e3779b9, 42] as const, stream };
      await expectParity(`uniform stream ${stream}`, gpu.random(2049, 'float32', args), cpuBackend.random(2049, 'float32', args), [2049], 'float32', TOL.exact);
      const normal = { ...args, kind: 'normal' as const };
      await expectParity(`normal stream ${stream}`, gpu.random(2049, 'float32', normal), cpuBackend.random(2049, 'float32', normal), [2049], 'float32', TOL.f32Transcendental);
    }
  });

  it('round-trips float32, int32 and bool', async () => {
    for (const dtype of ['float32', 'int32', 'bool'] as DType[]) {
      const data = values(dtype, 333, -1e6, 1e6);
      const s = gpu.upload(data, dtype);
      expect(await gpu.read({ storage: s, shape: [333], dtype }), dtype).toEqual(data);
      gpu.release(s);
    }
    const extremes = Int32Array.from([-2147483648, 2147483647, 0, -1]);
    const s = gpu.upload(extremes, 'int32');
    expect(await gpu.read({ storage: s, shape: [4], dtype: 'int32' })).toEqual(extremes);
  });
});

describe('webgpu backend: device errors and memory', () => {
  it('refuses an allocation over the binding limit before enqueuing anything', () => {
    const limit = gpu.device.limits.maxStorageBufferBindingSize;
    const numel = Math.floor(limit / 4) + 1;
    expect(gpu.maxElements('float32')).toBe(Math.floor(limit / 4));
    expect(() => gpu.alloc(numel, 'float32')).toThrow(DeviceError);
    expect(() => gpu.alloc(numel, 'float32')).toThrow(new RegExp(`${numel * 4} bytes.*${limit}`));
  });

  it('rejects float64', () => {
    expect(() => gpu.alloc(4, 'float64')).toThrow(DeviceError);
  });

  it('a broken WGSL kernel raises a DeviceError naming the kernel', async () => {
    const broken = `
      struct Params { n: u32 }
      @group(0) @binding(0) var<storage, read_write> y: array<f32>;
      @group(0) @binding(1) var<uniform> params: Params;
      @compute @workgroup_size(64) fn main() { y[0] = undefined_function(params.n); }`;
    const layout = { storage: [[0, 0]] as const, paramsBinding: 1, paramsBytes: 16, members: { n: ['u32', [0]] as const }, overrides: [] };
    await expect(gpu.compileKernelForTest('brokenKernel', broken, layout)).rejects.toThrow(/brokenKernel/);
    await expect(gpu.compileKernelForTest('brokenKernel', broken, layout)).rejects.toBeInstanceOf(DeviceError);
    // The backend keeps working afterwards.
    const x = randomPair([5]);
    await expectParity('after a broken kernel', gpu.unary('neg', x.gpu), cpuBackend.unary('neg', x.cpu), [5], 'float32', TOL.exact);
  });

  it('reuses released buffers and trims the pool', async () => {
    gpu.trimPool();
    expect(gpu.memory().pooledBytes).toBe(0);
    const before = gpu.memory().allocatedBytes;
    const a = gpu.alloc(1000, 'float32');
    const bytes = gpu.memory().allocatedBytes - before;
    expect(bytes).toBeGreaterThanOrEqual(4000);
    gpu.release(a);
    expect(gpu.memory()).toMatchObject({ pooledBytes: bytes, allocatedBytes: before });
    const b = gpu.alloc(1000, 'float32');
    expect((b as WebGPUStorage).entry).toBe((a as WebGPUStorage).entry);
    expect(gpu.memory().pooledBytes).toBe(0);
    gpu.release(b);
    gpu.release(b);
    expect(gpu.memory().pooledBytes, 'a double release is harmless').toBe(bytes);
    gpu.trimPool();
    expect(gpu.memory().pooledBytes).toBe(0);
  });

  it('an upload into a recycled buffer does not overtake queued reads of it', async () => {
    // Without fusion the neg is queued at once and x's buffer goes straight back to the pool (with
    // fusion its release waits for the chain: test/fusion-webgpu.test.ts).
    gpu.setFusion(false);
    try {
      const x = gpu.upload(Float32Array.from([1, 2, 3, 4]), 'float32');
      const y = gpu.unary('neg', { storage: x, shape: [4], dtype: 'float32' });
      gpu.release(x);
      const z = gpu.upload(Float32Array.from([9, 9, 9, 9]), 'float32');
      expect((z as WebGPUStorage).entry).toBe((x as WebGPUStorage).entry);
      expect(Array.from(await gpu.read({ storage: y, shape: [4], dtype: 'float32' }))).toEqual([-1, -2, -3, -4]);
    } finally {
      gpu.setFusion(true);
    }
  });

  describe('a destroyed device', () => {
    let doomed: WebGPUBackend;
    beforeAll(async () => {
      doomed = await createWebGPUBackend();
    });
    afterAll(() => doomed.destroy());

    it('makes later calls throw DeviceError', async () => {
      const s = doomed.fill(4, 'float32', 1);
      doomed.destroy();
      await doomed.sync().catch(() => undefined);
      expect(() => doomed.fill(4, 'float32', 1)).toThrow(DeviceError);
      await expect(doomed.read({ storage: s, shape: [4], dtype: 'float32' })).rejects.toBeInstanceOf(DeviceError);
    });
  });
});

// The streaming kernels (fill, unary, binary, where, cast, copy) handle 512 elements per workgroup,
// 8 per invocation: whole blocks run unguarded and the last, partial block through a loop, so
// every kernel is checked on a partial block alone, whole blocks, and whole blocks plus a partial one.
describe('webgpu backend: streaming kernel variants', () => {
  const sizes = [5, 512, 3 * 512 + 37];

  /** out shape, b shape alternating size 1: merging cannot remove any of the `rank` dims. */
  function alternating(rank: number): [number[], number[]] {
    const out = Array.from({ length: rank }, (_, d) => (d % 2 === 0 ? 2 : 3));
    return [out, out.map((s, d) => (d % 2 === 1 ? 1 : s))];
  }

  function mergedBinary(sa: number[], sb: number[], so: number[]) {
    return mergeDims(so, [broadcastStrides(sa, so), broadcastStrides(sb, so)], 'test');
  }

  // [a shape, b shape, out shape, expected MODE, expected RANK (MODE 3)]
  const binaryCases: [number[], number[], number[], number, number][] = [
    ...sizes.map((n): [number[], number[], number[], number, number] => [[n], [n], [n], 0, 1]),
    [[5], [1, 5], [1, 5], 0, 1],
    [[3, 517], [], [3, 517], 1, 1],
    [[3, 517], [1, 1], [3, 517], 1, 1],
    [[], [7, 300], [7, 300], 2, 1],
    [[41, 37], [37], [41, 37], 3, 2],
    [[41, 37], [41, 1], [41, 37], 3, 2],
    [[37], [41, 1], [41, 37], 3, 2],
    [[6, 1, 100], [7, 1], [6, 7, 100], 3, 3],
    ...[4, 5, 6, 7, 8].map((r): [number[], number[], number[], number, number] => {
      const [out, b] = alternating(r);
      return [out, b, out, 3, r];
    }),
  ];

  it('binary: every addressing MODE and RANK 2..8 (float32 and int32)', async () => {
    for (const [sa, sb, so, mode, rank] of binaryCases) {
      const merged = mergedBinary(sa, sb, so);
      expect(binaryMode(merged), `MODE for ${JSON.stringify([sa, sb])}`).toBe(mode);
      if (mode === 3) expect(merged.shape.length, `RANK for ${JSON.stringify([sa, sb])}`).toBe(rank);
      const what = `${JSON.stringify([sa, sb])} (MODE ${mode}${mode === 3 ? `, RANK ${rank}` : ''})`;
      const a = randomPair(sa, 'float32', 0.1, 3);
      const b = randomPair(sb);
      for (const op of ['sub', 'pow', 'lt'] as BinaryOp[]) {
        const dtype = op === 'lt' ? 'bool' : 'float32';
        const tol = op === 'pow' ? TOL.f32Transcendental : TOL.exact;
        await expectParity(`binary ${op} ${what}`, gpu.binary(op, a.gpu, b.gpu, so), cpuBackend.binary(op, a.cpu, b.cpu, so), so, dtype, tol);
      }
      const x = randomPair(sa, 'int32', -20, 20);
      const y = randomPair(sb, 'int32', -20, 20);
      await expectParity(`int32 mod ${what}`, gpu.binary('mod', x.gpu, y.gpu, so), cpuBackend.binary('mod', x.cpu, y.cpu, so), so, 'int32', TOL.exact);
    }
  });

  it('where: contiguous operands (RANK 0) and strided ones up to RANK 8', async () => {
    const [out8, half8] = alternating(8);
    const cases: [number[], number[], number[], number[]][] = [
      ...sizes.map((n): [number[], number[], number[], number[]] => [[n], [n], [n], [n]]),
      [[3, 517], [3, 517], [], [3, 517]],
      [[41, 37], [37], [41, 1], [41, 37]],
      [[6, 7, 1], [7, 100], [6, 1, 100], [6, 7, 100]],
      [half8, out8, half8.map((s) => (s === 1 ? 3 : 1)), out8],
    ];
    for (const [sc, sa, sb, so] of cases) {
      for (const dtype of ['float32', 'int32'] as DType[]) {
        const cond = randomPair(sc, 'bool');
        const a = randomPair(sa, dtype);
        const b = randomPair(sb, dtype);
        await expectParity(`where ${dtype} ${JSON.stringify([sc, sa, sb])}`, gpu.where(cond.gpu, a.gpu, b.gpu, so), cpuBackend.where(cond.cpu, a.cpu, b.cpu, so), so, dtype, TOL.exact);
      }
    }
  });

  it('stridedCopy: RANK 1..8 with offsets, over whole and partial blocks', async () => {
    // [shape, src strides, src offset, dst strides, dst offset, src numel, dst numel]
    const [shape8] = alternating(8);
    const dense8 = contiguousStrides(shape8);
    const cases: [number[], number[], number, number[], number, number, number][] = [
      ...sizes.map((n): [number[], number[], number, number[], number, number, number] => [[n], [1], 3, [1], 5, n + 3, n + 5]),
      // Transpose [41, 37] -> [37, 41].
      [[37, 41], [1, 37], 0, [41, 1], 0, 41 * 37, 41 * 37],
      // Permute [9, 11, 13] -> [13, 9, 11] into the middle of a larger buffer.
      [[13, 9, 11], [1, 143, 13], 0, [99, 11, 1], 7, 9 * 11 * 13, 13 * 99 + 7],
      // Reverse the 8 axes of a [2, 3, 2, 3, 2, 3, 2, 3] tensor.
      [[...shape8].reverse(), [...dense8].reverse(), 0, contiguousStrides([...shape8].reverse()), 0, numel(shape8), numel(shape8)],
    ];
    for (const [shape, srcStrides, srcOffset, dstStrides, dstOffset, srcNumel, dstNumel] of cases) {
      for (const dtype of ['float32', 'int32'] as DType[]) {
        const x = randomPair([srcNumel], dtype);
        const dst = { gpu: gpu.fill(dstNumel, dtype, -1), cpu: cpuBackend.fill(dstNumel, dtype, -1) };
        gpu.stridedCopy(x.gpu.storage, dst.gpu, dtype, shape, srcStrides, srcOffset, dstStrides, dstOffset);
        cpuBackend.stridedCopy(x.cpu.storage, dst.cpu, dtype, shape, srcStrides, srcOffset, dstStrides, dstOffset);
        await expectParity(`stridedCopy ${dtype} ${JSON.stringify(shape)}`, dst.gpu, dst.cpu, [dstNumel], dtype, TOL.exact);
      }
    }
  });

  it('unary, cast and fill over whole and partial blocks', async () => {
    for (const n of sizes) {
      const x = randomPair([n], 'float32', 0.01, 9);
      await expectParity(`unary neg [${n}]`, gpu.unary('neg', x.gpu), cpuBackend.unary('neg', x.cpu), [n], 'float32', TOL.exact);
      await expectParity(`unary sqrt [${n}]`, gpu.unary('sqrt', x.gpu), cpuBackend.unary('sqrt', x.cpu), [n], 'float32', TOL.f32Elementwise);
      await expectParity(`unary exp [${n}]`, gpu.unary('exp', x.gpu), cpuBackend.unary('exp', x.cpu), [n], 'float32', TOL.f32Transcendental);
      const k = randomPair([n], 'int32', -3, 3);
      await expectParity(`logicalNot int32 [${n}]`, gpu.unary('logicalNot', k.gpu), cpuBackend.unary('logicalNot', k.cpu), [n], 'bool', TOL.exact);
      await expectParity(`cast float32->int32 [${n}]`, gpu.cast(x.gpu, 'int32'), cpuBackend.cast(x.cpu, 'int32'), [n], 'int32', TOL.exact);
      await expectParity(`cast int32->bool [${n}]`, gpu.cast(k.gpu, 'bool'), cpuBackend.cast(k.cpu, 'bool'), [n], 'bool', TOL.exact);
      await expectParity(`fill [${n}]`, gpu.fill(n, 'float32', 0.5), cpuBackend.fill(n, 'float32', 0.5), [n], 'float32', TOL.exact);
    }
  });

  it('packs merged layouts innermost first', () => {
    expect(packDims({ shape: [41, 37], strides: [[37, 1], [0, 1]] })).toEqual([37, 1, 1, 0, 41, 37, 0, 0]);
    expect(packDims({ shape: [5], strides: [[1], [2], [3]] })).toEqual([5, 1, 2, 3]);
    expect(binaryMode({ shape: [], strides: [[], []] })).toBe(0);
  });

  it('folds grids beyond 65535 workgroups of 512 elements into 2D', async () => {
    const n = 65535 * 512 + 777;
    const ones = gpu.fill(n, 'float32', 1);
    const doubled = gpu.binary('add', { storage: ones, shape: [n], dtype: 'float32' }, { storage: ones, shape: [n], dtype: 'float32' }, [n]);
    const data = await gpu.read({ storage: doubled, shape: [n], dtype: 'float32' });
    expect(data[0]).toBe(2);
    expect(data[n - 1]).toBe(2);
    expect(data.every((v) => v === 2)).toBe(true);
    gpu.release(ones);
    gpu.release(doubled);
  });
});
