/**
 * One model in the worker: built (or loaded) on a device, trained step by step as `genlab train`
 * trains it (a DataLoader on the device, the data scaled to the model's range, the generator
 * reseeded per step), its sample grid and preview painted, its checkpoint encoded.
 */
import * as T from '../src/index.js';
import { io, type DeviceName, type Tensor } from '../src/index.js';
import { isOptimizerFile, optimizerStateOf, parseJsonMetadata, serializeOptimizerFile, STEP_KEY, TRAINING_KEY } from '../src/io/optimizer-file.js';
import { rangeTransform, uploadedTaskRecord } from '../src/cli/shared.js';
import { isEncoder, type Batch, type Model, type ModelEntry, type Training } from '../models/index.js';
import { encodeModelFile } from './checkpoint.js';
import type { TrainingData } from './data.js';
import type { FromWorker, GridKind } from './messages.js';

const SAMPLE_COUNT = 64;
/** Loss reads stall a GPU's queue: there, at most this often (every step on the CPU and wasm). */
const GPU_READ_INTERVAL_MS = 100;

export type Post = (message: FromWorker, transfer?: Transferable[]) => void;

/** What the page asked for, honoured between steps. */
export interface Control {
  paused: boolean;
  stopped: boolean;
  sampleRequested: boolean;
  /** Let queued messages run; while paused, park until resumed or stopped. */
  between(): Promise<void>;
}

/** The batch record a model reads: the fields it declares (as `genlab train` builds it). */
export function batchRecord(entry: ModelEntry, images: Tensor, labels?: Tensor | null): Batch {
  return entry.fields.includes('labels') && labels ? { images, labels } : { images };
}

/** Seed of step `step`'s generator, as in `genlab train`: one stream per (seed, step). */
const stepSeed = (seed: number, step: number) => seed * 1_000_000 + step;

/**
 * What the optimizer file records of a run, as `genlab train` records it, so `genlab train
 * --resume` continues a run of the page (the page trains with the command line's defaults: every
 * image but the held-out part, no class selection).
 */
export interface RunRecord {
  step: number;
  totalSteps: number;
  seed: number;
  batch: number;
}

export class ModelRun {
  step = 0;
  seed = 0;
  batch = 0;
  totalSteps = 0;
  /** The optimizers, kept between runs so that continuing keeps their state; null until trained or loaded. */
  private training: Training | null = null;
  private previewBatch: Batch | null = null;

  constructor(readonly entry: ModelEntry, readonly config: object, readonly model: Model, readonly device: DeviceName, public data: string) {}

  /** Show the first images of `data` in the preview (reconstructions, translations). */
  async setPreviewData(data: TrainingData): Promise<void> {
    this.disposePreview();
    const n = Math.min(SAMPLE_COUNT, data.images.shape[0]!);
    if (this.entry.task) {
      // A translation model's preview: the task's record of the first images (seed 0), made on the host.
      const images = T.slice(data.images, [{ stop: n }]);
      const labels = data.labels ? T.slice(data.labels, [{ stop: n }]) : undefined;
      this.previewBatch = await uploadedTaskRecord(this.entry, this.config, images, 0, this.device, labels);
      for (const t of [images, labels]) if (t && t !== data.images && t !== data.labels) t.dispose();
      return;
    }
    const toDevice = (t: Tensor) => T.tidy(() => T.slice(t, [{ stop: n }])).to(this.device);
    const shown = await toDevice(data.images);
    const labels = data.labels ? await toDevice(data.labels) : undefined;
    const images = T.tidy(() => rangeTransform(this.entry.dataRange)(shown));
    if (images !== shown) shown.dispose();
    this.previewBatch = batchRecord(this.entry, images, labels);
    if (labels && this.previewBatch.labels !== labels) labels.dispose();
  }

  get wantsPreviewData(): boolean {
    return !!this.model.preview && !this.previewBatch;
  }

  /** Paint the sample grid (and the preview, where the model has one) and post them. */
  async postGrids(post: Post): Promise<void> {
    const model = this.model;
    // Encoders draw no samples: their picture is the preview (the augmented views they train on).
    const grids: [GridKind, string, () => Tensor][] = isEncoder(model) ? [] : [['samples', 'Samples', () => model.sample(SAMPLE_COUNT)]];
    const batch = this.previewBatch;
    if (this.model.preview && batch) grids.push(['preview', 'Preview (the model on real images)', () => this.model.preview!(batch)]);
    // A diffusion model's preview is its reverse process: a row per sample, from noise x_T to x_0.
    else if (!isEncoder(model) && model.trajectory) grids.push(['preview', 'Denoising trajectory (each row: x_T on the left to x_0)', () => model.trajectory!(SAMPLE_COUNT / 8, 8)]);
    for (const [kind, label, make] of grids) {
      const images = T.noGrad(make);
      try {
        const canvas = new OffscreenCanvas(1, 1);
        await io.drawImageGrid(canvas, images, { range: this.entry.dataRange, nrow: 8 });
        const bitmap = canvas.transferToImageBitmap();
        post({ type: 'grid', kind, step: this.step, bitmap, label }, [bitmap]);
      } finally {
        images.dispose();
      }
    }
  }

  /** The model's training: the kept optimizers with their learning rate set to `lr` (as `--lr` overrides a resumed one), or new ones. */
  trainingAt(lr: number): Training {
    if (!this.training) return (this.training = this.entry.train(this.model, { lr }));
    for (const o of Object.values(this.training.optimizers)) for (const g of o.paramGroups) g.lr = lr;
    return this.training;
  }

  /** Whether the run holds optimizer state (trained here, or loaded from an optimizer file). */
  get hasOptimizers(): boolean {
    return this.training !== null;
  }

