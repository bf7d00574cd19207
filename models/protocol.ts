/**
 * The training protocol every model follows: what a model is given (a batch record and the step it
 * is at), what it gives back (losses, samples, a preview, a log-likelihood), and what its registry
 * entry declares (its configuration, training defaults, the lighter run for a machine without a
 * GPU, and the fields of the batch it trains on). The command line, the tests, the benchmarks and
 * the browser playground drive every model through these types alone.
 *
 * Three objects, made in this order:
 * - the entry (`ModelEntry`): data about the model, registered once by its file;
 * - the model (`GenerativeModel`), built from a configuration: a Module that can `sample` with no
 *   optimizer and no data, which is all `genlab sample` and `genlab eval` build;
 * - the training (`Training`), made for a model: its optimizers and one `step(batch, context)`.
 *
 * Representation learners (SimCLR, MoCo, DINO; notes 004 §1) learn features, not a distribution:
 * they are `EncoderModel`s, with `encode` instead of `sample`, and registered like the others.
 */
import type { DeviceName, Tensor, nn, optim } from '../src/index.js';
import type { TaskName } from './tasks/index.js';

/**
 * The fields a batch record can carry. `images` [N, C, H, W] in the entry's `dataRange`, `labels`
 * int32 [N]; translation tasks use `source`/`target` (paired) or `a`/`b` (two unpaired domains),
 * layout and text tasks `labelMap`, `boxes`, `classes` and `tokens`, the instance task the masks of
 * each domain's canvases, `masksA` and `masksB` [N, instances, H, W].
 */
export type BatchField = 'images' | 'labels' | 'source' | 'target' | 'a' | 'b' | 'labelMap' | 'boxes' | 'classes' | 'tokens' | 'masksA' | 'masksB';

/** A batch: named tensors on the training device. Whoever makes a batch disposes it. */
export type Batch = Readonly<Partial<Record<BatchField, Tensor>>>;

/** Where a step is in its run: schedules, annealing, fade-in, lazy regularisation and EMA warm-up read it. */
export interface StepContext {
  /** Steps completed before this one (0 for the first; continues across `--resume`). */
  step: number;
  /** The run's length in steps. */
  totalSteps: number;
}

export interface SampleOptions {
  /** Class labels (int32 [n]) for class-conditional models; by default row r of 8 is class r. */
  labels?: Tensor;
  /** Denoising steps for iterative samplers (DDIM's step count in the diffusion models). */
  steps?: number;
  /**
   * For a model trained on a task (models/tasks): a record of that task (on the model's device,
   * images in its range) whose first `n` sources it translates instead of the sources it keeps;
   * `genlab eval` passes records of the held-out digits.
   */
  sources?: Batch;
}

/**
 * A model built from its configuration. `sample` needs no optimizer and no data; `preview` and
 * `logLikelihood` exist only where they mean something.
 */
export interface GenerativeModel extends nn.Module {
  /** `n` fresh samples [n, C, H, W] in the entry's `dataRange` (the module's training mode is left as it was). */
  sample(n: number, options?: SampleOptions): Tensor;
  /**
   * An iterative sampler's path (the diffusion models): one row of `columns` images per sample, from
   * the starting noise x_T on the left to the sample x_0 on the right, in `dataRange`.
   */
  trajectory?(n: number, columns?: number): Tensor;
  /**
   * A picture of the model at work on real data, for models whose sample grid is a
   * reconstruction or a translation (autoencoders, translation GANs); images in `dataRange`.
   */
  preview?(batch: Batch): Tensor;
  /**
   * log p(x) per example in nats [N] (a lower bound where exact is intractable, as the ELBO), for
   * models with a likelihood. Images in `dataRange`.
   */
  logLikelihood?(batch: Batch): Tensor;
  /**
   * The model's reconstruction of images [N, C, H, W] (autoencoders: decode(encode(x)), the
   * posterior mean for the VAE), both in `dataRange`; `genlab eval` reports its held-out error.
   */
  reconstruct?(images: Tensor): Tensor;
}

/**
 * A model that learns a representation of images instead of their distribution (the
 * self-supervised encoders of notes 004 §1). It has no `sample`: `genlab eval` judges it by a
 * linear probe and a k-NN classifier on `encode`'s features, and its training grid is `preview`.
 */
export interface EncoderModel extends nn.Module {
  /** Length of a feature vector. */
  readonly featureDim: number;
  /** Features [N, featureDim] of images [N, C, H, W] in the entry's `dataRange` (the representation, before any projection head). */
  encode(images: Tensor): Tensor;
  /** The augmented views the encoder trains on, of the batch's images: [N, C, H, W] in `dataRange`. */
  preview(batch: Batch): Tensor;
}

/** Any model an entry builds: a generative model or an encoder. */
export type Model = GenerativeModel | EncoderModel;

/** Whether `model` is an encoder (has `encode` and no `sample`). */
export function isEncoder(model: Model): model is EncoderModel {
  return typeof (model as EncoderModel).encode === 'function' && typeof (model as GenerativeModel).sample !== 'function';
}

/** A model's optimizers and its training step. */
export interface Training {
  /** By name: saved in and restored from the checkpoint's optimizer file. */
  readonly optimizers: Record<string, optim.Optimizer>;
  /**
   * One optimisation step on a batch; returns scalar losses by name, the first being the one to
   * watch. The caller disposes them.
   */
  step(batch: Batch, context: StepContext): Record<string, Tensor>;
}

export interface TrainingDefaults {
  batch: number;
  lr: number;
  steps: number;
  /** Steps between sample grids. */
  sampleEvery: number;
}

/** A run's length and configuration where it differs from the entry's defaults. */
export interface RunPreset<C> {
  config?: Partial<C>;
  steps?: number;
  sampleEvery?: number;
}

/** Allowed values of a configuration's string keys (checked by `--config`, listed by `genlab info`). */
export type ConfigChoices<C> = { [K in keyof C]?: readonly string[] };

export interface ModelEntry<C extends object = object, M extends Model = Model> {
  name: string;
  /** One line for `genlab info` and `--help`. */
  description: string;
  /** Where in the lecture notes the model comes from, e.g. 'notes 002 §3.1'. */
  notes: string;
  /** The pixel range the model trains and samples in: data are scaled to it. */
  dataRange: readonly [number, number];
  /** The fields of the batch record a training step reads. */
  fields: readonly BatchField[];
  /**
   * For models trained on a synthetic task (models/tasks): the task its configuration names. Its
   * batch records are then made from the dataset's images by the task, and `fields` are the task's.
   */
  task?: (config: C) => TaskName;
  /**
   * The devices the model can train on, when not all: the classical models fit in float64 on the
   * host and read their batches synchronously, so they need the CPU backend.
   */
  devices?: readonly DeviceName[];
  /** The default configuration (saved in checkpoints, so `genlab sample` rebuilds the same model). */
  config: C;
  choices?: ConfigChoices<C>;
  training: TrainingDefaults;
  /**
   * The run `genlab train <name>` makes on a machine without a hardware GPU when the command sets
   * neither --config nor the run's length: the full configuration can take hours on two CPU
   * cores, this one finishes in minutes.
   */
  withoutGpu?: RunPreset<C>;
  build(config: C, device: DeviceName): M;
  train(model: M, opts: { lr: number }): Training;
}
