// docs/ops.md is generated from the code by scripts/ops-table.ts: it must be current, and every op
// it lists must be a public function with a PyTorch name.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { publicOps, renderOpsTable } from '../scripts/ops-table.js';

describe('docs/ops.md', () => {
  it('matches the code (run `npm run docs:ops` after adding or changing an op)', () => {
    const onDisk = readFileSync(new URL('../docs/ops.md', import.meta.url), 'utf8');
    expect(onDisk === renderOpsTable(), 'docs/ops.md is stale: run `npm run docs:ops`').toBe(true);
  });
  it('lists public functions only, each with a PyTorch name', () => {
    const ops = publicOps();
    expect(ops.length).toBeGreaterThan(200);
    for (const op of ops) {
      expect(typeof (T as Record<string, unknown>)[op.name], op.name).toBe('function');
      expect(op.torch, `${op.name} has no @torch tag and no entry in scripts/ops-table.ts`).not.toBe('');
    }
    const kinds = Object.fromEntries(ops.map((o) => [o.name, o.kind]));
    expect([kinds.add, kinds.conv2d, kinds.atan, kinds.einsum, kinds.slogdet]).toEqual(['kernel', 'kernel', 'composite', 'composite', 'host']);
  });
});
