/**
 * einsum and tensordot. Every contraction is reduced to the batched-matmul primitive: repeated
 * labels of one operand become a diagonal, labels needed nowhere else are summed out first, and
 * operands are then contracted two at a time, each pair laid out as [batch, free, contracted] @
 * [batch, contracted, free]. With three or more operands the pair contracted next is the one with
 * the smallest result (a greedy path, as opt_einsum's 'greedy'), so a chain like 'ij,jk,kl' never
 * builds the large intermediate a naive left-to-right order can.
 */
import { ArgumentError, ShapeError, fmtShape } from '../errors.js';
import { numel } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkInputs, composite, promoteTypes, requireFloat } from './core.js';
import { diagonal } from './diagonal.js';
import { cast } from './elementwise.js';
import { batchedMatmul } from './matmul.js';
import { sum } from './reduce.js';
import { expand, permute, reshape } from './shapeops.js';

interface Term {
  t: Tensor;
  labels: string[];
}

/** Split one operand's subscripts into labels, '...' expanded to `ellipsis` labels '#0', '#1', ... aligned right. */
function parseSubscripts(op: string, s: string, rank: number | null, ellipsisRank: number): string[] {
  const parts = s.split('...');
  if (parts.length > 2) throw new ArgumentError(`${op}: '${s}' has more than one ellipsis`);
  for (const p of parts) {
    if (!/^[a-zA-Z]*$/.test(p)) throw new ArgumentError(`${op}: subscripts must be letters (and one '...'), got '${s}'`);
  }
  const named = parts.join('').length;
  if (parts.length === 1) {
    if (rank !== null && rank !== named) throw new ShapeError(`${op}: subscripts '${s}' name ${named} dims but the operand has shape of rank ${rank}`);
    return [...parts[0]!];
  }
  const count = rank === null ? ellipsisRank : rank - named;
  if (count < 0) throw new ShapeError(`${op}: subscripts '${s}' name more dims than the operand's rank ${rank}`);
  const dots = Array.from({ length: count }, (_, j) => `#${ellipsisRank - count + j}`);
  return [...parts[0]!, ...dots, ...parts[1]!];
}

/**
 * Einstein summation, as torch.einsum: `einsum('bij,bjk->bik', a, b)`. Supports '...', implicit
 * output (the labels seen once, sorted), repeated labels (diagonals), size-1 broadcasting, and any
 * number of operands. Differentiable in every operand. @torch torch.einsum
 */
export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  const op = 'einsum';
  if (operands.length === 0) throw new ArgumentError(`${op}: expected at least one operand for '${equation}'`);
  checkInputs(op, ...operands);
  for (const t of operands) requireFloat(op, t, 'operand');
  const eq = equation.replace(/\s+/g, '');
  const sides = eq.split('->');
  if (sides.length > 2) throw new ArgumentError(`${op}: equation '${equation}' has more than one '->'`);
  const inputs = sides[0]!.split(',');
  if (inputs.length !== operands.length) {
    throw new ArgumentError(`${op}: equation '${equation}' has ${inputs.length} operand subscripts but ${operands.length} operands were given`);
  }
  const ellipsisRank = Math.max(0, ...inputs.map((s, i) => (s.includes('...') ? operands[i]!.shape.length - s.replace('...', '').length : 0)));
  const terms: Term[] = inputs.map((s, i) => ({ t: operands[i]!, labels: parseSubscripts(op, s, operands[i]!.shape.length, ellipsisRank) }));

  const sizes = new Map<string, number>();
  terms.forEach(({ t, labels }) => labels.forEach((l, d) => {
    const size = t.shape[d]!;
    const seen = sizes.get(l);
    if (seen !== undefined && seen !== size && seen !== 1 && size !== 1) {
      throw new ShapeError(`${op}: label '${l}' has sizes ${seen} and ${size} in '${equation}' (shapes ${operands.map((o) => fmtShape(o.shape)).join(', ')})`);
    }
    sizes.set(l, Math.max(seen ?? 1, size));
  }));

  let output: string[];
  if (sides.length === 2) {
    output = parseSubscripts(op, sides[1]!, null, ellipsisRank);
    if (new Set(output).size !== output.length) throw new ArgumentError(`${op}: output '${sides[1]}' repeats a label`);
    for (const l of output) if (!sizes.has(l)) throw new ArgumentError(`${op}: output label '${l}' appears in no operand of '${equation}'`);
  } else {
    const counts = new Map<string, number>();
    terms.forEach(({ labels }) => labels.forEach((l) => counts.set(l, (counts.get(l) ?? 0) + 1)));
    const dots = [...counts.keys()].filter((l) => l.startsWith('#')).sort((x, y) => Number(x.slice(1)) - Number(y.slice(1)));
    output = [...dots, ...[...counts.keys()].filter((l) => !l.startsWith('#') && counts.get(l) === 1).sort()];
  }

  const dtype = operands.map((t) => t.dtype).reduce(promoteTypes);
  return composite(operands, () => contractAll(terms.map((term) => prepare(cast(term.t, dtype), term.labels, sizes)), output, sizes));
}

/** Take the diagonal of repeated labels and broadcast size-1 dims to their label's size. */
function prepare(t: Tensor, labels: string[], sizes: Map<string, number>): Term {
  let term: Term = { t, labels: [...labels] };
  for (;;) {
    const i = term.labels.findIndex((l, k) => term.labels.indexOf(l) !== k);
    if (i < 0) break;
    const first = term.labels.indexOf(term.labels[i]!);
    const label = term.labels[i]!;
    term = { t: diagonal(term.t, 0, first, i), labels: [...term.labels.filter((_, k) => k !== first && k !== i), label] };
  }
  const full = term.labels.map((l) => sizes.get(l)!);
  return { t: expand(term.t, full), labels: term.labels };
}

