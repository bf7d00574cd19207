/** `genlab eval`'s report as the table it prints (browser-safe: the playground shows the same table). */
import type { EvaluationReport, Scored } from '../metrics/evaluate.js';

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : Math.abs(v) >= 0.01 || v === 0 ? v.toFixed(4) : v.toExponential(2));
const pm = (s: { value: number; std?: number }) => (s.std === undefined ? fmt(s.value) : `${fmt(s.value)} ± ${fmt(s.std)}`);

/** The report as a table: metric, model, floor, N. */
export function formatReport(r: EvaluationReport): string {
  const rows: [string, Scored | undefined][] = [
    ['IS (10 splits)', r.is], ['FID', r.fid], ['KID (100 subsets)', r.kid], ['precision (k=3)', r.precision], ['recall (k=3)', r.recall],
    ['class accuracy', r.classAccuracy], ['confident (p ≥ 0.9)', r.confident],
  ];
  const lines = [['metric', 'model', 'floor', 'N'].map((h, i) => h.padEnd([20, 20, 20, 0][i]!)).join('')];
  for (const [name, s] of rows) {
    if (!s) continue;
    const n = s.nReference ? `${s.n} vs ${s.nReference} held out` : `${s.n}`;
    const floorN = s === r.classAccuracy && s.floor ? ` (floor: the feature net on ${s.floor.n} held-out images)` : '';
    lines.push(`${name.padEnd(20)}${pm(s).padEnd(20)}${(s.floor ? pm(s.floor) : '-').padEnd(20)}${n}${floorN}`);
  }
  if (r.classShares) {
    const pct = (v: number[]) => v.map((x) => (100 * x).toFixed(0)).join(' ');
    lines.push(`${'class shares, %'.padEnd(20)}${pct(r.classShares.shares)}  (floor ${pct(r.classShares.floor)}; classes 0-${r.classShares.shares.length - 1})`);
  }
  if (r.ppl) lines.push(`${'PPL'.padEnd(20)}${fmt(r.ppl.value).padEnd(20)}${'-'.padEnd(20)}${r.ppl.n} pairs, ε ${r.ppl.epsilon}, ${r.ppl.space === 'z' ? 'slerp in z' : 'lerp in w'}`);
  if (r.likelihood) {
    const l = r.likelihood;
    lines.push(`${`${l.kind}, nats`.padEnd(19)} ${fmt(l.natsPerImage).padEnd(20)}${'-'.padEnd(20)}${l.n} held-out images (${fmt(l.bitsPerDim)} bits/dim)`);
  }
  if (r.reconstruction) {
    const rec = r.reconstruction;
    lines.push(`${'reconstruction MSE'.padEnd(20)}${fmt(rec.mse).padEnd(20)}${'-'.padEnd(20)}${rec.n} held-out images, per pixel in [0, 1]`);
    lines.push(`${'reconstruction BCE'.padEnd(20)}${fmt(rec.bce).padEnd(20)}${'-'.padEnd(20)}nats per image (784 pixels, intensities as targets)`);
  }
  return lines.join('\n');
}
