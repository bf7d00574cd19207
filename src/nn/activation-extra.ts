/** More of PyTorch's activation modules, over the ops of the same names (src/ops/activations.ts). */
import { celu, glu, hardsigmoid, hardswish, hardtanh, logsigmoid, mish, relu6, selu, softmin, softsign } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

export class Mish extends Module {
  forward(x: Tensor): Tensor {
    return mish(x);
  }
}

export class Hardswish extends Module {
  forward(x: Tensor): Tensor {
    return hardswish(x);
  }
}

export class Hardsigmoid extends Module {
  forward(x: Tensor): Tensor {
    return hardsigmoid(x);
  }
}

export class ReLU6 extends Module {
  forward(x: Tensor): Tensor {
    return relu6(x);
  }
}

export class Hardtanh extends Module {
  constructor(readonly minVal = -1, readonly maxVal = 1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return hardtanh(x, this.minVal, this.maxVal);
  }

  override extraRepr(): string {
    return `minVal=${this.minVal}, maxVal=${this.maxVal}`;
  }
}

export class SELU extends Module {
  forward(x: Tensor): Tensor {
    return selu(x);
  }
}

export class CELU extends Module {
  constructor(readonly alpha = 1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return celu(x, this.alpha);
  }

  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

export class Softsign extends Module {
  forward(x: Tensor): Tensor {
    return softsign(x);
  }
}

export class LogSigmoid extends Module {
  forward(x: Tensor): Tensor {
    return logsigmoid(x);
  }
}

/** Gated linear unit: the first half of `dim` times the sigmoid of the second. */
export class GLU extends Module {
  constructor(readonly dim = -1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return glu(x, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

export class Softmin extends Module {
  constructor(readonly dim = -1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return softmin(x, this.dim);
  }

  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
