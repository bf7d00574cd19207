// The published bundles carry the kernels minified (scripts/wgsl-minify.mjs): each one must still
// compile on WebGPU, line for line where the original did.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { composeWgsl } from '../scripts/wgsl-compose.mjs';
import { minifyWgsl } from '../scripts/wgsl-minify.mjs';
import { webgpuBackend } from './setup/webgpu.js';

describe('minified WGSL kernels', () => {
  it('keep their lines, lose comments, indentation and the spaces tokens do not need', () => {
    expect(minifyWgsl('  let a = 1; // one\n// only a comment\n\tfn f() {}  ')).toBe('let a=1;\n\nfn f(){}');
    expect(minifyWgsl('@group(0) @binding(1) var<storage, read> q: array<f32>;')).toBe('@group(0)@binding(1)var<storage,read>q:array<f32>;');
    // A space stays between two words and between two operator characters (`- -b` is not `--b`).
    expect(minifyWgsl('let c = a - -b; var v: vec2<f32> = vec2<f32>(1.5e-3, x & 0u);')).toBe('let c=a- -b;var v:vec2<f32> =vec2<f32>(1.5e-3,x&0u);');
  });

  it('every kernel compiles on WebGPU after minifying', async () => {
    const { device } = await webgpuBackend();
    const kernels = readdirSync('kernels').filter((f) => f.endsWith('.wgsl'));
    expect(kernels.length).toBeGreaterThan(20);
    const failures: string[] = [];
    for (const file of kernels) {
      const original = composeWgsl(`kernels/${file}`).source;
      const minified = minifyWgsl(original);
      expect(minified.split('\n')).toHaveLength(original.split('\n').length);
      const info = await device.createShaderModule({ label: file, code: minified }).getCompilationInfo();
      for (const m of info.messages) if (m.type === 'error') failures.push(`${file}:${m.lineNum}: ${m.message}`);
    }
    expect(failures).toEqual([]);
  });
});