/** Sum out the labels of `term` not in `keep`. */
function sumOut(term: Term, keep: ReadonlySet<string>): Term {
  const axes = term.labels.map((l, d) => (keep.has(l) ? -1 : d)).filter((d) => d >= 0);
  if (axes.length === 0) return term;
  return { t: sum(term.t, axes), labels: term.labels.filter((l) => keep.has(l)) };
}

function contractAll(terms: Term[], output: string[], sizes: Map<string, number>): Tensor {
  const needed = (skip: Term[]) => new Set([...output, ...terms.filter((t) => !skip.includes(t)).flatMap((t) => t.labels)]);
  terms = terms.map((t) => sumOut(t, needed([t])));
  while (terms.length > 1) {
    let best: [number, number, Set<string>, number] | null = null;
    for (let i = 0; i < terms.length; i++) {
      for (let j = i + 1; j < terms.length; j++) {
        const keep = needed([terms[i]!, terms[j]!]);
        const result = new Set([...terms[i]!.labels, ...terms[j]!.labels].filter((l) => keep.has(l)));
        const cost = numel([...result].map((l) => sizes.get(l)!));
        if (!best || cost < best[3]) best = [i, j, keep, cost];
      }
    }
    const [i, j, keep] = best!;
    const merged = contractPair(terms[i]!, terms[j]!, keep, sizes);
    terms = [...terms.filter((_, k) => k !== i && k !== j), merged];
  }
  const last = sumOut(terms[0]!, new Set(output));
  return permute(last.t, output.map((l) => last.labels.indexOf(l)));
}

/** a and b contracted over their shared labels not in `keep`; shared kept labels are batch dims. */
function contractPair(a: Term, b: Term, keep: ReadonlySet<string>, sizes: Map<string, number>): Term {
  a = sumOut(a, new Set([...keep, ...b.labels]));
  b = sumOut(b, new Set([...keep, ...a.labels]));
  const shared = a.labels.filter((l) => b.labels.includes(l));
  const batch = shared.filter((l) => keep.has(l));
  const contracted = shared.filter((l) => !keep.has(l));
  const aFree = a.labels.filter((l) => !shared.includes(l));
  const bFree = b.labels.filter((l) => !shared.includes(l));
  const size = (ls: string[]) => numel(ls.map((l) => sizes.get(l)!));
  const lay = (t: Term, order: string[], shape: number[]) => reshape(permute(t.t, order.map((l) => t.labels.indexOf(l))), shape);
  const left = lay(a, [...batch, ...aFree, ...contracted], [size(batch), size(aFree), size(contracted)]);
  const right = lay(b, [...batch, ...contracted, ...bFree], [size(batch), size(contracted), size(bFree)]);
  const product = batchedMatmul(left, right, false, false);
  const labels = [...batch, ...aFree, ...bFree];
  return { t: reshape(product, labels.map((l) => sizes.get(l)!)), labels };
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * Contract dims `dims[0]` of a with `dims[1]` of b (or the last `dims` of a with the first `dims`
 * of b); the result has a's free dims then b's. @torch torch.tensordot
 */
export function tensordot(a: Tensor, b: Tensor, dims: number | readonly [readonly number[], readonly number[]] = 2): Tensor {
  checkInputs('tensordot', a, b);
  const [ra, rb] = [a.shape.length, b.shape.length];
  if (ra + rb > LETTERS.length) throw new ShapeError(`tensordot: ranks ${ra} + ${rb} exceed ${LETTERS.length}`);
  let pairs: [number[], number[]];
  if (typeof dims === 'number') {
    if (!Number.isInteger(dims) || dims < 0 || dims > Math.min(ra, rb)) {
      throw new ArgumentError(`tensordot: dims must be an integer in [0, ${Math.min(ra, rb)}] for shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}, got ${dims}`);
    }
    pairs = [Array.from({ length: dims }, (_, i) => ra - dims + i), Array.from({ length: dims }, (_, i) => i)];
  } else {
    const norm = (list: readonly number[], r: number) => list.map((d) => (d < 0 ? d + r : d));
    pairs = [norm(dims[0], ra), norm(dims[1], rb)];
    if (pairs[0].length !== pairs[1].length || pairs[0].some((d) => d < 0 || d >= ra) || pairs[1].some((d) => d < 0 || d >= rb)) {
      throw new ArgumentError(`tensordot: dims ${JSON.stringify(dims)} do not pair axes of shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
    }
  }
  for (let i = 0; i < pairs[0].length; i++) {
    if (a.shape[pairs[0][i]!] !== b.shape[pairs[1][i]!]) {
      throw new ShapeError(`tensordot: contracted dims differ: axis ${pairs[0][i]} of ${fmtShape(a.shape)} vs axis ${pairs[1][i]} of ${fmtShape(b.shape)}`);
    }
  }
  const la = [...LETTERS.slice(0, ra)];
  const lb = [...LETTERS.slice(ra, ra + rb)];
  pairs[1].forEach((d, i) => (lb[d] = la[pairs[0][i]!]!));
  const out = [...la.filter((_, d) => !pairs[0].includes(d)), ...lb.filter((_, d) => !pairs[1].includes(d))];
  return einsum(`${la.join('')},${lb.join('')}->${out.join('')}`, a, b);
}
