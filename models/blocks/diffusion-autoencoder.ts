/**
 * The first stage of latent diffusion (notes 001 GANs §5, step 1: "compress the image into a
 * low-dimensional latent space with an autoencoder"): a small KL-regularised convolutional
 * autoencoder from a 1x28x28 image to a 4x7x7 latent and back.
 *
 * Encoder: conv 3x3 (w) → conv 3x3 stride 2 (2w, 14x14) → conv 3x3 stride 2 (2w, 7x7) → conv 1x1
 * to 8 channels, the mean and log-variance of q(z|x) = N(μ, diag σ²) over 4x7x7, SiLU between.
 * Decoder: conv 3x3 (2w) → nearest up to 14 → conv (w) → up to 28 → conv (w) → conv to pixel logits.
 * Loss: the negative ELBO of a Bernoulli likelihood per pixel, BCE summed over the image plus
 * `klWeight`·KL(q(z|x) ‖ N(0, I)), per image. A KL weight below 1 (as Rombach et al.'s tiny one)
 * keeps reconstructions sharp; the diffusion then runs on z divided by its measured spread.
 */
import * as T from '../../src/index.js';
import { nn } from '../../src/index.js';
import type { DeviceName, Tensor } from '../../src/index.js';

export const LATENT_CHANNELS = 4;

const conv = (a: number, b: number, k: number, device?: DeviceName, stride = 1) => new nn.Conv2d(a, b, k, { stride, padding: (k - 1) / 2, device });

export class KlAutoencoder extends nn.Module {
  encoder: nn.Sequential;
  decoder: nn.Sequential;

  constructor(width: number, device?: DeviceName) {
    super();
    const silu = () => new nn.SiLU();
    this.encoder = new nn.Sequential(
      conv(1, width, 3, device), silu(), conv(width, 2 * width, 3, device, 2), silu(), conv(2 * width, 2 * width, 3, device, 2), silu(),
      conv(2 * width, 2 * LATENT_CHANNELS, 1, device),
    );
    this.decoder = new nn.Sequential(
      conv(LATENT_CHANNELS, 2 * width, 3, device), silu(), new nn.Upsample({ size: [14, 14] }), conv(2 * width, width, 3, device), silu(),
      new nn.Upsample({ size: [28, 28] }), conv(width, width, 3, device), silu(), conv(width, 1, 3, device),
    );
  }

  /** The posterior's mean and log-variance, each [N, 4, 7, 7]. */
  encode(x: Tensor): { mu: Tensor; logVar: Tensor } {
    const [mu, logVar] = T.split(this.encoder.forward(x), LATENT_CHANNELS, 1);
    // Bounded log-variance: a collapsing posterior cannot overflow exp.
    return { mu: mu!, logVar: T.clamp(logVar!, -20, 10) };
  }

  /** z = μ + σ·ε. */
  sampleLatent(x: Tensor): Tensor {
    const { mu, logVar } = this.encode(x);
    return T.add(mu, T.mul(T.exp(T.mul(logVar, 0.5)), T.randnLike(mu)));
  }

  /** Pixel logits [N, 1, 28, 28] of latents [N, 4, 7, 7]. */
  decode(z: Tensor): Tensor {
    return this.decoder.forward(z);
  }

  /** BCE summed per image + klWeight·KL per image, batch means, for images x in [0, 1]. */
  loss(x: Tensor, klWeight: number): { loss: Tensor; reconstruction: Tensor; kl: Tensor } {
    const { mu, logVar } = this.encode(x);
    const z = T.add(mu, T.mul(T.exp(T.mul(logVar, 0.5)), T.randnLike(mu)));
    const n = x.shape[0]!;
    const reconstruction = T.div(T.bceWithLogits(this.decode(z), x, { reduction: 'sum' }), n);
    const kl = T.div(T.mul(T.sum(T.sub(T.add(T.square(mu), T.exp(logVar)), T.add(logVar, 1))), 0.5), n);
    return { loss: T.add(reconstruction, T.mul(kl, klWeight)), reconstruction, kl };
  }
}
