/**
 * `genlab train <model>`: train a registered model on a dataset with a progress bar, sample grids
 * every N steps, and a checkpoint at the end or on Ctrl-C that `--resume` continues exactly.
 *
 * Exact resumption: the data order is a pure function of (seed, epoch), the global generator is
 * reseeded from (seed, step) before every step, and the optimizer state is in the checkpoint, so
 * N steps + resume + M steps gives the same weights as N + M steps in one run.
 */
import { join } from 'node:path';
import * as T from '../index.js';
import type { DeviceName, Tensor } from '../index.js';
import { DataLoader } from '../io/dataloader.js';
import { loadCheckpoint, readCheckpointInfo, saveCheckpoint } from '../io/checkpoint.js';
import { checkLabels, type ImageDataset } from '../io/dataset.js';
import { loadDataset, selectClasses } from '../io/datasets.js';
import { loadTrainAndHeldOut } from '../io/held-out.js';
import { subset } from '../io/split.js';
import { saveImageGrid } from '../io/png.js';
import { generatorOf, getModel, type Batch, type ModelEntry } from '../../models/index.js';
import { describedModel, loadModel } from './load-model.js';
import { chooseDevice, hasHardwareGpu } from './device.js';
import { trainingEvaluator } from './train-eval.js';
import { createProgress } from './progress.js';
import { CONFIG_KEY, DATA_KEY, MODEL_KEY, PROTOCOL_KEY, PROTOCOL_VERSION, rangeTransform, uploadedTaskRecord } from './shared.js';
import { ArgumentError } from '../errors.js';
import { applyConfig } from './config.js';
import { claimRunDir, guardCheckpoint, newRunId, resumeCheckpoint, runDirOf, saveTarget } from './run-dir.js';

export { applyConfig } from './config.js';

export interface TrainArgs {
  model: string;
  data?: string;
  steps?: number;
  epochs?: number;
  batch?: number;
  lr?: number;
  seed?: number;
  device?: string;
  /** The run directory (default: the resumed run's, else runs/<model>). */
  out?: string;
  resume?: string;
  /** Replace a checkpoint of another run under `out`. */
  force?: boolean;
  sampleEvery?: number;
  limit?: number;
  /** Keep only the images with these labels. */
  classes?: number[];
  /** Overrides of the model's configuration, as typed on the command line (see `applyConfig`). */
  config?: Record<string, string>;
  /** Steps between FID evaluations during training (0 or absent: none; see train-eval.ts). */
  evalEvery?: number;
  /** Samples per evaluation during training (default 1,000). */
  evalN?: number;
}

/** What a checkpoint stores to resume a run (JSON in its optimizer file). */
interface RunState extends Record<string, unknown> {
  step: number;
  totalSteps: number;
  seed: number;
  batch: number;
  data: string;
  limit: number | null;
  classes?: number[] | null;
  /** The device the run trained on: a resumed run keeps it instead of timing the devices again. */
  device?: string;
  /** Whether the run leaves out the held-out part `genlab eval` measures against (absent in older runs: they did not). */
  heldOut?: boolean;
  /** Identifies the run across resumes, so it never replaces another run's checkpoint. */
  runId?: string;
}

const SAMPLE_COUNT = 64;
/** Loss reads force a device round trip: at most this often. */
const READ_INTERVAL_MS = 250;

/** Seed of step `step`'s generator: one stream per (seed, step), independent of what ran before. */
const stepSeed = (seed: number, step: number) => seed * 1_000_000 + step;

