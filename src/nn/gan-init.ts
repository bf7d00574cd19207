/**
 * The DCGAN initialisation (Radford et al., 2016), the usual start for GANs: every convolution,
 * transposed convolution and linear weight from N(0, 0.02), batch-norm scales from N(1, 0.02),
 * biases zero. Apply it once after building a model: `nn.dcganInit_(generator)`.
 */
import { normal_, zeros_ } from './init.js';
import { Conv2d, ConvTranspose2d } from './conv.js';
import { Linear } from './linear.js';
import type { Module } from './module.js';
import { BatchNorm1d, BatchNorm2d } from './normalization.js';

/** Re-initialises every Conv2d, ConvTranspose2d, Linear and BatchNorm inside `module` in place (std default 0.02); returns `module`. */
export function dcganInit_<M extends Module>(module: M, std = 0.02): M {
  return module.apply((m) => {
    if (m instanceof Conv2d || m instanceof ConvTranspose2d || m instanceof Linear) {
      normal_(m.weight, 0, std);
      if (m.bias) zeros_(m.bias);
    } else if (m instanceof BatchNorm1d || m instanceof BatchNorm2d) {
      if (m.weight) normal_(m.weight, 1, std);
      if (m.bias) zeros_(m.bias);
    }
  });
}
