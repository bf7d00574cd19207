// The inputs of scripts/torch-ops-reference.py: element j of the k-th tensor is
// scale * 0.5 sin(0.7 j + 1.3 k + 0.1), so tests rebuild them without Python.
import { readFileSync } from 'node:fs';
import * as T from '../../src/index.js';

export function fill(shape: number[], k: number, scale = 1): T.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return T.tensor(Float64Array.from({ length: n }, (_, j) => scale * 0.5 * Math.sin(0.7 * j + 1.3 * k + 0.1)), { shape, dtype: 'float64' });
}

/** test/fixtures/torch-ops-reference.json, written by scripts/torch-ops-reference.py. */
export const torchRef: any = JSON.parse(readFileSync(new URL('../fixtures/torch-ops-reference.json', import.meta.url), 'utf8'));

/** The gradients of sum(out * fill(out.shape, k)) with respect to `inputs`. */
export function gradsOf(out: T.Tensor, inputs: T.Tensor[], k: number): T.Tensor[] {
  return T.gradients(T.sum(T.mul(out, fill([...out.shape], k))), inputs);
}

/** scale * 0.5 sin(0.3 j² + 1.3 k + 0.1): full-rank matrices (fill's have rank 2), for the linear-algebra cases. */
export function fillq(shape: number[], k: number, scale = 1): T.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return T.tensor(Float64Array.from({ length: n }, (_, j) => scale * 0.5 * Math.sin(0.3 * j * j + 1.3 * k + 0.1)), { shape, dtype: 'float64' });
}
