/**
 * A model built from a checkpoint as an EvaluableModel: `sample(n, { labels })` mapped from the
 * entry's `dataRange` to [0, 1], the requested labels for models that train on labels,
 * `logLikelihood` on held-out images in the model's range, and the latent path (for PPL) of the
 * models whose samples are a network of a Gaussian code. A model trained on a task translates the
 * held-out digits' records (`sample(n, { sources })`), not the few sources it keeps.
 */
import * as T from '../index.js';
import type { DeviceName, Tensor } from '../index.js';
import type { EvaluableModel } from '../metrics/evaluate.js';
import type { LatentPath } from '../metrics/ppl.js';
import type { Batch, GenerativeModel, ModelEntry, StyleGenerator } from '../../models/index.js';
import { samplingGenerator, type UnconditionalGan } from '../../models/blocks/gan.js';
import { rangeTransform, uploadedTaskRecord } from './shared.js';

/** [lo, hi] -> [0, 1], clamped (a tanh output can round past its range). */
function toUnit(images: Tensor, range: readonly [number, number]): Tensor {
  return T.tidy(() => T.clamp(T.div(T.sub(images, range[0]), range[1] - range[0]), 0, 1));
}

async function onCpu(t: Tensor): Promise<Tensor> {
  if (t.device === 'cpu') return t;
  const moved = await t.to('cpu');
  t.dispose();
  return moved;
}

/**
 * The models whose `sample` is one network applied to z ~ N(0, I), and that network (images in
 * the entry's range). The conditional GANs also take a label and the autoencoders sample codes
 * from a fitted prior, so PPL along an N(0, I) slerp would not follow their sampling path.
 */
const LATENT_PATHS: Record<string, (model: GenerativeModel) => { dim: number; decode(z: Tensor): Tensor }> = {
  gan: (m) => generatorPath(m),
  dcgan: (m) => generatorPath(m),
  vae: (m) => {
    const vae = m as unknown as { config: { latent: number }; decode(z: Tensor): Tensor };
    return { dim: vae.config.latent, decode: (z) => T.sigmoid(vae.decode(z)) };
  },
};

/** The generator that `sample` draws from: its EMA where the model keeps one. */
function generatorPath(m: GenerativeModel) {
  const gan = m as unknown as UnconditionalGan & { config: { zDim: number } };
  const g = samplingGenerator(gan);
  return { dim: gan.config.zDim, decode: (z: Tensor) => g.forward(z) };
}

/**
 * StyleGAN's PPL in w, as its paper reports it: z -> w by the EMA generator's mapping, then lerp in
 * w and the synthesis of w at every layer without noise, as the reference's constant noise (the
 * sampled endpoints need zDim = wDim).
 */
function styleganPath(model: GenerativeModel, range: readonly [number, number], device: DeviceName): LatentPath | undefined {
  const g = (model as unknown as { ema: StyleGenerator }).ema;
  const { zDim, wDim } = g.config;
  if (zDim !== wDim) return undefined;
  const codes = (values: Float64Array, n: number) => T.tensor(Float32Array.from(values), { shape: [n, wDim], device });
  return {
    dim: wDim,
    space: 'w',
    async sample(z, n) {
      const input = codes(z, n);
      const w = T.noGrad(() => g.map(input));
      const out = Float64Array.from(await w.data());
      for (const t of [input, w]) t.dispose();
      return out;
    },
    async decode(values, n) {
      const w = codes(values, n);
      const images = T.noGrad(() => T.tidy(() => toUnit(g.synthesize(g.broadcast(w), false), range)));
      w.dispose();
      return onCpu(images);
    },
  };
}

function latentPathOf(entry: ModelEntry, model: GenerativeModel, device: DeviceName): LatentPath | undefined {
  if (entry.name === 'stylegan') return styleganPath(model, entry.dataRange, device);
  const path = LATENT_PATHS[entry.name]?.(model);
  if (!path) return undefined;
  const range = entry.name === 'vae' ? ([0, 1] as const) : entry.dataRange;
  return {
    dim: path.dim,
    space: 'z',
    async decode(codes, n) {
      const z = T.tensor(Float32Array.from(codes), { shape: [n, path.dim], device });
      const images = T.noGrad(() => T.tidy(() => toUnit(path.decode(z), range)));
      z.dispose();
      return onCpu(images);
    },
  };
}

