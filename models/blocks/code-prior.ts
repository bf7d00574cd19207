/**
 * A prior for models that have none: a diagonal Gaussian fitted to an autoencoder's codes while it
 * trains (running mean and variance over the batches). Decoding draws from it is how a plain
 * autoencoder can be sampled at all, and the samples show what notes 002 §2 says of it: the codes
 * of an autoencoder need not fill a Gaussian, so many draws decode to no digit (the VAE's KL term
 * is what makes them do so).
 */
import * as T from '../../src/index.js';
import { nn, optim } from '../../src/index.js';
import type { Training } from '../protocol.js';
import { minimize, requireField } from './train.js';
import type { DeviceName, Tensor } from '../../src/index.js';

/** Weight of the newest batch in the running moments. */
const MOMENTUM = 0.01;

export class CodePrior extends nn.Module {
  mean!: Tensor;
  var!: Tensor;

  constructor(readonly size: number, device?: DeviceName) {
    super();
    this.registerBuffer('mean', T.zeros([size], { device }));
    this.registerBuffer('var', T.ones([size], { device }));
  }

  /** Move the moments toward those of a batch of codes [N, size]. */
  update(codes: Tensor): void {
    T.noGrad(() => {
      const c = codes.detach();
      for (const [name, batch] of [['mean', T.mean(c, 0)], ['var', T.variance(c, 0)]] as const) {
        const next = T.add(T.mul(this[name], 1 - MOMENTUM), T.mul(batch, MOMENTUM));
        this[name].assign_(next);
        next.dispose();
        batch.dispose();
      }
    });
  }

  /** `n` codes [n, size] drawn from N(mean, diag var). */
  draw(n: number): Tensor {
    return T.tidy(() => T.add(this.mean, T.mul(T.sqrt(this.var), T.randn([n, this.size], { device: this.mean.device }))));
  }
}

/** Adam on the reconstruction loss; the code prior follows the batch's codes. */
export function reconstructionTraining(model: nn.Module & { codePrior: CodePrior }, lr: number, loss: (images: Tensor) => { loss: Tensor; codes: Tensor }): Training {
  const adam = new optim.Adam(model.parameters(), { lr });
  return {
    optimizers: { adam },
    step(batch) {
      const images = requireField(batch, 'images', model.constructor.name);
      const { loss: l, codes } = minimize(adam, () => loss(images));
      model.codePrior.update(codes);
      codes.dispose();
      return { loss: l };
    },
  };
}