export async function train(args: TrainArgs): Promise<number> {
  const entry = getModel(args.model);
  const resumeFrom = args.resume === undefined ? undefined : resumeCheckpoint(args.resume);
  const resumed = resumeFrom ? loadRunState(resumeFrom, entry) : null;
  // A resumed run continues in its own directory unless told otherwise.
  const out = args.out ?? (resumeFrom ? runDirOf(resumeFrom) : join('runs', entry.name));
  const run: RunState = {
    step: resumed?.state.step ?? 0,
    totalSteps: 0,
    seed: args.seed ?? resumed?.state.seed ?? 0,
    batch: args.batch ?? resumed?.state.batch ?? entry.training.batch,
    data: args.data ?? resumed?.state.data ?? 'mnist',
    limit: args.limit ?? resumed?.state.limit ?? null,
    classes: args.classes ?? resumed?.state.classes ?? null,
    heldOut: resumed ? (resumed.state.heldOut ?? false) : true,
    runId: resumed?.state.runId ?? newRunId(),
  };
  guardCheckpoint(out, run.runId!, resumeFrom, args.force ?? false);
  const releaseOut = claimRunDir(out, run.runId!);
  const overrides = args.config ?? {};
  if (resumed && Object.keys(overrides).length > 0) throw new ArgumentError('--config cannot change the configuration of a resumed run (it is in the checkpoint)');
  // Without a hardware GPU, a run that names no configuration and no length is the model's lighter one.
  const light = entry.withoutGpu && !resumed && Object.keys(overrides).length === 0 && args.steps === undefined && args.epochs === undefined
    && !(await hasHardwareGpu(args.device)) ? entry.withoutGpu : undefined;
  const config = resumed?.config ?? applyConfig(entry, overrides, { ...entry.config, ...light?.config });
  const lr = args.lr ?? entry.training.lr;
  if (light) {
    const flags = (cfg: Record<string, unknown>, steps: number) => [...Object.keys(light.config ?? {}).map((k) => `--config ${k}=${String(cfg[k])}`), `--steps ${steps}`].join(' ');
    console.log(`No hardware GPU: the lighter default run (${flags(config as Record<string, unknown>, light.steps ?? entry.training.steps)}); the full run is ${flags(entry.config as Record<string, unknown>, entry.training.steps)}`);
  }

  const dataset = trainingData(run);
  const count = dataset.images.shape[0]!;
  if (count < run.batch) {
    // The full-batch fits (gmm, hmm: a batch of 10,000) meet 9,000 digits once the held-out 1,000 are out.
    if (args.batch !== undefined || resumed) throw new ArgumentError(`the dataset has ${count} images, fewer than one batch of ${run.batch}`);
    console.log(`The dataset has ${count} images, fewer than ${entry.name}'s batch of ${run.batch}: batches of ${count}.`);
    run.batch = count;
  }
  // A task entry's records are made from the images alone; the others read the dataset's fields.
  const task = entry.task !== undefined;
  const classes = (config as { classes?: unknown }).classes;
  if (!task && dataset.labels && entry.fields.includes('labels') && typeof classes === 'number') checkLabels(dataset.labels, classes, run.data);
  const missing = task ? [] : entry.fields.filter((f) => !(f === 'images' || (f === 'labels' && dataset.labels)));
  if (missing.length > 0) throw new ArgumentError(`${entry.name} trains on batches with ${entry.fields.join(', ')}, but ${run.data} has no ${missing.join(', ')}`);
  const transform = rangeTransform(entry.dataRange);
  // One batch to time a training step on, as the record the model reads.
  const probe = task
    ? await uploadedTaskRecord(entry, config, T.slice(dataset.images, [{ stop: run.batch }]), 0, 'cpu', dataset.labels && T.slice(dataset.labels, [{ stop: run.batch }]))
    // Copies: a batch as large as the dataset slices to the dataset's own tensors, which must outlive the probe.
    : T.tidy(() => batchRecord(entry, T.clone(transform(T.slice(dataset.images, [{ stop: run.batch }]))), dataset.labels && T.clone(T.slice(dataset.labels, [{ stop: run.batch }]))));
  const device = await resumedOrChosenDevice(args.device, resumed?.state.device, entry, config, lr, probe);
  run.device = device;
  disposeRecord(probe);

  T.manualSeed(run.seed);
  const model = entry.build(config, device);
  const training = entry.train(model, { lr });
  if (resumeFrom) {
    // A checkpoint from before protocol v2 may lack buffers v2 added: loadModel checks that nothing else differs.
    const current = resumed!.metadata[PROTOCOL_KEY] !== undefined;
    if (!current) {
      const old = loadModel(resumeFrom, 'cpu');
      for (const note of old.notes) console.log(note);
      old.model.dispose();
    }
    loadCheckpoint(resumeFrom, { module: model, optimizers: training.optimizers, strict: current });
    // The optimizer state carries the old learning rate; an explicit --lr overrides it.
    if (args.lr !== undefined) for (const o of Object.values(training.optimizers)) for (const g of o.paramGroups) g.lr = args.lr;
  }
  // A task's records are made on the host from raw images, then uploaded.
  const loader = new DataLoader(dataset, { batchSize: run.batch, shuffle: true, seed: run.seed, dropLast: true, ...(task ? { device: 'cpu' } : { device, transform }) });
  run.totalSteps = args.steps ?? (args.epochs !== undefined ? args.epochs * loader.length : (resumed?.state.totalSteps ?? light?.steps ?? entry.training.steps));
  const sampleEvery = args.sampleEvery ?? light?.sampleEvery ?? entry.training.sampleEvery;
  // The grid's real images (for models whose picture is a reconstruction), fixed for the run.
  const shown = task ? T.slice(dataset.images, [{ stop: SAMPLE_COUNT }]) : await T.slice(dataset.images, [{ stop: SAMPLE_COUNT }]).to(device);
  const previewBatch = task
    ? await uploadedTaskRecord(entry, config, shown, run.seed, device, dataset.labels && T.slice(dataset.labels, [{ stop: SAMPLE_COUNT }]))
    : T.tidy(() => batchRecord(entry, transform(shown), dataset.labels && T.slice(dataset.labels, [{ stop: SAMPLE_COUNT }])));
  if (!Object.values(previewBatch).includes(shown)) shown.dispose();

  const params = model.parameters().reduce((n, p) => n + p.size, 0);
  console.log(`${entry.name}: ${params.toLocaleString('en-US')} parameters on ${device}; ${count} images from ${run.data}${run.classes ? ` (classes ${run.classes.join(',')})` : ''}, batch ${run.batch}, ${loader.length} steps per epoch${run.heldOut ? '; its held-out part is left for genlab eval' : ''}`);
  if (run.step > 0) console.log(`resuming from step ${run.step} of ${resumeFrom}`);
  if (run.step >= run.totalSteps) console.log(`nothing to do: the run is at step ${run.step} of ${run.totalSteps}`);
  const evaluator = args.evalEvery ? await trainingEvaluator(entry, model, config, device, run.data, out, args.evalN ?? 1000, console.log) : undefined;

  // SIGINT (Ctrl-C) and SIGTERM (kill, a job scheduler) both stop after the current step and save; a second one exits at once.
  let interrupted: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(signal === 'SIGTERM' ? 143 : 130);
    interrupted = signal;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = createProgress(run.totalSteps, run.step);
  const writeSamples = async (step: number) => {
    const images = model.preview ? model.preview(previewBatch) : generatorOf(model, entry.name).sample(SAMPLE_COUNT);
    const path = join(out, 'samples', `step-${String(step).padStart(6, '0')}.png`);
    await saveImageGrid(path, images, { range: entry.dataRange, nrow: 8 });
    images.dispose();
    progress.log(`wrote ${path}`);
  };

  let lastLoss: Tensor | null = null;
  let lossText = '-';
  let lastRead = 0;
  const t0 = performance.now();
  const firstStep = run.step;
  // A step that throws (a lost device, a backend error) still leaves the steps before it saved.
  let failure: unknown = null;
  try {
    while (run.step < run.totalSteps && !interrupted) {
      const step = run.step;
      T.manualSeed(stepSeed(run.seed, step));
      using batch = loader.batch(Math.floor(step / loader.length), step % loader.length);
      // A task's record is seeded by the step, so a resumed run makes the same ones.
      const record = task ? await uploadedTaskRecord(entry, config, batch.images, stepSeed(run.seed, step), device, batch.labels) : batchRecord(entry, batch.images, batch.labels);
      const losses = training.step(record, { step, totalSteps: run.totalSteps });
      if (task) disposeRecord(record);
      const [first, ...rest] = Object.values(losses);
      for (const l of rest) l.dispose();
      lastLoss?.dispose();
      lastLoss = first ?? null;
      run.step++;
      const now = performance.now();
      if (lastLoss && (now - lastRead > READ_INTERVAL_MS || run.step === run.totalSteps)) {
        lossText = (await lastLoss.item()).toFixed(4);
        lastRead = performance.now();
      }
      const rate = (run.step - firstStep) / ((performance.now() - t0) / 1000);
      progress.update(run.step, { loss: lossText, rate: rate.toFixed(1) });
      if (sampleEvery > 0 && run.step % sampleEvery === 0) await writeSamples(run.step);
      if (evaluator && run.step % args.evalEvery! === 0) progress.log(await evaluator.at(run.step));
      // Let a pending Ctrl-C be delivered between steps (the loop is otherwise synchronous on the CPU).
      await new Promise((resolve) => setImmediate(resolve));
    }
  } catch (e) {
    failure = e;
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    lastLoss?.dispose();
  }

  const ran = run.step - firstStep;
  if (ran > 0 && !failure) {
    const seconds = (performance.now() - t0) / 1000;
    console.log(`${ran} steps in ${seconds.toFixed(1)} s (${(ran / seconds).toFixed(1)} steps/s on ${device}), final loss ${lossText}`);
    if (sampleEvery <= 0 || run.step % sampleEvery !== 0) await writeSamples(run.step);
  }
  const cleanUp = () => {
    model.dispose();
    for (const o of Object.values(training.optimizers)) o.dispose();
    disposeRecord(previewBatch);
    releaseOut();
  };
  if (failure && ran === 0) {
    cleanUp();
    throw failure;
  }
  const checkpointDir = saveTarget(out, run.runId!, resumeFrom, args.force ?? false);
  await saveCheckpoint(checkpointDir, {
    module: model,
    optimizers: training.optimizers,
    metadata: { [MODEL_KEY]: entry.name, [CONFIG_KEY]: JSON.stringify(config), [DATA_KEY]: run.data, [PROTOCOL_KEY]: PROTOCOL_VERSION },
    trainingState: run,
  });
  if (failure) {
    // The failed step ran no optimizer update when it threw before one (forward, backward); inside one, some weights may have moved.
    console.log(`step ${run.step + 1} failed; saved the run as of step ${run.step} to ${checkpointDir} (continue with \`genlab train ${entry.name} --resume ${checkpointDir}\`)`);
    cleanUp();
    throw failure;
  }
  console.log(`saved checkpoint ${checkpointDir} (step ${run.step})`);
  cleanUp();
  if (!interrupted) return 0;
  console.log(`interrupted (${interrupted}): continue with \`genlab train ${entry.name} --resume ${checkpointDir}\``);
  return interrupted === 'SIGTERM' ? 143 : 130;
}

