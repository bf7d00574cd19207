// The live-bytes budget: past it, one warning with the count of live tensors and, when creation
// tracking is on, the places in the caller's code that made the most of them.
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as T from '../src/index.js';

describe('memory budget', () => {
  afterEach(() => T.setMemoryBudget({ bytes: 2 * 1024 ** 3, trackCreation: false }));

  it('warns once past the budget, naming the count and the creation sites', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const base = T.memory().liveBytes;
    T.setMemoryBudget({ bytes: base + 64 * 1024, trackCreation: true });
    const held: T.Tensor[] = [];
    for (let i = 0; i < 40; i++) held.push(T.mul(T.ones([32, 32]), 2)); // 4 KB each
    expect(warn).toHaveBeenCalledTimes(1);
    const message = String(warn.mock.calls[0]![0]);
    expect(message).toMatch(/MB held by \d+ live tensors, over the 0 MB budget/);
    expect(message).toMatch(/Most live tensors were created at:\n +\d+ x .*memory-budget\.test\.ts/);
    for (const t of held) t.dispose();
    warn.mockRestore();
  });

  it('says how to find the creation sites when tracking is off', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    T.setMemoryBudget({ bytes: T.memory().liveBytes + 1024 });
    const t = T.ones([64, 64]);
    expect(String(warn.mock.calls[0]![0])).toContain('setMemoryBudget({ trackCreation: true })');
    t.dispose();
    warn.mockRestore();
  });
});
