// docs/models.md says which models exist: its family table's "exists" column must be exactly the
// registered models, and the counts in its text must match (they drifted with every new model).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listModels } from '../models/index.js';

const doc = readFileSync(new URL('../docs/models.md', import.meta.url), 'utf8');
const names = (cell: string) => [...cell.matchAll(/`([a-z0-9-]+)`/g)].map((m) => m[1]!);

describe('docs/models.md', () => {
  const header = doc.split('\n').findIndex((line) => /^\| family \| exists \| planned \|/.test(line));
  const rows = doc.split('\n').slice(header + 2).filter((line, i, all) => all.slice(0, i + 1).every((l) => l.startsWith('|')));
  const exists = rows.flatMap((row) => names(row.split('|')[2]!));
  const planned = rows.flatMap((row) => names(row.split('|')[3]!));

  it('lists as existing exactly the registered models', () => {
    expect(header).toBeGreaterThan(0);
    expect([...exists].sort()).toEqual(listModels().map((e) => e.name).sort());
  });

  it('states the counts of its table', () => {
    expect(doc).toContain(`That makes ${exists.length} models that exist and ${planned.length} that are planned.`);
    expect(doc).toContain(`which models exist today (${exists.length}, trainable`);
  });
});
