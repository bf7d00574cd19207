import { describe, expect, it } from 'vitest';
import {
  hostArrayFor, type BinaryOp, type DType, type MatmulArgs, type ReduceOp, type Storage, type TensorRef, type UnaryOp,
} from '../src/backend/backend';
import { CpuBackend, cpuBackend, erf } from '../src/backend/cpu';
import { DeviceError } from '../src/errors';
import { philoxFill } from '../src/random';
import * as T from '../src/index.js';

const be = cpuBackend;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function tensor(values: readonly number[], shape: readonly number[], dtype: DType = 'float64'): TensorRef {
  const data = hostArrayFor(dtype, values.length);
  data.set(values);
  return { storage: be.upload(data, dtype), shape, dtype };
}

function values(storage: Storage, dtype: DType): number[] {
  return Array.from(be.readSync({ storage, shape: [], dtype }));
}

function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Deterministic pseudo-random values in [-1, 1), independent of the code under test. */
function randomValues(count: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: count }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/** Multi-index of flat position `flat` in a row-major `shape`. */
function unravel(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return index;
}

/** Flat position in `shape` of the output multi-index `index`, broadcasting (NumPy rules). */
function broadcastFlat(index: readonly number[], shape: readonly number[]): number {
  const lead = index.length - shape.length;
  let flat = 0;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d]! + (shape[d] === 1 ? 0 : index[d + lead]!);
  return flat;
}

function expectClose(actual: readonly number[], expected: readonly number[], tolerance = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => {
    const e = expected[i]!;
    if (Number.isNaN(e)) expect(v, `index ${i}`).toBeNaN();
    else if (!Number.isFinite(e)) expect(v, `index ${i}`).toBe(e);
    else expect(Math.abs(v - e), `index ${i}: ${v} vs ${e}`).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(e)));
  });
}

describe('memory', () => {
  it('tracks allocated bytes and ignores a second release', () => {
    const backend = new CpuBackend();
    const a = backend.alloc(10, 'float32');
    const b = backend.upload(new Float64Array([1, 2, 3]), 'float64');
    const c = backend.fill(5, 'bool', 1);
    expect(backend.memory()).toEqual({ allocatedBytes: 40 + 24 + 5, pooledBytes: 0 });
    backend.release(b);
    backend.release(b);
    expect(backend.memory().allocatedBytes).toBe(45);
    backend.release(a);
    backend.release(c);
    backend.trimPool();
    expect(backend.memory()).toEqual({ allocatedBytes: 0, pooledBytes: 0 });
  });

  it('reads copies, synchronously and asynchronously', async () => {
    const x = tensor([1, 2, 3], [3], 'int32');
    const first = be.readSync(x);
    first[0] = 99;
    expect(first).toBeInstanceOf(Int32Array);
    expect(Array.from(be.readSync(x))).toEqual([1, 2, 3]);
    be.flush();
    await be.sync();
    expect(Array.from(await be.read(x))).toEqual([1, 2, 3]);
  });

  it('holds each dtype in its typed array and keeps bool 0/1', () => {
    expect(be.readSync(tensor([1.5], [1], 'float32'))).toBeInstanceOf(Float32Array);
    expect(be.readSync(tensor([1.5], [1], 'float64'))).toBeInstanceOf(Float64Array);
    expect(be.readSync(tensor([1], [1], 'int32'))).toBeInstanceOf(Int32Array);
    const mask = be.upload(new Uint8Array([0, 1, 7]), 'bool');
    expect(values(mask, 'bool')).toEqual([0, 1, 1]);
    expect(be.supportsFloat64).toBe(true);
    expect(be.maxElements('float32')).toBe(INT32_MAX);
  });

  it('fills with the value as the dtype stores it', () => {
    expect(values(be.fill(3, 'float32', 0.1), 'float32')).toEqual([0.1, 0.1, 0.1].map(Math.fround));
    expect(values(be.fill(2, 'int32', -2.7), 'int32')).toEqual([-2, -2]);
    expect(values(be.fill(2, 'bool', -3), 'bool')).toEqual([1, 1]);
    expect(values(be.fill(0, 'float64', 1), 'float64')).toEqual([]);
  });

  it('refuses storages of another backend with a DeviceError', () => {
    const foreign: TensorRef = { storage: { backend: 'webgpu' }, shape: [1], dtype: 'float32' };
    expect(() => be.unary('neg', foreign)).toThrow(DeviceError);
  });
});

describe('erf', () => {
  const known: [number, number][] = [
    [1e-10, 1.1283791670955126e-10], [0.1, 0.1124629160182849], [0.5, 0.5204998778130465],
    [1, 0.8427007929497149], [1.5, 0.9661051464753108], [2, 0.9953222650189527],
    [2.4999, 0.9995928300996666], [2.5, 0.999593047982555], [2.6, 0.9997639655834707],
    [3, 0.9999779095030014], [4, 0.9999999845827421], [5.5, 0.9999999999999927],
    [5.9, 0.9999999999999999],
  ];

  it('matches high-precision values to 1e-15 and is odd', () => {
    for (const [x, expected] of known) {
      expect(Math.abs(erf(x) - expected), `erf(${x})`).toBeLessThanOrEqual(1e-15 * expected);
      expect(erf(-x)).toBe(-erf(x));
    }
  });

  it('handles zeros, infinities and NaN', () => {
    expect(Object.is(erf(0), 0)).toBe(true);
    expect(Object.is(erf(-0), -0)).toBe(true);
    expect(erf(6)).toBe(1);
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erf(NaN)).toBeNaN();
  });

  it('is continuous and increasing across the series / continued-fraction switch', () => {
    const step = 1e-12;
    const slope = (2 / Math.sqrt(Math.PI)) * Math.exp(-6.25);
    expect(Math.abs(erf(2.5) - erf(2.5 - step) - slope * step)).toBeLessThanOrEqual(2 * Number.EPSILON);
  });
});

