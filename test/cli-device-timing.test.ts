// The policy `genlab train` uses to time a training step on each device, run on a fake clock: it
// stops at each device's wall-clock budget and gives up a device that is clearly slower than the
// best one so far, so choosing a device never costs minutes. Nothing here is timed.
import { describe, expect, it } from 'vitest';
import { measureStep, TIMING_LIMITS } from '../src/cli/device.js';

/** A step that advances a fake clock by the next of `seconds` (the last one repeats). */
function scripted(seconds: number[]) {
  let now = 1000;
  let calls = 0;
  return {
    clock: () => now,
    step: async () => {
      now += seconds[Math.min(calls, seconds.length - 1)]!;
      calls++;
    },
    get calls() {
      return calls;
    },
    get elapsed() {
      return now - 1000;
    },
  };
}

describe('device timing', () => {
  it('two warm-up steps (the first compiles), then the mean of three', async () => {
    const s = scripted([6, 2, 1, 2, 3]);
    expect(await measureStep(s.step, Infinity, TIMING_LIMITS, s.clock)).toBe(2);
    expect(s.calls).toBe(5);
  });

  it('stops once the per-device budget is spent, with the time measured so far', async () => {
    const s = scripted([8]);
    expect(await measureStep(s.step, Infinity, { budget: 20, margin: 3 }, s.clock)).toBe(8);
    expect(s.calls).toBe(3);
    expect(s.elapsed).toBeLessThanOrEqual(20 + 8);
    // A slow first step past the budget is the answer: nothing more is run.
    const slow = scripted([45]);
    expect(await measureStep(slow.step, Infinity, { budget: 20, margin: 3 }, slow.clock)).toBe(45);
    expect(slow.calls).toBe(1);
  });

  it('gives up a device whose first step, or mean, exceeds the best device\'s by the margin', async () => {
    const s = scripted([3.5]);
    expect(await measureStep(s.step, 1, { budget: 1000, margin: 3 }, s.clock)).toBe(3.5);
    expect(s.calls).toBe(1);
    // Warm-ups within the margin, then timed steps whose mean crosses it.
    const m = scripted([2, 2, 2, 5]);
    expect(await measureStep(m.step, 1, { budget: 1000, margin: 3 }, m.clock)).toBe(3.5);
    expect(m.calls).toBe(4);
    // A device faster than the best so far is timed fully.
    const f = scripted([0.5]);
    expect(await measureStep(f.step, 1, { budget: 1000, margin: 3 }, f.clock)).toBe(0.5);
    expect(f.calls).toBe(5);
  });

  it('three devices under load cost at most their budgets plus one step each', async () => {
    let total = 0;
    let best = Infinity;
    for (const perStep of [9, 30, 14]) {
      const s = scripted([perStep * 2, perStep]);
      best = Math.min(best, await measureStep(s.step, best, { budget: 20, margin: 3 }, s.clock));
      total += s.elapsed;
    }
    expect(best).toBe(9);
    expect(total).toBeLessThanOrEqual(3 * 20 + 9 * 2 + 30 * 2 + 14 * 2);
  });
});
