/**
 * The reference optimizer updates, in float64 arithmetic whatever the storage dtype (a float32
 * storage rounds once per stored value). Each follows PyTorch's single-tensor implementation
 * (torch/optim/{sgd,adam,adamw,rmsprop}.py, foreach=False, maximize=False) step for step, so a
 * parameter trained here matches one trained by PyTorch in float64.
 */
import type { OptimizerHyper, OptimizerKind } from '../backend.js';

type FloatArray = Float32Array | Float64Array;

export function optimizerUpdate(kind: OptimizerKind, param: FloatArray, grad: FloatArray, state: readonly FloatArray[], hyper: OptimizerHyper): void {
  switch (kind) {
    case 'sgd': return sgd(param, grad, state[0], hyper);
    case 'adam': return adam(param, grad, state[0]!, state[1]!, hyper.amsgrad ? state[2] : undefined, hyper, false);
    case 'adamw': return adam(param, grad, state[0]!, state[1]!, hyper.amsgrad ? state[2] : undefined, hyper, true);
    case 'rmsprop': {
      // [squareAvg, momentumBuffer?, gradAvg?]: gradAvg is last when centered.
      const gradAvg = hyper.centered ? state[state.length - 1] : undefined;
      const buf = state.length - (gradAvg ? 1 : 0) >= 2 ? state[1] : undefined;
      return rmsprop(param, grad, state[0]!, buf, gradAvg, hyper);
    }
  }
}

function sgd(p: FloatArray, grad: FloatArray, buf: FloatArray | undefined, h: OptimizerHyper): void {
  const { lr, weightDecay: wd } = h;
  const momentum = h.momentum ?? 0;
  const dampening = h.dampening ?? 0;
  // PyTorch starts the momentum buffer at the first gradient itself, without dampening.
  const first = h.step === 1;
  for (let i = 0; i < p.length; i++) {
    let g = grad[i]! + wd * p[i]!;
    if (buf) {
      const b = first ? g : momentum * buf[i]! + (1 - dampening) * g;
      buf[i] = b;
      g = h.nesterov ? g + momentum * b : b;
    }
    p[i] = p[i]! - lr * g;
  }
}

function adam(p: FloatArray, grad: FloatArray, m: FloatArray, v: FloatArray, vMax: FloatArray | undefined, h: OptimizerHyper, decoupled: boolean): void {
  const { lr, weightDecay: wd, step } = h;
  const beta1 = h.beta1 ?? 0.9;
  const beta2 = h.beta2 ?? 0.999;
  const eps = h.eps ?? 1e-8;
  const stepSize = lr / (1 - beta1 ** step);
  const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
  for (let i = 0; i < p.length; i++) {
    let x = p[i]!;
    let g = grad[i]!;
    if (decoupled) x *= 1 - lr * wd;
    else g += wd * x;
    // torch.lerp(m, g, 1 - beta1) is m + (1 - beta1) (g - m).
    const mi = m[i]! + (1 - beta1) * (g - m[i]!);
    const vi = beta2 * v[i]! + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    let denomSq = vi;
    if (vMax) {
      // AMSGrad: torch.maximum(max_exp_avg_sq, exp_avg_sq) replaces v in the denominator.
      denomSq = Math.max(vMax[i]!, vi);
      vMax[i] = denomSq;
    }
    p[i] = x - (stepSize * mi) / (Math.sqrt(denomSq) / bc2Sqrt + eps);
  }
}

function rmsprop(p: FloatArray, grad: FloatArray, sq: FloatArray, buf: FloatArray | undefined, gradAvg: FloatArray | undefined, h: OptimizerHyper): void {
  const { lr, weightDecay: wd } = h;
  const alpha = h.alpha ?? 0.99;
  const eps = h.eps ?? 1e-8;
  const momentum = h.momentum ?? 0;
  for (let i = 0; i < p.length; i++) {
    const g = grad[i]! + wd * p[i]!;
    const s = alpha * sq[i]! + (1 - alpha) * g * g;
    sq[i] = s;
    let variance = s;
    if (gradAvg) {
      // Centered: grad_avg.lerp_(g, 1 - alpha), then square_avg - grad_avg^2 (an estimate of Var[g]).
      const ga = gradAvg[i]! + (1 - alpha) * (g - gradAvg[i]!);
      gradAvg[i] = ga;
      variance = s - ga * ga;
    }
    const avg = Math.sqrt(variance) + eps;
    if (buf) {
      const b = momentum * buf[i]! + g / avg;
      buf[i] = b;
      p[i] = p[i]! - lr * b;
    } else {
      p[i] = p[i]! - (lr * g) / avg;
    }
  }
}
