// The WGSL library (kernels/lib): named op codes agree with the TypeScript lists, no kernel keeps
// its own copy of a library function, and every composed kernel compiles.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BINARY_OPS, DTYPES, EPILOGUES, REDUCE_OPS, UNARY_OPS, dtypeCode } from '../src/backend/webgpu/codes.js';
import { KERNEL_SOURCES } from '../src/backend/webgpu/kernels.js';
import { composeWgsl } from '../scripts/wgsl-compose.mjs';
import { webgpuBackend } from './setup/webgpu.js';

const KERNELS = join(import.meta.dirname, '..', 'kernels');
const read = (file: string) => readFileSync(join(KERNELS, file), 'utf8');

/** `const PREFIX_NAME = Nu;` declarations of a WGSL text, as NAME -> N. */
function namedCodes(text: string, prefix: string): Map<string, number> {
  const codes = new Map<string, number>();
  for (const m of text.matchAll(new RegExp(`^const ${prefix}_([A-Z0-9_]+) = (\\d+)u;`, 'gm'))) codes.set(m[1]!, Number(m[2]));
  return codes;
}

/** 'leakyRelu' -> 'LEAKY_RELU', 'float32' -> 'FLOAT32'. */
const screaming = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

function expectSameCodes(file: string, prefix: string, list: readonly string[], rename: (name: string) => string = screaming) {
  const expected = new Map(list.map((name, code) => [rename(name), code]));
  expect(namedCodes(read(file), prefix), `${prefix}_* in kernels/${file}`).toEqual(expected);
}

describe('named op codes match the TypeScript lists', () => {
  it('unary, binary, reduce, epilogue and dtype codes', () => {
    expectSameCodes('lib/unary_ops.wgsl', 'OP', UNARY_OPS);
    expectSameCodes('lib/binary_ops.wgsl', 'OP', BINARY_OPS);
    expectSameCodes('reduce.wgsl', 'OP', REDUCE_OPS);
    expectSameCodes('lib/epilogue.wgsl', 'ACT', EPILOGUES);
    const wgslDtype: Record<string, string> = { float32: 'F32', int32: 'I32', bool: 'BOOL' };
    expectSameCodes('lib/dtype.wgsl', 'DTYPE', DTYPES, (d) => wgslDtype[d]!);
    DTYPES.forEach((d, code) => expect(dtypeCode(d)).toBe(code));
  });
  it('every float op has the per-op function the fused chains call (unary_leaky_relu, binary_add, ...)', () => {
    const fns = new Set([...read('lib/unary_ops.wgsl').matchAll(/^fn (\w+)\(/gm), ...read('lib/binary_ops.wgsl').matchAll(/^fn (\w+)\(/gm)].map((m) => m[1]));
    const snake = (name: string) => screaming(name).toLowerCase();
    for (const op of UNARY_OPS.filter((o) => o !== 'logicalNot')) expect(fns.has(`unary_${snake(op)}`), op).toBe(true);
    for (const op of BINARY_OPS.slice(0, BINARY_OPS.indexOf('eq'))) expect(fns.has(`binary_${snake(op)}`), op).toBe(true);
  });
  it('the check itself notices a code out of place', () => {
    const swapped = [...UNARY_OPS];
    [swapped[0], swapped[1]] = [swapped[1]!, swapped[0]!];
    expect(() => expectSameCodes('lib/unary_ops.wgsl', 'OP', swapped)).toThrow();
  });
});

describe('kernels share the library instead of copying it', () => {
  const libFiles = readdirSync(join(KERNELS, 'lib')).filter((f) => f.endsWith('.wgsl'));
  const kernelFiles = readdirSync(KERNELS).filter((f) => f.endsWith('.wgsl'));
  const fnNames = (text: string) => [...text.matchAll(/^fn ([A-Za-z0-9_]+)\(/gm)].map((m) => m[1]!);

  it('no kernel declares a function the library has', () => {
    const libFns = new Set(libFiles.flatMap((f) => fnNames(read(`lib/${f}`))).filter((n) => n !== 'main'));
    for (const file of kernelFiles) {
      const copies = fnNames(read(file)).filter((n) => libFns.has(n));
      expect(copies, `kernels/${file} redefines library functions`).toEqual([]);
    }
  });

  it('every kernel file is registered, composed as its loader composes it', () => {
    const registered = new Set(Object.values(KERNEL_SOURCES));
    for (const file of kernelFiles) expect(registered.has(composeWgsl(join(KERNELS, file)).source), file).toBe(true);
  });

  it('a missing library is an error naming the kernel', () => {
    const fake = (p: string) => (p.endsWith('k.wgsl') ? '// uses: no_such_lib\n' : readFileSync(p, 'utf8'));
    expect(() => composeWgsl(join(KERNELS, 'k.wgsl'), fake)).toThrow(/k\.wgsl: uses the WGSL library 'no_such_lib'/);
  });

  it('every composed kernel compiles on the adapter', async () => {
    const { device } = await webgpuBackend();
    const failures: string[] = [];
    for (const [name, code] of Object.entries(KERNEL_SOURCES)) {
      const info = await device.createShaderModule({ label: name, code }).getCompilationInfo();
      for (const m of info.messages) if (m.type === 'error') failures.push(`${name}: line ${m.lineNum}: ${m.message}`);
    }
    expect(failures).toEqual([]);
  });
});