describe('unary', () => {
  const run = (op: UnaryOp, input: number[], dtype: DType = 'float64', param?: number): number[] => {
    const out = be.unary(op, tensor(input, [input.length], dtype), param);
    return values(out, op === 'logicalNot' ? 'bool' : dtype);
  };

  it('computes every float op', () => {
    const e = Math.E;
    expectClose(run('neg', [1, -2, 0]), [-1, 2, -0]);
    expectClose(run('abs', [-3, 2]), [3, 2]);
    expect(run('sign', [-2, 0, 3, NaN])).toEqual([-1, 0, 1, NaN]);
    expectClose(run('square', [-3, 0.5]), [9, 0.25]);
    expectClose(run('reciprocal', [4, -0.5, 0]), [0.25, -2, Infinity]);
    expectClose(run('exp', [0, 1, -Infinity]), [1, e, 0]);
    expectClose(run('log', [1, e, 0, -1]), [0, 1, -Infinity, NaN]);
    expectClose(run('log1p', [0, e - 1, 1e-20]), [0, 1, 1e-20]);
    expectClose(run('expm1', [0, 1, 1e-20]), [0, e - 1, 1e-20]);
    expectClose(run('sqrt', [4, 2, -1]), [2, Math.SQRT2, NaN]);
    expectClose(run('rsqrt', [4, 0]), [0.5, Infinity]);
    expectClose(run('sin', [0, Math.PI / 2]), [0, 1]);
    expectClose(run('cos', [0, Math.PI]), [1, -1]);
    expectClose(run('tanh', [0, 1, -1000]), [0, Math.tanh(1), -1]);
    expectClose(run('erf', [0.5, -1]), [0.5204998778130465, -0.8427007929497149], 1e-15);
  });

  it('keeps sigmoid and softplus finite in both tails', () => {
    expectClose(run('sigmoid', [0, 1, -1000, 1000, -40]), [0.5, 0.7310585786300049, 0, 1, 4.248354255291589e-18]);
    expectClose(run('softplus', [0, 1000, -1000, 1]), [Math.LN2, 1000, 0, Math.log1p(Math.E)]);
  });

  it('computes the activations, reading param where one exists', () => {
    expectClose(run('relu', [-1, 0, 2]), [0, 0, 2]);
    expectClose(run('leakyRelu', [-2, 3], 'float64', 0.2), [-0.4, 3]);
    expectClose(run('elu', [-1, 2], 'float64', 1.5), [1.5 * Math.expm1(-1), 2]);
    expectClose(run('gelu', [1, -2, 0]), [0.8413447460685429, -0.04550026389635842, 0], 1e-15);
    expectClose(run('silu', [1, 0, -1000]), [0.7310585786300049, 0, -0]);
  });

  it('rounds half to even and floors / ceils', () => {
    expect(run('round', [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.6, -2.6, 0.49999999999999994])).toEqual([-2, -2, -0, 0, 2, 2, 3, -3, 0]);
    expect(run('floor', [-1.5, 1.5])).toEqual([-2, 1]);
    expect(run('ceil', [-1.5, 1.5])).toEqual([-1, 2]);
  });

  it('makes logicalNot a bool', () => {
    const out = be.unary('logicalNot', tensor([0, 2, -1, 0], [4], 'int32'));
    expect(be.readSync({ storage: out, shape: [4], dtype: 'bool' })).toEqual(new Uint8Array([1, 0, 0, 1]));
  });

  it('rounds float32 results once', () => {
    expect(run('exp', [1], 'float32')).toEqual([Math.fround(Math.E)]);
    expect(run('gelu', [1], 'float32')).toEqual([Math.fround(0.8413447460685429)]);
  });

  it('wraps int32 like two-complement arithmetic', () => {
    expect(run('square', [46341, 65536, -3], 'int32')).toEqual([Math.imul(46341, 46341), 0, 9]);
    expect(run('neg', [INT32_MIN, 5], 'int32')).toEqual([INT32_MIN, -5]);
    expect(run('abs', [INT32_MIN], 'int32')).toEqual([INT32_MIN]);
  });
});

