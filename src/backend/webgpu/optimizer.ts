/**
 * Launching kernels/optimizer.wgsl: one dispatch updates a parameter and its state in place.
 * The step-dependent scalars are computed here in float64 and handed over as uniforms, so the
 * shader never raises betas to the step's power in float32.
 */
import type { OptimizerHyper, OptimizerKind } from '../backend.js';
import type { KernelRegistry } from './kernels.js';
import type { PooledBuffer } from './pool.js';
import type { CommandQueue } from './queue.js';

/** Position = the kernel's KIND override. */
const OPTIMIZER_KINDS: readonly OptimizerKind[] = ['sgd', 'adam', 'adamw', 'rmsprop'];
const WG = 256;

/** How many state buffers a kind reads when its optional momentum buffer is present. */
const FULL_STATE: Record<OptimizerKind, number> = { sgd: 1, adam: 2, adamw: 2, rmsprop: 2 };

export function encodeOptimizerUpdate(
  kernels: KernelRegistry, queue: CommandQueue, kind: OptimizerKind,
  param: PooledBuffer, grad: PooledBuffer, state: readonly PooledBuffer[], placeholders: readonly [PooledBuffer, PooledBuffer],
  numel: number, hyper: OptimizerHyper,
): void {
  if (numel === 0) return;
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
    use_buffer: Number(state.length >= FULL_STATE[kind]),
  };
  const buffers = [param, grad, state[0] ?? placeholders[0], state[1] ?? placeholders[1]];
  queue.dispatch(kernels.get('optimizer'), { KIND: OPTIMIZER_KINDS.indexOf(kind), WG }, buffers, params, queue.grid1D(Math.ceil(numel / WG)));
}
