/**
 * Launching kernels/optimizer.wgsl: one dispatch updates a parameter and its state in place.
 * The step-dependent scalars are computed here in float64 and handed over as uniforms, so the
 * shader never raises betas to the step's power in float32.
 */
import type { OptimizerHyper, OptimizerKind } from '../backend.js';
import type { KernelRegistry } from './kernels.js';
import type { PooledBuffer } from './buffer-pool.js';
import type { CommandQueue } from './queue.js';

/** Position = the kernel's KIND override. */
const OPTIMIZER_KINDS: readonly OptimizerKind[] = ['sgd', 'adam', 'adamw', 'rmsprop'];
const WG = 256;

/**
 * The state buffers in the kernel's slots [a, b, c] (see kernels/optimizer.wgsl); `undefined` where
 * the options leave a slot unused.
 */
function stateSlots(kind: OptimizerKind, state: readonly PooledBuffer[], hyper: OptimizerHyper): (PooledBuffer | undefined)[] {
  switch (kind) {
    case 'sgd': return [state[0], undefined, undefined];
    case 'adam':
    case 'adamw': return [state[0], state[1], hyper.amsgrad ? state[2] : undefined];
    case 'rmsprop': {
      // [squareAvg, momentumBuffer?, gradAvg?]: gradAvg is last when centered.
      const gradAvg = hyper.centered ? state[state.length - 1] : undefined;
      return [state[0], state.length - (gradAvg ? 1 : 0) >= 2 ? state[1] : undefined, gradAvg];
    }
  }
}

export function encodeOptimizerUpdate(
  kernels: KernelRegistry, queue: CommandQueue, kind: OptimizerKind,
  param: PooledBuffer, grad: PooledBuffer, state: readonly PooledBuffer[], placeholders: readonly [PooledBuffer, PooledBuffer, PooledBuffer],
  numel: number, hyper: OptimizerHyper,
): void {
  if (numel === 0) return;
  const [a, b, c] = stateSlots(kind, state, hyper);
  const beta1 = hyper.beta1 ?? 0.9;
  const beta2 = hyper.beta2 ?? 0.999;
  const params = {
    n: numel,
    lr: hyper.lr,
    weight_decay: hyper.weightDecay,
    beta1,
    beta2,
    eps: hyper.eps ?? 1e-8,
    momentum: hyper.momentum ?? 0,
    dampening: hyper.dampening ?? 0,
    alpha: hyper.alpha ?? 0.99,
    step_size: hyper.lr / (1 - beta1 ** hyper.step),
    bias_correction2_sqrt: Math.sqrt(1 - beta2 ** hyper.step),
    decay: 1 - hyper.lr * hyper.weightDecay,
    nesterov: Number(hyper.nesterov ?? false),
    first_step: Number(hyper.step === 1),
    use_buffer: Number(kind === 'sgd' ? a !== undefined : b !== undefined),
    amsgrad: Number(kind !== 'rmsprop' && c !== undefined),
    centered: Number(kind === 'rmsprop' && c !== undefined),
  };
  const buffers = [param, grad, a ?? placeholders[0], b ?? placeholders[1], c ?? placeholders[2]];
  queue.dispatch(kernels.get('optimizer'), { KIND: OPTIMIZER_KINDS.indexOf(kind), WG }, buffers, params, queue.grid1D(Math.ceil(numel / WG)));
}