/**
 * A task entry's sources: records of `images` (the held-out digits, [N, 1, H, W] in [0, 1] on the
 * CPU, with their `labels` where the task names the class) taken in order by windows of 2m, cycling, the window's start as the task's seed. The
 * window is twice the m asked for because an unpaired task's domain a is its first half; each
 * held-out digit is a source once before any repeats.
 */
function heldOutSources(entry: ModelEntry, config: object, images: Tensor, device: DeviceName, labels?: Tensor): (m: number) => Promise<Batch> {
  const total = images.shape[0]!;
  let cursor = 0;
  return async (m) => {
    const order = Int32Array.from({ length: 2 * m }, (_, i) => (cursor + i) % total);
    const [window, windowLabels] = T.tidy(() => {
      const index = T.tensor(order, { shape: [2 * m], dtype: 'int32' });
      return [T.indexSelect(images, 0, index), labels && T.indexSelect(labels, 0, index)] as const;
    });
    const record = await uploadedTaskRecord(entry, config, window, cursor, device, windowLabels);
    window.dispose();
    windowLabels?.dispose();
    cursor = (cursor + m) % total;
    return record;
  };
}

/**
 * `fn` of images [N, C, H, W] in [0, 1] mapped to the model's `range` on `device`. The copies made
 * for it are freed after; the caller's images never are (the map is the identity for [0, 1] data).
 */
async function inModelRange<R>(images: Tensor, range: readonly [number, number], device: DeviceName, fn: (x: Tensor) => R): Promise<R> {
  const scaled = T.tidy(() => rangeTransform(range)(images));
  const x = await scaled.to(device);
  try {
    return fn(x);
  } finally {
    for (const t of new Set([scaled, x])) if (t !== images) t.dispose();
  }
}

/**
 * `importanceSamples`: k for models whose `logLikelihood` takes `{ samples }` (the VAE's
 * importance-weighted bound; k = 1 is the ELBO). A task entry translates records of the `heldOut`
 * images (and their `heldOutLabels`).
 */
export function evaluableModel(entry: ModelEntry, model: GenerativeModel, config: object, device: DeviceName, importanceSamples?: number, heldOut?: Tensor, heldOutLabels?: Tensor): EvaluableModel {
  // Batch norm's running statistics, no dropout: as `sample` draws.
  model.eval();
  const range = entry.dataRange;
  // A task's labels (StarGAN's domains) are not digit classes to ask for.
  const conditional = entry.fields.includes('labels') && !entry.task;
  const sources = entry.task && heldOut ? heldOutSources(entry, config, heldOut, device, heldOutLabels) : undefined;
  const classes = conditional ? ((config as { classes?: number }).classes ?? 10) : undefined;
  const out: EvaluableModel = {
    classes,
    latentPath: latentPathOf(entry, model, device),
    async generate(n, labels) {
      const y = labels && conditional ? T.tensor(labels, { shape: [n], dtype: 'int32', device }) : undefined;
      const record = await sources?.(n);
      const images = T.noGrad(() => T.tidy(() => toUnit(model.sample(n, { ...(y ? { labels: y } : {}), ...(record ? { sources: record } : {}) }), range)));
      y?.dispose();
      for (const t of Object.values(record ?? {})) t?.dispose();
      return onCpu(images);
    },
  };
  if (model.reconstruct) {
    out.reconstruct = async (images) => {
      const rebuilt = await inModelRange(images, range, device, (x) => T.noGrad(() => T.tidy(() => toUnit(model.reconstruct!(x), range))));
      return onCpu(rebuilt);
    };
  }
  if (model.logLikelihood) {
    const k = importanceSamples;
    // The VAE's and the dVAE's likelihoods are bounds (the VAE's tightens with k samples); the others' exact.
    out.likelihoodKind = entry.name === 'vae' ? (k && k > 1 ? `-IW bound (k=${k})` : '-ELBO') : entry.name === 'dvae' ? '-ELBO' : '-log p(x)';
    const withSamples = model.logLikelihood.bind(model) as (batch: { images: Tensor }, options?: { samples?: number }) => Tensor;
    out.logLikelihood = async (images) => {
      const ll = await inModelRange(images, range, device, (x) => T.noGrad(() => withSamples({ images: x }, k ? { samples: k } : undefined)));
      const values = Float64Array.from(await ll.data());
      ll.dispose();
      return values;
    };
  }
  return out;
}
