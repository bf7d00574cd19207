/** Printing and nesting of tensor values. */
import type { DType } from './backend/backend.js';

/**
 * A tensor's values nested one array level per dimension, as `tensor.array()` returns them
 * (`tolist()` in PyTorch); bool values as booleans.
 */
export type NestedArray = number | boolean | NestedArray[];

export function nestArray(flat: number[], shape: readonly number[], dtype: DType): NestedArray {
  const conv = dtype === 'bool' ? (v: number) => v !== 0 : (v: number) => v;
  if (shape.length === 0) return conv(flat[0]!);
  const build = (dim: number, offset: number, stride: number): NestedArray[] => {
    const size = shape[dim]!;
    const inner = stride / Math.max(size, 1);
    const out: NestedArray[] = [];
    for (let i = 0; i < size; i++) {
      out.push(dim === shape.length - 1 ? conv(flat[offset + i]!) : build(dim + 1, offset + i * inner, inner));
    }
    return out;
  };
  return build(0, 0, flat.length);
}

const MAX_SHOWN = 6;

function fmtValue(v: number, dtype: DType, decimals: number): string {
  if (dtype === 'bool') return v ? 'true' : 'false';
  if (dtype === 'int32') return String(v);
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  return v.toFixed(decimals);
}

/** Like PyTorch: a nested bracket layout with long dims elided, then the shape, dtype and device. */
export function formatTensor(flat: number[], shape: readonly number[], dtype: DType, device: string, requiresGrad: boolean): string {
  const finite = flat.filter((v) => Number.isFinite(v));
  const maxAbs = finite.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const decimals = dtype === 'float32' || dtype === 'float64' ? (maxAbs >= 1e4 ? 1 : 4) : 0;
  const strs = flat.map((v) => fmtValue(v, dtype, decimals));
  const width = strs.reduce((w, s) => Math.max(w, s.length), 0);

  const render = (dim: number, offset: number, stride: number, indent: string): string => {
    if (shape.length === 0) return strs[0]!;
    const size = shape[dim]!;
    const inner = stride / Math.max(size, 1);
    const idx = size > MAX_SHOWN ? [0, 1, 2, -1, size - 3, size - 2, size - 1] : [...Array(size).keys()];
    const parts = idx.map((i) => {
      if (i === -1) return '...';
      if (dim === shape.length - 1) return strs[offset + i]!.padStart(width);
      return render(dim + 1, offset + i * inner, inner, indent + ' ');
    });
    const sep = dim === shape.length - 1 ? ', ' : ',\n' + indent + ' ';
    return '[' + parts.join(sep) + ']';
  };
  const body = render(0, 0, flat.length, '       ');
  const extra = [`shape=[${shape.join(', ')}]`, `dtype=${dtype}`, `device=${device}`];
  if (requiresGrad) extra.push('requiresGrad=true');
  return `tensor(${body}, ${extra.join(', ')})`;
}
