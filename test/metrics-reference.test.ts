// The TypeScript metrics against values numpy/scipy computed once (scripts/metrics-reference.py
// wrote test/fixtures/metrics-reference.json): agreement to 1e-6 on the same features.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { metrics } from '../src/index.js';

const ref = JSON.parse(readFileSync('test/fixtures/metrics-reference.json', 'utf8')) as {
  dim: number; x: number[]; y: number[]; probs: number[]; distances: number[];
  fid: number; kid: number; precision: number; recall: number; is_mean: number; is_std: number; ppl_trimmed_mean: number;
};
const close = (ours: number, theirs: number) => expect(Math.abs(ours - theirs)).toBeLessThan(1e-6 * Math.max(1, Math.abs(theirs)));

describe('metrics agree with the numpy/scipy reference', () => {
  it('FID (scipy.linalg.sqrtm)', () => {
    const { value, n1, n2 } = metrics.fid(ref.x, ref.y, ref.dim);
    expect([n1, n2]).toEqual([120, 120]);
    close(value, ref.fid);
  });

  it('KID (unbiased MMD², cubic kernel; subsets the size of the sets)', () => {
    const kid = metrics.kid(ref.x, ref.y, ref.dim, { subsets: 5 });
    expect(kid.subsetSize).toBe(120);
    close(kid.mean, ref.kid);
    expect(kid.std).toBeLessThan(1e-9);
  });

  it('improved precision and recall (k = 3)', () => {
    const pr = metrics.precisionRecall(ref.x, ref.y, ref.dim);
    close(pr.precision, ref.precision);
    close(pr.recall, ref.recall);
  });

  it('Inception score (10 splits)', () => {
    const is = metrics.inceptionScore(ref.probs, 10);
    close(is.mean, ref.is_mean);
    close(is.std, ref.is_std);
  });

  it("PPL's percentile-trimmed mean", () => {
    close(metrics.trimmedMean(Float64Array.from(ref.distances)).mean, ref.ppl_trimmed_mean);
  });
});