  /**
   * Load an optimizer file (`genlab train`'s optimizer.safetensors, or the page's download) into new
   * optimizers; returns the learning rate it holds. Everything is checked before anything loads.
   */
  loadOptimizers(file: io.SafetensorsContents, name: string, modelStep: number): number {
    if (!isOptimizerFile(file)) throw new io.FormatError(`${name}: not an optimizer file (no training state)`);
    if (Number(file.metadata[STEP_KEY]) !== modelStep) throw new io.FormatError(`${name} is from step ${file.metadata[STEP_KEY]} but the model file from step ${modelStep}: they are not one checkpoint`);
    const state = parseJsonMetadata(file.metadata, TRAINING_KEY, name) as Partial<RunRecord>;
    const training = this.entry.train(this.model, { lr: this.entry.training.lr });
    try {
      const states = Object.keys(training.optimizers).map((key) => optimizerStateOf(file, key, name));
      Object.values(training.optimizers).forEach((o, i) => o.loadStateDict(states[i]!));
    } catch (e) {
      for (const o of Object.values(training.optimizers)) o.dispose();
      throw e;
    }
    this.disposeTraining();
    this.training = training;
    this.seed = state.seed ?? 0;
    this.batch = state.batch ?? 0;
    this.totalSteps = state.totalSteps ?? modelStep;
    return Object.values(training.optimizers)[0]?.paramGroups[0]?.lr ?? this.entry.training.lr;
  }

  async postCheckpoint(post: Post): Promise<void> {
    const bytes = await encodeModelFile(this.model, { entry: this.entry, config: this.config, data: this.data, step: this.step });
    const record = { step: this.step, totalSteps: this.totalSteps, seed: this.seed, batch: this.batch, data: this.data, limit: null, classes: null, device: this.device, heldOut: true };
    const optimizer = this.training ? await serializeOptimizerFile(this.training.optimizers, record) : undefined;
    post({ type: 'checkpoint', model: this.entry.name, step: this.step, bytes, optimizer }, [bytes.buffer, ...(optimizer ? [optimizer.buffer] : [])]);
  }

  /** Train `steps` more steps on `data`; grids and a checkpoint every `sampleEvery` and at the end. */
  async train(lr: number, data: TrainingData, opts: { batch: number; steps: number; sampleEvery: number }, control: Control, post: Post): Promise<void> {
    const training = this.trainingAt(lr);
    const seed = this.seed;
    this.batch = opts.batch;
    // A task's records (models/tasks: pairs, domains, captions) are made on the host from raw images, then uploaded, as genlab train makes them.
    const task = this.entry.task;
    const placement = task ? { device: 'cpu' as const } : { device: this.device, transform: rangeTransform(this.entry.dataRange) };
    const loader = new io.DataLoader(data, { batchSize: opts.batch, shuffle: true, seed, dropLast: true, ...placement });
    if (loader.length === 0) throw new T.ArgumentError(`the dataset has ${data.images.shape[0]} images, fewer than one batch of ${opts.batch}`);
    const first = this.step;
    const totalSteps = (this.totalSteps = first + opts.steps);
    let activeMs = 0;
    let lastRead = -Infinity;
    while (this.step < totalSteps && !control.stopped) {
      const t0 = performance.now();
      const step = this.step;
      T.manualSeed(stepSeed(seed, step));
      const batch = loader.batch(Math.floor(step / loader.length), step % loader.length);
      let losses: Record<string, Tensor>;
      let record: Batch | null = null;
      try {
        // A task's record is seeded by the step, so a resumed run makes the same ones.
        record = task ? await uploadedTaskRecord(this.entry, this.config, batch.images, stepSeed(seed, step), this.device, batch.labels) : batchRecord(this.entry, batch.images, batch.labels);
        losses = training.step(record, { step, totalSteps });
      } finally {
        if (task && record) for (const t of Object.values(record)) t?.dispose();
        batch[Symbol.dispose]();
      }
      this.step++;
      try {
        const read = this.device !== 'webgpu' || performance.now() - lastRead > GPU_READ_INTERVAL_MS || this.step === totalSteps;
        if (read) {
          const values = Object.fromEntries(await Promise.all(Object.entries(losses).map(async ([k, t]) => [k, await t.item()] as const)));
          lastRead = performance.now();
          activeMs += lastRead - t0;
          post({ type: 'losses', step: this.step, values, stepsPerSecond: (this.step - first) / (activeMs / 1000) });
        } else {
          activeMs += performance.now() - t0;
        }
      } finally {
        for (const t of Object.values(losses)) t.dispose();
      }
      if ((opts.sampleEvery > 0 && this.step % opts.sampleEvery === 0) || this.step === totalSteps) {
        await this.postGrids(post);
        await this.postCheckpoint(post);
      }
      // A paused run's checkpoint is downloadable at once; the page samples it while parked.
      if (control.paused) await this.postCheckpoint(post);
      await control.between();
      if (control.sampleRequested) {
        control.sampleRequested = false;
        await this.postGrids(post);
      }
    }
    if (control.stopped && this.step < totalSteps && this.step > first) {
      await this.postGrids(post);
      await this.postCheckpoint(post);
    }
  }

  private disposePreview(): void {
    for (const t of Object.values(this.previewBatch ?? {})) t?.dispose();
    this.previewBatch = null;
  }

  private disposeTraining(): void {
    for (const o of Object.values(this.training?.optimizers ?? {})) o.dispose();
    this.training = null;
  }

  dispose(): void {
    this.disposePreview();
    this.disposeTraining();
    this.model.dispose();
  }
}
