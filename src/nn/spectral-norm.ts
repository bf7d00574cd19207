/**
 * Spectral normalisation (Miyato et al., 2018), as torch.nn.utils.spectral_norm: the weight is
 * divided by an estimate of its largest singular value, kept by power iteration. The vectors u
 * and v persist as buffers; every forward in training mode runs `nPowerIterations` steps first.
 */
import { noGrad } from '../autograd.js';
import { tidy } from '../memory.js';
import { div, matmul, maximum, mul, permute, randn, reshape, sqrt, sum } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { ConvTranspose2d } from './conv.js';
import type { Module } from './module.js';
import { parameterOf, parametrize } from './parametrize.js';

/** Options of spectralNorm (torch.nn.utils.spectral_norm's, in camelCase). */
export interface SpectralNormOptions {
  /** The parameter to normalise (default 'weight'). */
  name?: string;
  /** Power-iteration steps per forward in training (default 1). */
  nPowerIterations?: number;
  /** Floor of the norms when u and v are normalised (default 1e-12). */
  eps?: number;
  /** The output dim of the weight: 0, or 1 for transposed convolutions (the default picks). */
  dim?: number;
}

function normalize(x: Tensor, eps: number): Tensor {
  return div(x, maximum(sqrt(sum(mul(x, x))), eps));
}

/**
 * Wraps a module's weight so every read returns W / σ(W), σ estimated by power iteration: the
 * parameter becomes `${name}Orig` and the vectors buffers `${name}U` and `${name}V` (state-dict
 * names follow). Returns the same module. Throws ArgumentError when the module has no such
 * parameter or it is already wrapped.
 */
export function spectralNorm<M extends Module>(module: M, opts: SpectralNormOptions = {}): M {
  const name = opts.name ?? 'weight';
  const nIter = opts.nPowerIterations ?? 1;
  const eps = opts.eps ?? 1e-12;
  const weight = parameterOf(module, name, 'spectralNorm');
  const dim = opts.dim ?? (module instanceof ConvTranspose2d ? 1 : 0);
  const h = weight.shape[dim]!;
  const w = weight.size / h;
  const asMatrix = (t: Tensor) => {
    if (dim === 0) return reshape(t, [h, w]);
    const order = [dim, ...[...t.shape.keys()].filter((d) => d !== dim)];
    return reshape(permute(t, order), [h, w]);
  };

  delete (module as Record<string, unknown>)[name];
  module.registerParameter(`${name}Orig`, weight);
  const place = { dtype: weight.dtype, device: weight.device };
  module.registerBuffer(`${name}U`, noGrad(() => tidy(() => normalize(randn([h], place), eps))));
  module.registerBuffer(`${name}V`, noGrad(() => tidy(() => normalize(randn([w], place), eps))));
  const get = (key: string) => Reflect.get(module, key) as Tensor;

  parametrize(module, name, () => {
    const orig = get(`${name}Orig`);
    if (module.training) {
      noGrad(() => tidy(() => {
        const m = asMatrix(orig);
        let u = get(`${name}U`);
        let v = get(`${name}V`);
        for (let i = 0; i < nIter; i++) {
          v = normalize(reshape(matmul(reshape(u, [1, h]), m), [w]), eps);
          u = normalize(reshape(matmul(m, reshape(v, [w, 1])), [h]), eps);
        }
        get(`${name}U`).assign_(u);
        get(`${name}V`).assign_(v);
      }));
    }
    // sigma = u^T W v with u and v constants: the gradient flows through W only.
    const sigma = matmul(reshape(get(`${name}U`), [1, h]), matmul(asMatrix(orig), reshape(get(`${name}V`), [w, 1])));
    return div(orig, reshape(sigma, []));
  });
  return module;
}
