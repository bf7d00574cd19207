/** Parameter: a tensor a Module owns and an optimizer trains (torch.nn.Parameter). */
import { keep, tidy } from '../memory.js';
import { Tensor } from '../tensor.js';

/**
 * A tensor that a Module owns and an optimizer trains, as `torch.nn.Parameter`:
 * `module.parameters()` finds it, `tidy` never disposes it, and it requires gradients by default.
 */
export class Parameter extends Tensor {
  /**
   * Wraps `data`, sharing its storage as torch.nn.Parameter does. Parameters outlive the scope
   * they are made in (`tidy` never disposes them); free them with `dispose()` or `module.dispose()`.
   */
  constructor(data: Tensor, requiresGrad = true) {
    const handle = data.liveHandle('Parameter');
    handle.retain();
    super(handle, data.shape, data.dtype, data.device);
    keep(this);
    if (requiresGrad) this.requiresGrad_(true);
  }

  /** A parameter holding the tensor `init()` returns; every temporary of `init` is freed. */
  static create(init: () => Tensor, requiresGrad = true): Parameter {
    return tidy(() => new Parameter(init(), requiresGrad));
  }
}
