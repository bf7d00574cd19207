/**
 * Adam and AdamW as wasm SIMD, two elements a step in float64 lanes: the CPU reference's
 * arithmetic (src/backend/cpu/optimizer.ts) operation for operation, each float32 state rounded
 * once when stored, so the wasm update is bit-for-bit the reference's. One kernel per
 * (decoupled weight decay, AMSGrad) pair, chosen at emit time so the loop has no branches:
 *
 *   adam_<d><a>(p, g, m, v, vMax, n, decay, wd, c1, beta2, c2, stepSize, bc2Sqrt, eps)
 *     decay = 1 - lr * wd (AdamW), wd (Adam's L2 term), c1 = 1 - beta1, c2 = 1 - beta2,
 *     stepSize = lr / (1 - beta1^t), bc2Sqrt = sqrt(1 - beta2^t)
 *
 * n must be even; the driver hands an odd last element to the reference.
 */
import type { OptimizerHyper, OptimizerKind, Storage } from '../backend';
import { optimizerUpdate } from '../cpu/optimizer';
import { Fn, ModuleBuilder, SIMD } from './emit';
import type { WasmBackend } from './wasm-backend';

function emitAdam(decoupled: boolean, amsgrad: boolean): Fn {
  const f = new Fn(`adam_${+decoupled}${+amsgrad}`, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'f64', 'f64', 'f64', 'f64', 'f64', 'f64', 'f64', 'f64']);
  const [p, g, m, v, vMax, n] = [0, 1, 2, 3, 4, 5];
  const params = [6, 7, 8, 9, 10, 11, 12, 13];
  const [decay, wd, c1, beta2, c2, stepSize, bc2Sqrt, eps] = params.map(() => f.local('v128'));
  params.forEach((param, i) => f.get(param).simd(SIMD.f64x2Splat).set([decay, wd, c1, beta2, c2, stepSize, bc2Sqrt, eps][i]!));
  const [i, x, gi, mi, vi, denom] = [f.local('i32'), f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128'), f.local('v128')];
  const load = (ptr: number) => f.get(ptr).vmem(SIMD.load64Zero, 3).simd(SIMD.f64x2PromoteLowF32x4);
  const store = (ptr: number, value: number) => f.get(ptr).get(value).simd(SIMD.f32x4DemoteF64x2Zero).vmem(SIMD.store64Lane, 3, 0).op(0);
  f.for(i, () => f.i32(0), () => f.get(n), 2, () => {
    load(p).set(x);
    load(g).set(gi);
    if (decoupled) f.get(x).get(decay).simd(SIMD.f64x2Mul).set(x);
    else f.get(gi).get(wd).get(x).simd(SIMD.f64x2Mul).simd(SIMD.f64x2Add).set(gi);
    // m + (1 - beta1) (g - m); beta2 v + ((1 - beta2) g) g
    load(m).set(mi);
    f.get(mi).get(c1).get(gi).get(mi).simd(SIMD.f64x2Sub).simd(SIMD.f64x2Mul).simd(SIMD.f64x2Add).set(mi);
    f.get(beta2);
    load(v);
    f.simd(SIMD.f64x2Mul).get(c2).get(gi).simd(SIMD.f64x2Mul).get(gi).simd(SIMD.f64x2Mul).simd(SIMD.f64x2Add).set(vi);
    store(m, mi);
    store(v, vi);
    f.get(vi).set(denom);
    if (amsgrad) {
      load(vMax);
      f.get(vi).simd(SIMD.f64x2Max).set(denom);
      store(vMax, denom);
    }
    // x - (stepSize m) / (sqrt(denom) / bc2Sqrt + eps)
    f.get(x).get(stepSize).get(mi).simd(SIMD.f64x2Mul);
    f.get(denom).simd(SIMD.f64x2Sqrt).get(bc2Sqrt).simd(SIMD.f64x2Div).get(eps).simd(SIMD.f64x2Add);
    f.simd(SIMD.f64x2Div).simd(SIMD.f64x2Sub).set(x);
    store(p, x);
    for (const ptr of [p, g, m, v, vMax]) f.inc(ptr, 8);
  });
  return f;
}

export function addOptimizers(mod: ModuleBuilder): void {
  for (const decoupled of [false, true]) for (const amsgrad of [false, true]) mod.add(emitAdam(decoupled, amsgrad));
}

/** Runs an Adam / AdamW update in wasm; false (nothing done) for the other optimizers. */
export function wasmOptimizerUpdate(backend: WasmBackend, kind: OptimizerKind, param: Storage, grad: Storage, state: readonly Storage[], h: OptimizerHyper): boolean {
  if (kind !== 'adam' && kind !== 'adamw') return false;
  const views = [param, grad, ...state].map((s) => backend.view(s) as Float32Array);
  const n = views[0]!.length;
  const even = n & ~1;
  const ptr = (s: Storage | undefined) => (s ? backend.own(s, 'optimizerUpdate').ptr : 0);
  const amsgrad = !!h.amsgrad;
  const beta1 = h.beta1 ?? 0.9;
  const beta2 = h.beta2 ?? 0.999;
  const kernel = backend.rt.kernels[`adam_${kind === 'adamw' ? 1 : 0}${amsgrad ? 1 : 0}`]!;
  kernel(
    ptr(param), ptr(grad), ptr(state[0]), ptr(state[1]), amsgrad ? ptr(state[2]) : 0, even,
    1 - h.lr * h.weightDecay, h.weightDecay, 1 - beta1, beta2, 1 - beta2,
    h.lr / (1 - beta1 ** h.step), Math.sqrt(1 - beta2 ** h.step), h.eps ?? 1e-8,
  );
  if (even < n) {
    const [p, g, ...s] = views.map((view) => view.subarray(even));
    optimizerUpdate(kind, p!, g!, s, h);
  }
  return true;
}