describe('binary', () => {
  const run = (op: BinaryOp, a: number[], b: number[], dtype: DType = 'float64'): number[] => {
    const out = be.binary(op, tensor(a, [a.length], dtype), tensor(b, [b.length], dtype), [a.length]);
    return values(out, ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr'].includes(op) ? 'bool' : dtype);
  };

  it('computes float arithmetic', () => {
    expectClose(run('add', [1, 2], [3, -5]), [4, -3]);
    expectClose(run('sub', [1, 2], [3, -5]), [-2, 7]);
    expectClose(run('mul', [1.5, 2], [3, -5]), [4.5, -10]);
    expectClose(run('div', [1, 1, 0], [4, 0, 0]), [0.25, Infinity, NaN]);
    expectClose(run('pow', [2, 4, -8, 1, -1, 0], [10, 0.5, 1 / 3, NaN, Infinity, 0]), [1024, 2, NaN, 1, 1, 1]);
    expectClose(run('maximum', [1, 5, NaN], [3, 2, 0]), [3, 5, NaN]);
    expectClose(run('minimum', [1, 5, 0], [3, 2, NaN]), [1, 2, NaN]);
  });

  it('takes the remainder with the sign of the divisor for floats', () => {
    expectClose(run('mod', [7.5, -7.5, 7.5, -7.5, 6, 5], [2, 2, -2, -2, 3, 0]), [1.5, 0.5, -0.5, -1.5, 0, NaN]);
  });

  it('compares into bool, NaN unequal to everything', () => {
    const a = [1, 2, 3, NaN];
    const b = [2, 2, 2, NaN];
    expect(run('eq', a, b)).toEqual([0, 1, 0, 0]);
    expect(run('ne', a, b)).toEqual([1, 0, 1, 1]);
    expect(run('lt', a, b)).toEqual([1, 0, 0, 0]);
    expect(run('le', a, b)).toEqual([1, 1, 0, 0]);
    expect(run('gt', a, b)).toEqual([0, 0, 1, 0]);
    expect(run('ge', a, b)).toEqual([0, 1, 1, 0]);
    expect(run('logicalAnd', [0, 1, 1, 0], [0, 0, 1, 1], 'bool')).toEqual([0, 0, 1, 0]);
    expect(run('logicalOr', [0, 1, 1, 0], [0, 0, 1, 1], 'bool')).toEqual([0, 1, 1, 1]);
    const out = be.binary('lt', tensor([1], [1], 'int32'), tensor([2], [1], 'int32'), [1]);
    expect(be.readSync({ storage: out, shape: [1], dtype: 'bool' })).toBeInstanceOf(Uint8Array);
  });

  it('keeps bool arithmetic 0/1', () => {
    expect(run('add', [0, 1, 1], [0, 0, 1], 'bool')).toEqual([0, 1, 1]);
    expect(run('mul', [0, 1, 1], [0, 0, 1], 'bool')).toEqual([0, 0, 1]);
  });

  it('wraps int32 add, sub and mul', () => {
    expect(run('add', [INT32_MAX, INT32_MIN], [1, -1], 'int32')).toEqual([INT32_MIN, INT32_MAX]);
    expect(run('sub', [INT32_MIN], [1], 'int32')).toEqual([INT32_MAX]);
    expect(run('mul', [65536, 123456789, -7], [65536, 987654321, 6], 'int32')).toEqual([0, Math.imul(123456789, 987654321), -42]);
  });

  it('truncates int32 division toward zero and gives 0 for division by zero', () => {
    expect(run('div', [7, -7, 7, -7, 5, INT32_MIN, INT32_MAX], [2, 2, -2, -2, 0, -1, 3], 'int32'))
      .toEqual([3, -3, -3, 3, 0, INT32_MIN, 715827882]);
  });

  it('takes the int32 remainder with the sign of the divisor', () => {
    expect(run('mod', [7, -7, 7, -7, 6, 5, INT32_MIN], [3, 3, -3, -3, 3, 0, -1], 'int32')).toEqual([1, 2, -2, -1, 0, 0, 0]);
  });

  it('raises int32 to integer powers', () => {
    expect(run('pow', [2, 3, -2, 2, 2, 2, 1, -1, -1, 0, 0, 3], [10, 0, 3, 31, 32, -1, -5, -3, -2, 0, -1, 21], 'int32'))
      .toEqual([1024, 1, -8, INT32_MIN, 0, 0, 1, -1, 1, 1, 0, Number(BigInt.asIntN(32, 3n ** 21n))]);
  });

  it('broadcasts size-1 dims and missing leading dims like NumPy', () => {
    const cases: [number[], number[], number[]][] = [
      [[2, 3], [3], [2, 3]],
      [[2, 1], [1, 3], [2, 3]],
      [[2, 1, 3], [4, 1], [2, 4, 3]],
      [[], [2, 2], [2, 2]],
      [[3, 1, 5], [1, 1, 1], [3, 1, 5]],
      [[1, 4, 1], [3, 1, 2], [3, 4, 2]],
      [[5, 1, 1, 2], [3, 2], [5, 1, 3, 2]],
    ];
    for (const [aShape, bShape, outShape] of cases) {
      const aValues = randomValues(numel(aShape), 1);
      const bValues = randomValues(numel(bShape), 2);
      const out = be.binary('sub', tensor(aValues, aShape), tensor(bValues, bShape), outShape);
      const expected = Array.from({ length: numel(outShape) }, (_, flat) => {
        const index = unravel(flat, outShape);
        return aValues[broadcastFlat(index, aShape)]! - bValues[broadcastFlat(index, bShape)]!;
      });
      expect(values(out, 'float64'), `${aShape} - ${bShape}`).toEqual(expected);
    }
  });

  it('rounds float32 results once', () => {
    expect(run('add', [0.1], [0.2], 'float32')).toEqual([Math.fround(Math.fround(0.1) + Math.fround(0.2))]);
  });
});

describe('binary fast paths against a reference', () => {
  // Every op on every dtype, for each shape pair the kernel treats specially (same shape, a size-1
  // operand, a row / channel broadcast, the per-element fallback, empty), compared bit for bit
  // (Object.is: NaN, -0) against a per-element reference written here from the ops' definitions.
  const OPS: BinaryOp[] = [
    'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'mod',
    'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr',
  ];
  const COMPARISONS = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr']);
  const POOLS: Record<DType, number[]> = {
    float32: [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, -2.5, 3, 7.25, -7, 1e30, 1e-30, 2, 0.1, -3],
    float64: [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, -2.5, 3, 7.25, -7, 1e300, 1e-300, 2, 0.1, -3],
    int32: [0, 1, -1, 2, -2, 3, -3, 7, -7, 5, 31, 32, INT32_MIN, INT32_MAX, 65536, 46341, 123456789, -987654321],
    bool: [0, 1],
  };

  const wrap32 = (v: bigint): number => Number(BigInt.asIntN(32, v));
  const floorModBig = (a: bigint, b: bigint): bigint => {
    const r = a % b;
    return r !== 0n && (r < 0n) !== (b < 0n) ? r + b : r;
  };
  const intPowRef = (base: number, exponent: number): number => {
    if (exponent < 0) return base === 1 ? 1 : base === -1 ? (exponent % 2 === 0 ? 1 : -1) : 0;
    // Square-and-multiply modulo 2^32 (BigInt products are exact; asIntN wraps like int32).
    let result = 1n;
    let power = BigInt(base);
    for (let e = exponent; e > 0; e = Math.floor(e / 2)) {
      if (e % 2 === 1) result = BigInt.asIntN(32, result * power);
      power = BigInt.asIntN(32, power * power);
    }
    return Number(result);
  };
  const floatRef = (op: BinaryOp, a: number, b: number): number => {
    switch (op) {
      case 'add': return a + b;
      case 'sub': return a - b;
      case 'mul': return a * b;
      case 'div': return a / b;
      // C99: pow(1, y) = 1 for any y, pow(-1, +-inf) = 1.
      case 'pow': return a === 1 || (a === -1 && Math.abs(b) === Infinity) ? 1 : a ** b;
      case 'mod': {
        const r = a % b;
        return r !== 0 && (r < 0) !== (b < 0) ? r + b : r;
      }
      case 'maximum': return Number.isNaN(a) || Number.isNaN(b) ? NaN : a > b ? a : b > a ? b : Object.is(a, -0) ? b : a;
      case 'minimum': return Number.isNaN(a) || Number.isNaN(b) ? NaN : a < b ? a : b < a ? b : Object.is(a, -0) ? a : b;
      default: return compareRef(op, a, b);
    }
  };
  const compareRef = (op: BinaryOp, a: number, b: number): number => {
    switch (op) {
      case 'eq': return Number(a === b);
      case 'ne': return Number(a !== b);
      case 'lt': return Number(a < b);
      case 'le': return Number(a <= b);
      case 'gt': return Number(a > b);
      case 'ge': return Number(a >= b);
      case 'logicalAnd': return Number(a !== 0 && b !== 0);
      case 'logicalOr': return Number(a !== 0 || b !== 0);
      default: throw new Error(op);
    }
  };
  const intRef = (op: BinaryOp, a: number, b: number): number => {
    const [x, y] = [BigInt(a), BigInt(b)];
    switch (op) {
      case 'add': return wrap32(x + y);
      case 'sub': return wrap32(x - y);
      case 'mul': return wrap32(x * y);
      case 'div': return b === 0 ? 0 : wrap32(x / y); // BigInt division truncates toward zero
      case 'mod': return b === 0 ? 0 : wrap32(floorModBig(x, y));
      case 'pow': return intPowRef(a, b);
      case 'maximum': return Math.max(a, b);
      case 'minimum': return Math.min(a, b);
      default: return compareRef(op, a, b);
    }
  };
  const reference = (op: BinaryOp, dtype: DType, a: number, b: number): number => {
    if (dtype === 'float32' || dtype === 'float64') return floatRef(op, a, b);
    const v = intRef(op, a, b);
    // bool arithmetic is int arithmetic made 0/1 again.
    return dtype === 'bool' && !COMPARISONS.has(op) ? Number(v !== 0) : v;
  };

  /** Values drawn from the dtype's pool in an order that differs per seed, stored as that dtype. */
  const draw = (count: number, dtype: DType, seed: number): number[] => {
    const pool = POOLS[dtype];
    let s = seed >>> 0;
    const stored = hostArrayFor(dtype, count);
    for (let i = 0; i < count; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      stored[i] = pool[(s >>> 8) % pool.length]!;
    }
    return Array.from(stored);
  };

  const expectBitIdentical = (actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void => {
    expect(actual.length, what).toBe(expected.length);
    let bad = -1;
    for (let i = 0; i < expected.length && bad < 0; i++) if (!Object.is(actual[i], expected[i])) bad = i;
    expect(bad < 0 ? 'ok' : `${what}: index ${bad}: got ${actual[bad]}, expected ${expected[bad]}`).toBe('ok');
  };

  const check = (op: BinaryOp, dtype: DType, aShape: number[], bShape: number[], outShape: number[], seed: number): void => {
    const av = draw(numel(aShape), dtype, seed);
    const bv = draw(numel(bShape), dtype, seed * 7 + 3);
    const outDType: DType = COMPARISONS.has(op) ? 'bool' : dtype;
    const out = be.binary(op, tensor(av, aShape, dtype), tensor(bv, bShape, dtype), outShape);
    const expected = hostArrayFor(outDType, numel(outShape));
    for (let flat = 0; flat < expected.length; flat++) {
      const index = unravel(flat, outShape);
      expected[flat] = reference(op, dtype, av[broadcastFlat(index, aShape)]!, bv[broadcastFlat(index, bShape)]!);
    }
    const actual = be.readSync({ storage: out, shape: outShape, dtype: outDType });
    expect(actual.constructor, `${op} ${dtype}`).toBe(expected.constructor);
    expectBitIdentical(actual, expected, `${op} ${dtype} [${aShape}] with [${bShape}]`);
  };

  const CASES: [string, number[], number[], number[]][] = [
    ['same shape', [3, 5, 7], [3, 5, 7], [3, 5, 7]],
    ['same size, different rank', [1, 3, 5, 7], [3, 5, 7], [1, 3, 5, 7]],
    ['scalar b', [3, 5, 7], [], [3, 5, 7]],
    ['scalar a', [], [3, 5, 7], [3, 5, 7]],
    ['size-1 b of higher rank', [3, 5, 7], [1, 1, 1, 1], [1, 3, 5, 7]],
    ['size-1 a', [1], [2, 9], [2, 9]],
    ['both size 1', [1, 1], [1], [1, 1]],
    ['row bias [N, C] + [C]', [6, 7], [7], [6, 7]],
    ['row bias reversed', [7], [6, 7], [6, 7]],
    ['channel bias [N, C, H, W] + [C, 1, 1]', [2, 3, 4, 5], [3, 1, 1], [2, 3, 4, 5]],
    ['channel bias reversed', [3, 1, 1], [2, 3, 4, 5], [2, 3, 4, 5]],
    ['channel bias [1, C, 1, 1]', [2, 3, 4, 5], [1, 3, 1, 1], [2, 3, 4, 5]],
    ['[2, 3, 1, 5] with [3, 4, 1]', [2, 3, 1, 5], [3, 4, 1], [2, 3, 4, 5]],
    ['[2, 3, 1, 5] with [5]', [2, 3, 1, 5], [5], [2, 3, 1, 5]],
    ['outer product', [6, 1], [1, 6], [6, 6]],
    ['column broadcast (fixed inner operand)', [5, 1], [1, 1], [5, 1]],
    ['column against matrix', [4, 1], [4, 3], [4, 3]],
    ['both broadcast on different axes', [4, 1, 5], [1, 3, 1], [4, 3, 5]],
    ['deep nest', [2, 1, 3, 1, 4], [2, 3, 2, 1], [2, 2, 3, 2, 4]],
    ['empty with a row', [0, 5], [5], [0, 5]],
    ['empty with a scalar', [3, 0], [], [3, 0]],
    ['empty both', [2, 0, 3], [2, 1, 3], [2, 0, 3]],
  ];

  for (const dtype of ['float32', 'float64', 'int32', 'bool'] as const) {
    it(`matches the reference for every op on ${dtype}`, () => {
      CASES.forEach(([, aShape, bShape, outShape], c) => {
        for (const op of OPS) check(op, dtype, aShape, bShape, outShape, 100 * c + OPS.indexOf(op) + 1);
      });
    });
  }

  it('covers the int32 special cases in every position', () => {
    // Division and remainder by zero (0), INT32_MIN / -1 (wraps), negative operands (truncating /
    // flooring), negative exponents: in the same-shape loop and with either side fixed.
    const a = [7, -7, 7, -7, 5, INT32_MIN, INT32_MAX, 0, -1, 2];
    const b = [2, 2, -2, -2, 0, -1, 3, 0, -3, -1];
    for (const op of ['div', 'mod', 'pow', 'mul'] as const) {
      const expected = a.map((x, i) => intRef(op, x, b[i]!));
      expect(values(be.binary(op, tensor(a, [10], 'int32'), tensor(b, [10], 'int32'), [10]), 'int32'), op).toEqual(expected);
      for (const s of [0, -1, -2, INT32_MIN]) {
        expect(values(be.binary(op, tensor(a, [10], 'int32'), tensor([s], [], 'int32'), [10]), 'int32'), `${op} by ${s}`)
          .toEqual(a.map((x) => intRef(op, x, s)));
        expect(values(be.binary(op, tensor([s], [1], 'int32'), tensor(b, [10], 'int32'), [10]), 'int32'), `${s} ${op}`)
          .toEqual(b.map((y) => intRef(op, s, y)));
      }
    }
    expect(values(be.binary('div', tensor([7, -7], [2], 'int32'), tensor([0], [], 'int32'), [2]), 'int32')).toEqual([0, 0]);
  });

  it('gives the same results through strided views (transpose, slice, expand) at the ops level', async () => {
    // Backend operands are always dense (views are materialised by stridedCopy before a kernel
    // runs); this checks the whole path from a non-contiguous view to the fast kernels.
    for (const dtype of ['float32', 'float64', 'int32'] as const) {
      const xv = draw(35, dtype, 11); // [5, 7]
      const yv = draw(35, dtype, 12); // [7, 5]
      const zv = draw(7, dtype, 13); // [7, 1]
      const x = T.tensor(hostArrayFor(dtype, 35).map((_, i) => xv[i]!), { shape: [5, 7], dtype, device: 'cpu' });
      const y = T.tensor(hostArrayFor(dtype, 35).map((_, i) => yv[i]!), { shape: [7, 5], dtype, device: 'cpu' });
      const z = T.tensor(hostArrayFor(dtype, 7).map((_, i) => zv[i]!), { shape: [7, 1], dtype, device: 'cpu' });
      for (const op of ['add', 'mul', 'div', 'gt', 'maximum'] as const) {
        const run = (p: T.Tensor, q: T.Tensor): T.Tensor => (T as unknown as Record<string, (p: T.Tensor, q: T.Tensor) => T.Tensor>)[op]!(p, q);
        const outDType: DType = op === 'gt' ? 'bool' : dtype;
        const expectOut = async (t: T.Tensor, shape: number[], ref: (i: number, j: number) => number, what: string) => {
          expect(t.shape, what).toEqual(shape);
          expect(t.dtype, what).toBe(outDType);
          const expected = hostArrayFor(outDType, numel(shape));
          for (let f = 0; f < expected.length; f++) expected[f] = ref(Math.floor(f / shape[1]!), f % shape[1]!);
          expectBitIdentical(await t.data(), expected, `${op} ${dtype} ${what}`);
        };
        // x^T [7, 5] with y [7, 5]: a transposed view against a dense tensor.
        await expectOut(run(T.transpose(x), y), [7, 5], (i, j) => reference(op, dtype, xv[j * 7 + i]!, yv[i * 5 + j]!), 'transpose');
        // x[1::2, :-1] [2, 6] with the row z^T[0, 1:] [6].
        const xs = T.slice(x, [{ start: 1, step: 2 }, { stop: -1 }]);
        const zs = T.slice(T.transpose(z), [0, { start: 1 }]);
        await expectOut(run(xs, zs), [2, 6], (i, j) => reference(op, dtype, xv[(1 + 2 * i) * 7 + j]!, zv[1 + j]!), 'slice');
        // expand(z, [7, 5]) with y: a stride-0 view against a dense tensor, and y^T's column.
        await expectOut(run(T.expand(z, [7, 5]), y), [7, 5], (i, j) => reference(op, dtype, zv[i]!, yv[i * 5 + j]!), 'expand');
        await expectOut(run(z, T.transpose(x)), [7, 5], (i, j) => reference(op, dtype, zv[i]!, xv[j * 7 + i]!), 'column with transpose');
      }
    }
  });

  it('keeps dtype promotion at the ops level', async () => {
    const i = T.tensor(new Int32Array([7, -7, 3]), { device: 'cpu' });
    const f = T.tensor(new Float32Array([2, 2, 0.5]), { device: 'cpu' });
    const sum = T.add(i, f);
    expect(sum.dtype).toBe('float32');
    expect(Array.from(await sum.data())).toEqual([9, -5, 3.5]);
    const q = T.div(i, T.tensor(new Int32Array([2, 2, 0]), { device: 'cpu' }));
    expect(q.dtype).toBe('int32');
    expect(Array.from(await q.data())).toEqual([3, -3, 0]);
    expect((await T.gt(i, f).data()) instanceof Uint8Array).toBe(true);
  });
});

describe('unary inlined loops against a reference', () => {
  const sigmoidRef = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
  const REFS: [UnaryOp, (x: number, p: number) => number, number | undefined][] = [
    ['neg', (x) => -x, undefined],
    ['abs', (x) => Math.abs(x), undefined],
    ['square', (x) => x * x, undefined],
    ['reciprocal', (x) => 1 / x, undefined],
    ['exp', (x) => Math.exp(x), undefined],
    ['log', (x) => Math.log(x), undefined],
    ['sqrt', (x) => Math.sqrt(x), undefined],
    ['rsqrt', (x) => 1 / Math.sqrt(x), undefined],
    ['tanh', (x) => Math.tanh(x), undefined],
    ['sigmoid', sigmoidRef, undefined],
    ['relu', (x) => (x < 0 ? 0 : x), undefined],
    ['leakyRelu', (x, p) => (x < 0 ? p * x : x), 0.2],
    ['leakyRelu', (x) => (x < 0 ? 0.01 * x : x), undefined],
    ['elu', (x, p) => (x > 0 ? x : p * Math.expm1(x)), 1.5],
    ['elu', (x) => (x > 0 ? x : Math.expm1(x)), undefined],
  ];
  // 123456789 and INT32_MAX: their int32 squares are past 2^53, so only an exact product wraps right.
  const inputs = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, -2.5, 3, 40, -40, 1e-30, 700, -700, 123456789, INT32_MAX, ...randomValues(20, 5).map((v) => v * 10)];

  for (const dtype of ['float32', 'float64', 'int32'] as const) {
    it(`matches the reference on ${dtype}`, () => {
      const stored = hostArrayFor(dtype, inputs.length);
      stored.set(inputs.map((v) => (dtype === 'int32' && !Number.isFinite(v) ? 0 : v)));
      for (const [op, ref, param] of REFS) {
        const out = be.readSync({ storage: be.unary(op, tensor(Array.from(stored), [stored.length], dtype), param), shape: [stored.length], dtype });
        const expected = hostArrayFor(dtype, stored.length);
        // int32 square wraps (an exact product); everything else is the float64 function, stored.
        stored.forEach((x, i) => { expected[i] = op === 'square' && dtype === 'int32' ? Math.imul(x, x) : ref(x, param ?? NaN); });
        const bad = Array.from(expected).findIndex((e, i) => !Object.is(out[i], e));
        expect(bad < 0 ? 'ok' : `${op}(${param}) ${dtype}: index ${bad}: ${stored[bad]} -> ${out[bad]}, expected ${expected[bad]}`).toBe('ok');
      }
    });
  }

  it('keeps bool outputs 0/1', () => {
    const out = be.unary('neg', tensor([0, 1, 1], [3], 'bool'));
    expect(values(out, 'bool')).toEqual([0, 1, 1]);
  });
});

describe('where', () => {
  it('selects with all three operands broadcast', () => {
    const cond = tensor([1, 0], [2, 1], 'bool');
    const a = tensor([1, 2, 3], [1, 3]);
    const b = tensor([-1], []);
    expect(values(be.where(cond, a, b, [2, 3]), 'float64')).toEqual([1, 2, 3, -1, -1, -1]);
  });

  it('matches a reference with full-size and single-element branches and broadcast conditions', () => {
    const cases: [number[], number[], number[], number[]][] = [
      [[3, 5, 7], [], [], [3, 5, 7]],
      [[3, 5, 7], [3, 5, 7], [3, 5, 7], [3, 5, 7]],
      [[3, 5, 7], [1], [3, 5, 7], [3, 5, 7]],
      [[3, 5, 7], [3, 5, 7], [1, 1], [3, 5, 7]],
      [[2, 3, 4, 5], [3, 1, 1], [], [2, 3, 4, 5]],
      [[2, 3, 4, 5], [2, 3, 4, 5], [3, 1, 1], [2, 3, 4, 5]],
      [[2, 3, 4, 5], [4, 1], [2, 3, 4, 5], [2, 3, 4, 5]],
      [[3, 1], [1, 4], [3, 4], [3, 4]],
      [[], [2, 3], [2, 3], [2, 3]],
      [[0, 3], [], [3], [0, 3]],
    ];
    const pool = [NaN, -0, 0, 1, -1, 2.5, Infinity, -7];
    for (const dtype of ['float32', 'float64', 'int32', 'bool'] as const) {
      for (const [cShape, aShape, bShape, outShape] of cases) {
        const cv = Array.from({ length: numel(cShape) }, (_, i) => [1, 0, 2, 0, 0][i % 5]!); // a single element is true
        // Stored as the dtype (upload makes a bool 0/1).
        const pick = (n: number, start: number) => Array.from(hostArrayFor(dtype, n).map((_, i) => pool[(start + 5 * i) % pool.length]!))
          .map((v) => (dtype === 'bool' ? Number(v !== 0) : v));
        // Different first elements (-0 and -1: also different as bools), so swapped branches show.
        const [av, bv] = [pick(numel(aShape), 1), pick(numel(bShape), 4)];
        const out = be.where(tensor(cv, cShape, 'bool'), tensor(av, aShape, dtype), tensor(bv, bShape, dtype), outShape);
        const expected = hostArrayFor(dtype, numel(outShape));
        for (let f = 0; f < expected.length; f++) {
          const index = unravel(f, outShape);
          expected[f] = cv[broadcastFlat(index, cShape)] ? av[broadcastFlat(index, aShape)]! : bv[broadcastFlat(index, bShape)]!;
        }
        const actual = be.readSync({ storage: out, shape: outShape, dtype });
        const bad = Array.from(expected).findIndex((e, i) => !Object.is(actual[i], e));
        expect(bad < 0 ? 'ok' : `${dtype} [${cShape}] [${aShape}] [${bShape}]: index ${bad}: ${actual[bad]} vs ${expected[bad]}`).toBe('ok');
      }
    }
  });

  it('keeps the dtype of the branches', () => {
    const out = be.where(tensor([0, 1], [2], 'bool'), tensor([5, 6], [2], 'int32'), tensor([7, 8], [2], 'int32'), [2]);
    expect(be.readSync({ storage: out, shape: [2], dtype: 'int32' })).toEqual(new Int32Array([7, 6]));
  });
});

describe('cast', () => {
  const run = (input: number[], from: DType, to: DType): number[] => values(be.cast(tensor(input, [input.length], from), to), to);

  it('truncates floats toward zero and saturates out-of-range values', () => {
    expect(run([2.7, -2.7, 0.5, -0.5, 1e10, -1e10, NaN, Infinity], 'float64', 'int32'))
      .toEqual([2, -2, 0, 0, INT32_MAX, INT32_MIN, 0, INT32_MAX]);
    expect(run([3.9], 'float32', 'int32')).toEqual([3]);
  });

  it('makes bool as x != 0', () => {
    expect(run([0, -0, 0.1, -3, NaN], 'float64', 'bool')).toEqual([0, 0, 1, 1, 1]);
    expect(run([0, 7], 'int32', 'bool')).toEqual([0, 1]);
  });

  it('converts between the other dtypes', () => {
    expect(run([0.1], 'float64', 'float32')).toEqual([Math.fround(0.1)]);
    expect(run([16777217], 'int32', 'float32')).toEqual([16777216]);
    expect(run([0, 1], 'bool', 'float64')).toEqual([0, 1]);
    expect(run([1, 0], 'bool', 'int32')).toEqual([1, 0]);
  });
});

describe('reduce', () => {
  const shape = [2, 3, 4];
  const input = randomValues(24, 3).map((v) => Math.round(v * 8) / 4);

  function naiveReduce(op: ReduceOp, data: readonly number[], inShape: readonly number[], axes: readonly number[]): number[] {
    const outShape = inShape.map((d, i) => (axes.includes(i) ? 1 : d));
    const identity = { sum: 0, prod: 1, max: -Infinity, min: Infinity }[op];
    const out = new Array<number>(numel(outShape)).fill(identity);
    data.forEach((v, flat) => {
      const index = unravel(flat, inShape).map((i, d) => (axes.includes(d) ? 0 : i));
      const slot = index.reduce((acc, i, d) => acc * outShape[d]! + i, 0);
      const acc = out[slot]!;
      out[slot] = op === 'sum' ? acc + v : op === 'prod' ? acc * v : op === 'max' ? Math.max(acc, v) : Math.min(acc, v);
    });
    return out;
  }

  it('reduces over any set of axes, non-adjacent ones included', () => {
    const axesChoices = [[0], [1], [2], [0, 1], [1, 2], [0, 2], [0, 1, 2]];
    for (const op of ['sum', 'prod', 'max', 'min'] as const) {
      for (const axes of axesChoices) {
        const out = be.reduce(op, tensor(input, shape), axes);
        expectClose(values(out, 'float64'), naiveReduce(op, input, shape, axes), 1e-14);
      }
    }
  });

  it('reduces shapes with size-1 dims, reduced or kept', () => {
    const withOnes = [3, 1, 4, 1, 2];
    for (const axes of [[1], [1, 3], [0, 3], [2, 4], [0, 1, 2, 3, 4]]) {
      const out = be.reduce('sum', tensor(input, withOnes), axes);
      expectClose(values(out, 'float64'), naiveReduce('sum', input, withOnes, axes), 1e-14);
    }
  });

  it('sums a hand-computed case', () => {
    const x = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(values(be.reduce('sum', x, [0]), 'float64')).toEqual([5, 7, 9]);
    expect(values(be.reduce('sum', x, [1]), 'float64')).toEqual([6, 15]);
    expect(values(be.reduce('max', x, [0, 1]), 'float64')).toEqual([6]);
  });

  it('counts bools into int32', () => {
    const out = be.reduce('sum', tensor([1, 0, 1, 1], [2, 2], 'bool'), [1]);
    expect(be.readSync({ storage: out, shape: [2, 1], dtype: 'int32' })).toEqual(new Int32Array([1, 2]));
    const all = be.reduce('prod', tensor([1, 0, 1, 1], [2, 2], 'bool'), [1]);
    expect(be.readSync({ storage: all, shape: [2, 1], dtype: 'int32' })).toEqual(new Int32Array([0, 1]));
    const any = be.reduce('max', tensor([0, 0, 1, 0], [2, 2], 'bool'), [1]);
    expect(be.readSync({ storage: any, shape: [2, 1], dtype: 'bool' })).toEqual(new Uint8Array([0, 1]));
  });

  it('wraps int32 sums and products', () => {
    expect(values(be.reduce('sum', tensor([INT32_MAX, 1, 5], [3], 'int32'), [0]), 'int32')).toEqual([INT32_MIN + 5]);
    expect(values(be.reduce('prod', tensor([65536, 65536, 3], [3], 'int32'), [0]), 'int32')).toEqual([0]);
    expect(values(be.reduce('prod', tensor([123456789, 987654321], [2], 'int32'), [0]), 'int32'))
      .toEqual([Math.imul(123456789, 987654321)]);
  });

  it('accumulates float32 sums in float64', () => {
    const count = 1_000_000;
    const x = be.fill(count, 'float32', 0.1);
    const out = be.reduce('sum', { storage: x, shape: [count], dtype: 'float32' }, [0]);
    expect(values(out, 'float32')).toEqual([Math.fround(count * Math.fround(0.1))]);
  });

  it('propagates NaN through max and min', () => {
    const x = tensor([1, NaN, 3, 4], [2, 2]);
    expect(values(be.reduce('max', x, [1]), 'float64')).toEqual([NaN, 4]);
    expect(values(be.reduce('min', x, [0]), 'float64')).toEqual([1, NaN]);
  });
});

describe('argReduce', () => {
  const read = (storage: Storage): number[] => values(storage, 'int32');

  it('picks the first index of ties', () => {
    const x = tensor([3, 1, 3, 0, 3, 2, 0, 2], [2, 4]);
    expect(read(be.argReduce('argmax', x, 1))).toEqual([0, 0]);
    expect(read(be.argReduce('argmin', x, 1))).toEqual([3, 2]);
    expect(read(be.argReduce('argmax', x, 0))).toEqual([0, 1, 0, 1]);
    expect(read(be.argReduce('argmin', x, 0))).toEqual([0, 0, 1, 0]);
  });

  it('reduces a middle axis of a 3-d tensor', () => {
    const x = tensor([1, 9, 5, 2, 7, 3, /* second block */ 4, 4, 8, 0, 4, 6], [2, 3, 2]);
    expect(read(be.argReduce('argmax', x, 1))).toEqual([2, 0, 1, 2]);
    expect(read(be.argReduce('argmin', x, 1))).toEqual([0, 1, 0, 1]);
  });

  it('treats NaN as the extremum, the first NaN winning', () => {
    const x = tensor([1, NaN, 5, NaN], [4]);
    expect(read(be.argReduce('argmax', x, 0))).toEqual([1]);
    expect(read(be.argReduce('argmin', x, 0))).toEqual([1]);
  });

  it('works on int32', () => {
    expect(read(be.argReduce('argmax', tensor([-5, 7, 7], [3], 'int32'), 0))).toEqual([1]);
  });
});

describe('matmul', () => {
  function naiveMatmul(a: readonly number[], b: readonly number[], args: MatmulArgs): number[] {
    const { batch, m, k, n, transA, transB, aBatchStride, bBatchStride } = args;
    const out: number[] = [];
    for (let bi = 0; bi < batch; bi++) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let sum = 0;
          for (let p = 0; p < k; p++) {
            const av = a[bi * aBatchStride + (transA ? p * m + i : i * k + p)]!;
            const bv = b[bi * bBatchStride + (transB ? j * k + p : p * n + j)]!;
            sum += av * bv;
          }
          out.push(sum);
        }
      }
    }
    return out;
  }

  function check(shape: { batch: number; m: number; k: number; n: number }, transA: boolean, transB: boolean,
    broadcast: 'none' | 'a' | 'b', dtype: DType, tolerance: number): void {
    const { batch, m, k, n } = shape;
    const aBatchStride = broadcast === 'a' ? 0 : m * k;
    const bBatchStride = broadcast === 'b' ? 0 : k * n;
    const args: MatmulArgs = { batch, m, k, n, transA, transB, aBatchStride, bBatchStride };
    const aValues = randomValues((broadcast === 'a' ? 1 : batch) * m * k, 11);
    const bValues = randomValues((broadcast === 'b' ? 1 : batch) * k * n, 12);
    const a = tensor(aValues, [aValues.length], dtype);
    const b = tensor(bValues, [bValues.length], dtype);
    const expected = naiveMatmul(Array.from(be.readSync(a)), Array.from(be.readSync(b)), args);
    const actual = values(be.matmul(a, b, args), dtype);
    expectClose(actual, expected, tolerance);
  }

  it('multiplies a hand-computed case', () => {
    const args: MatmulArgs = { batch: 1, m: 2, k: 3, n: 2, transA: false, transB: false, aBatchStride: 6, bBatchStride: 6 };
    const out = be.matmul(tensor([1, 2, 3, 4, 5, 6], [2, 3]), tensor([7, 8, 9, 10, 11, 12], [3, 2]), args);
    expect(values(out, 'float64')).toEqual([58, 64, 139, 154]);
  });

  it('matches the triple loop for every transpose and batch broadcast', () => {
    const shapes = [
      { batch: 3, m: 5, k: 7, n: 3 },
      { batch: 2, m: 1, k: 9, n: 6 },
      { batch: 2, m: 8, k: 1, n: 4 },
      { batch: 1, m: 4, k: 4, n: 1 },
      { batch: 2, m: 13, k: 17, n: 11 },
    ];
    for (const shape of shapes) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          for (const broadcast of ['none', 'a', 'b'] as const) {
            check(shape, transA, transB, broadcast, 'float64', 1e-13);
          }
        }
      }
    }
  });

  it('rounds float32 results once from float64 sums', () => {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      check({ batch: 2, m: 33, k: 65, n: 17 }, transA, transB, 'none', 'float32', 1e-6);
    }
  });

  it('multiplies int32 exactly', () => {
    const args: MatmulArgs = { batch: 1, m: 1, k: 2, n: 1, transA: false, transB: false, aBatchStride: 2, bBatchStride: 2 };
    const out = be.matmul(tensor([3, -4], [1, 2], 'int32'), tensor([100000, 7], [2, 1], 'int32'), args);
    expect(values(out, 'int32')).toEqual([299972]);
  });

  it('gives zeros for an empty inner dimension', () => {
    const args: MatmulArgs = { batch: 1, m: 2, k: 0, n: 3, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
    expect(values(be.matmul(tensor([], [2, 0]), tensor([], [0, 3]), args), 'float64')).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe('stridedCopy', () => {
  const copy = (src: TensorRef, dstSize: number, shape: number[], srcStrides: number[], srcOffset: number,
    dstStrides: number[], dstOffset: number, initial = 0): number[] => {
    const dst = be.fill(dstSize, src.dtype, initial);
    be.stridedCopy(src.storage, dst, src.dtype, shape, srcStrides, srcOffset, dstStrides, dstOffset);
    return values(dst, src.dtype);
  };

  it('permutes', () => {
    const src = tensor(Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]);
    // out[c][a][b] = src[a][b][c], i.e. permute (2, 0, 1): out shape [4, 2, 3].
    const out = copy(src, 24, [4, 2, 3], [1, 12, 4], 0, [6, 3, 1], 0);
    const expected = Array.from({ length: 24 }, (_, flat) => {
      const [c, a, b] = unravel(flat, [4, 2, 3]) as [number, number, number];
      return a * 12 + b * 4 + c;
    });
    expect(out).toEqual(expected);
  });

  it('slices with a step', () => {
    const src = tensor(Array.from({ length: 10 }, (_, i) => i * 10), [10]);
    expect(copy(src, 3, [3], [3], 1, [1], 0)).toEqual([10, 40, 70]);
    const grid = tensor(Array.from({ length: 20 }, (_, i) => i), [4, 5]);
    // grid[1::2, ::2]
    expect(copy(grid, 6, [2, 3], [10, 2], 5, [3, 1], 0)).toEqual([5, 7, 9, 15, 17, 19]);
  });

  it('expands with stride 0', () => {
    const src = tensor([1, 2, 3], [3, 1], 'int32');
    expect(copy(src, 12, [3, 4], [1, 0], 0, [4, 1], 0)).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
  });

  it('writes into an offset region and leaves the rest untouched', () => {
    const src = tensor([1, 2, 3, 4], [2, 2]);
    expect(copy(src, 16, [2, 2], [2, 1], 0, [4, 1], 5, -1)).toEqual([
      -1, -1, -1, -1,
      -1, 1, 2, -1,
      -1, 3, 4, -1,
      -1, -1, -1, -1,
    ]);
  });

  it('reads before writing when source and destination are one storage', () => {
    const x = tensor([1, 2, 3, 4, 5, 6], [6]);
    be.stridedCopy(x.storage, x.storage, 'float64', [3], [1], 0, [2], 1);
    expect(values(x.storage, 'float64')).toEqual([1, 1, 3, 2, 5, 3]);
  });

  it('copies nothing for an empty shape', () => {
    const src = tensor([1, 2], [2]);
    expect(copy(src, 2, [0, 2], [2, 1], 0, [2, 1], 0, 9)).toEqual([9, 9]);
  });
});

describe('random', () => {
  const key: [number, number] = [12345, 678];

  it('draws uniforms in [0, 1) equal to philoxFill', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const got = be.readSync({ storage: be.random(1000, dtype, { kind: 'uniform', key, stream: 3 }), shape: [1000], dtype });
      const expected = dtype === 'float32' ? new Float32Array(1000) : new Float64Array(1000);
      philoxFill(expected, 'uniform', key, 3);
      expect(got).toEqual(expected);
      expect(Math.min(...got)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...got)).toBeLessThan(1);
    }
  });

  it('draws standard normals', () => {
    const count = 100_000;
    const got = be.readSync({ storage: be.random(count, 'float64', { kind: 'normal', key, stream: 0 }), shape: [count], dtype: 'float64' });
    const expected = new Float64Array(count);
    philoxFill(expected, 'normal', key, 0);
    expect(got).toEqual(expected);
    const samples = Array.from(got);
    const mean = samples.reduce((a, b) => a + b, 0) / count;
    const variance = samples.reduce((a, b) => a + (b - mean) ** 2, 0) / count;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
  });

  it('gives different streams different numbers', () => {
    const draw = (stream: number) => values(be.random(4, 'float64', { kind: 'uniform', key, stream }), 'float64');
    expect(draw(0)).not.toEqual(draw(1));
    expect(draw(0)).toEqual(draw(0));
  });
});