/** The device asked for; else the one a resumed run trained on, if it is here; else the fastest found. */
async function resumedOrChosenDevice(requested: string | undefined, previous: string | undefined, ...rest: ChooseArgs): Promise<DeviceName> {
  if (requested !== undefined || previous === undefined) return chooseDevice(requested, ...rest, console.log);
  try {
    const device = await chooseDevice(previous, ...rest, () => undefined);
    console.log(`Resuming on ${device}, the run's device (--device changes it).`);
    return device;
  } catch (e) {
    console.log(`The run's device ${previous} is not available here (${(e as Error).message.split('\n')[0]}); choosing again.`);
    return chooseDevice(undefined, ...rest, console.log);
  }
}

type ChooseArgs = [entry: ModelEntry, config: object, lr: number, probe: Batch];

function loadRunState(dir: string, entry: ModelEntry): { state: RunState; config: object; metadata: Record<string, string> } {
  const { metadata, trainingState } = readCheckpointInfo(dir);
  const described = describedModel(metadata, dir);
  if (described.entry !== entry) throw new ArgumentError(`${dir} is a checkpoint of '${described.entry.name}', not '${entry.name}'`);
  return { state: trainingState as RunState, config: described.config, metadata };
}

/**
 * The images a run trains on. A new run leaves out the held-out part that `genlab eval` measures
 * against (io/held-out.ts: for the embedded digits a stratified 1,000, 100 a class; for
 * Fashion-MNIST its test split), so that evaluation never sees training images. Runs saved
 * before this (no `heldOut` in their state) resume on what they started with.
 */
function trainingData(run: RunState): ImageDataset {
  const opts = { limit: run.limit ?? undefined, classes: run.classes ?? undefined };
  if (!run.heldOut) return loadDataset(run.data, opts);
  const { train, heldOut } = loadTrainAndHeldOut(run.data);
  heldOut.images.dispose();
  heldOut.labels?.dispose();
  if (opts.classes) return selectClasses(train, opts.classes, { limit: opts.limit, source: run.data });
  const n = train.images.shape[0]!;
  if (opts.limit === undefined || opts.limit >= n) return train;
  const first = subset(train, Int32Array.from({ length: opts.limit }, (_, i) => i));
  train.images.dispose();
  train.labels?.dispose();
  return first;
}

/** The batch record a model reads: the fields it declares, from a dataset's images and labels. */
export function batchRecord(entry: ModelEntry, images: Tensor, labels?: Tensor | null): Batch {
  return entry.fields.includes('labels') && labels ? { images, labels } : { images };
}

function disposeRecord(batch: Batch): void {
  for (const t of Object.values(batch)) t?.dispose();
}
