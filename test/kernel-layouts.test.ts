// The kernels' binding and Params layouts are generated at build time (scripts/gen-kernel-layouts.mjs)
// so the library ships no WGSL parser. These tests keep the committed module in step with the
// WGSL sources and keep wgsl_reflect out of the runtime.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateLayoutsModule } from '../scripts/gen-kernel-layouts.mjs';
import { reflectLayout } from '../scripts/wgsl-layout.mjs';
import { KERNEL_LAYOUTS } from '../src/backend/webgpu/kernel-layouts.generated.js';
import { KERNEL_SOURCES } from '../src/backend/webgpu/kernels.js';

const ROOT = join(import.meta.dirname, '..');

describe('generated kernel layouts', () => {
  it('match a fresh reflection of the current WGSL sources (run scripts/gen-kernel-layouts.mjs if not)', () => {
    const committed = readFileSync(join(ROOT, 'src/backend/webgpu/kernel-layouts.generated.ts'), 'utf8');
    expect(committed === generateLayoutsModule(), 'kernel-layouts.generated.ts is stale').toBe(true);
  });

  it('cover every registered kernel, as the registry loads it', () => {
    expect(Object.keys(KERNEL_LAYOUTS).sort()).toEqual(Object.keys(KERNEL_SOURCES).sort());
    for (const [name, source] of Object.entries(KERNEL_SOURCES)) {
      expect(KERNEL_LAYOUTS[name as keyof typeof KERNEL_LAYOUTS], name).toEqual(reflectLayout(source, name));
    }
  });

  it('the reflection reads bindings, member offsets through vec4 arrays, and overrides', () => {
    const layout = reflectLayout(`
      struct Params { n: u32, scale: f32, dims: array<vec4<u32>, 2>, shift: i32 }
      @group(0) @binding(0) var<storage, read> x: array<f32>;
      @group(0) @binding(2) var<storage, read_write> y: array<f32>;
      @group(0) @binding(1) var<uniform> params: Params;
      override WG: u32 = 64u;
      @compute @workgroup_size(WG) fn main() { y[0] = x[0] * params.scale; }`, 'sample');
    expect(layout).toEqual({
      storage: [[0, 1], [2, 0]],
      paramsBinding: 1,
      paramsBytes: 64,
      members: { n: ['u32', [0]], scale: ['f32', [1]], dims: ['u32', [4, 5, 6, 7, 8, 9, 10, 11]], shift: ['i32', [12]] },
      overrides: ['WG'],
    });
  });

  it('no library source imports wgsl_reflect', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.ts') && readFileSync(path, 'utf8').includes("from 'wgsl_reflect")) offenders.push(path);
      }
    };
    walk(join(ROOT, 'src'));
    walk(join(ROOT, 'models'));
    expect(offenders).toEqual([]);
  });
});
