/**
 * The playground's training worker: every tensor lives here, so the page never blocks. WebGPU
 * when the browser has an adapter (navigator.gpu works in workers), else the wasm backend, whose
 * own threads share its memory when the page is cross-origin isolated.
 */
import * as T from '../src/index.js';
import type { DeviceName } from '../src/index.js';
import { applyConfig } from '../src/cli/config.js';
import { getModel, listModels, type ModelEntry } from '../models/index.js';
import { isOptimizerFile } from '../src/io/optimizer-file.js';
import { decodeModelFile } from './checkpoint.js';
import { loadTrainingData, type TrainingData } from './data.js';
import { evaluateRun } from './evaluate.js';
import type { DataSpec, DeviceChoice, FromWorker, ModelInfo, ToWorker, TrainRequest } from './messages.js';
import { ModelRun, type Control } from './model-run.js';

const scope = self as unknown as { postMessage(m: FromWorker, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent<ToWorker>) => void) | null };
const post = (message: FromWorker, transfer: Transferable[] = []) => scope.postMessage(message, transfer);

let webgpu: string | null = null;
let current: ModelRun | null = null;
let running = false;
let mnist: Promise<TrainingData> | null = null;
/** The last uploaded files' data (freed when other files come). */
let upload: { key: string; data: Promise<TrainingData> } | null = null;
/** Resolves the parked loop of a paused run. */
let wake: (() => void) | null = null;
const control: Control = {
  paused: false,
  stopped: false,
  sampleRequested: false,
  async between() {
    // A message to ourselves runs after the page's queued messages (setTimeout would be clamped to 4 ms).
    await new Promise<void>((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => resolve();
      channel.port2.postMessage(null);
    });
    while (this.paused && !this.stopped) await new Promise<void>((resolve) => (wake = resolve));
  },
};

function modelInfo(e: ModelEntry): ModelInfo {
  return {
    name: e.name, description: e.description, notes: e.notes, config: e.config as Record<string, unknown>,
    choices: (e.choices ?? {}) as Record<string, readonly string[]>, training: e.training,
    withoutGpu: e.withoutGpu as ModelInfo['withoutGpu'], devices: e.devices,
  };
}

async function start(): Promise<void> {
  let webgpuMissing: string | undefined;
  try {
    webgpu = (await T.initWebGPU()).adapter ?? 'WebGPU';
  } catch (e) {
    webgpuMissing = (e as Error).message.split('\n')[0];
  }
  const wasm = (await T.initWasm()).adapter ?? 'wasm';
  post({ type: 'ready', models: listModels().map(modelInfo), webgpu, webgpuMissing, wasm });
}

/** The device a choice means for `entry`, and why when it is not the one asked for. */
function resolveDevice(choice: DeviceChoice, entry: ModelEntry): { device: DeviceName; note?: string } {
  const wanted: DeviceName = choice === 'auto' ? (webgpu ? 'webgpu' : 'wasm') : choice;
  if (wanted === 'webgpu' && !webgpu) throw new T.DeviceError('WebGPU is not available in this browser: choose wasm');
  if (entry.devices && !entry.devices.includes(wanted)) {
    return { device: entry.devices[0]!, note: `${entry.name} trains on ${entry.devices.join(' or ')} only (float64 on the host): using ${entry.devices[0]}` };
  }
  return { device: wanted };
}

function adapterOf(device: DeviceName): string {
  return T.deviceInfo(device).adapter ?? device;
}

function disposeData(data: TrainingData): void {
  for (const t of [data.images, data.labels, data.heldOut.images, data.heldOut.labels]) t?.dispose();
}

/** Memoised so a run after a failed load tries again. */
function cached(load: () => Promise<TrainingData>, forget: () => void): Promise<TrainingData> {
  const data = load();
  data.catch(forget);
  return data;
}

function dataOf(spec: DataSpec): Promise<TrainingData> {
  if (spec.kind === 'mnist') return (mnist ??= cached(() => loadTrainingData(spec, self.location.href), () => (mnist = null)));
  const key = `${spec.name}:${spec.images.byteLength}:${spec.labels?.byteLength ?? -1}`;
  if (upload?.key !== key) {
    upload?.data.then(disposeData, () => undefined);
    const entry: typeof upload = { key, data: cached(() => loadTrainingData(spec, self.location.href), () => upload === entry && (upload = null)) };
    upload = entry;
  }
  return upload!.data;
}

async function train(req: TrainRequest): Promise<void> {
  const entry = getModel(req.model);
  const { device, note } = resolveDevice(req.device, entry);
  if (note) post({ type: 'state', state: 'training', note });
  const data = await dataOf(req.data);
  // A task model's record is made from the images (and, for some tasks, the labels) by the task: what it needs is checked there.
  const missing = entry.task ? [] : entry.fields.filter((f) => !(f === 'images' || (f === 'labels' && data.labels)));
  if (missing.length > 0) throw new T.ArgumentError(`${entry.name} trains on batches with ${entry.fields.join(', ')}, but ${data.source} has no ${missing.join(', ')}`);
  const resume = req.fromLoaded && current?.entry === entry && current.device === device;
  if (!resume) {
    const config = applyConfig(entry, req.config);
    current?.dispose();
    current = null;
    T.manualSeed(0);
    current = new ModelRun(entry, config, entry.build(config, device), device, data.source);
  }
  const run = current!;
  run.data = data.source;
  await run.setPreviewData(data);
  const parameters = run.model.parameters().reduce((n, p) => n + p.size, 0);
  post({ type: 'started', model: entry.name, device, adapter: adapterOf(device), parameters, images: data.images.shape[0]!, steps: run.step + req.steps, config: run.config as Record<string, unknown> });
  Object.assign(control, { paused: false, stopped: false, sampleRequested: false });
  running = true;
  post({ type: 'state', state: 'training' });
  try {
    await run.train(req.lr, data, { batch: req.batch, steps: req.steps, sampleEvery: req.sampleEvery }, control, post);
  } finally {
    running = false;
  }
  post({ type: 'state', state: control.stopped ? 'stopped' : 'done' });
}

/** A checkpoint from the page's files: a model file, and optionally its optimizer file (told apart by their metadata). */
async function load(msg: Extract<ToWorker, { type: 'load' }>): Promise<void> {
  const fallback = getModel(msg.model);
  const { device, note } = resolveDevice(msg.device, fallback);
  const parsed = msg.files.map((f) => ({ name: f.name, contents: T.io.parseSafetensors(new Uint8Array(f.bytes), { source: f.name }) }));
  try {
    const optimizers = parsed.filter((f) => isOptimizerFile(f.contents));
    const models = parsed.filter((f) => !isOptimizerFile(f.contents));
    if (models.length !== 1 || optimizers.length > 1) {
      throw new T.io.FormatError(`choose one model file and at most one optimizer file, not ${parsed.map((f) => f.name).join(', ')}`);
    }
    const loaded = decodeModelFile(models[0]!.contents, models[0]!.name, device, { entry: fallback, config: applyConfig(fallback, msg.config) });
    const run = new ModelRun(loaded.entry, loaded.config, loaded.model, device, loaded.data);
    run.step = loaded.step;
    let training: { lr: number; batch: number } | undefined;
    try {
      if (optimizers[0]) training = { lr: run.loadOptimizers(optimizers[0].contents, optimizers[0].name, loaded.step), batch: run.batch };
    } catch (e) {
      run.dispose();
      throw e;
    }
    current?.dispose();
    current = run;
    if (current.wantsPreviewData) await current.setPreviewData(await dataOf({ kind: 'mnist' }));
    const notes = [...(note ? [note] : []), ...loaded.notes, optimizers[0] ? `Its optimizer state came with it: continuing resumes the run.` : 'No optimizer file: continuing starts new optimizers from these weights.'];
    post({ type: 'loaded', model: loaded.entry.name, config: loaded.config as Record<string, unknown>, step: loaded.step, device, adapter: adapterOf(device), notes, training });
    await current.postGrids(post);
    await current.postCheckpoint(post);
    post({ type: 'state', state: 'loaded' });
  } finally {
    for (const f of parsed) for (const t of Object.values(f.contents.tensors)) t.dispose();
  }
}

async function evaluate(msg: Extract<ToWorker, { type: 'evaluate' }>): Promise<void> {
  if (!current) throw new T.ArgumentError('nothing to evaluate: train a model or load a checkpoint first');
  post({ type: 'state', state: 'evaluating' });
  const data = await dataOf(msg.data);
  const result = await evaluateRun(current, data, { n: msg.n, featureNet: msg.featureNet, seed: msg.seed, base: self.location.href });
  post({ type: 'evaluation', text: result.text, report: result.report });
  post({ type: 'state', state: 'evaluated' });
}

const fail = (e: unknown) => {
  running = false;
  const err = e as Error;
  post({ type: 'error', message: `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}` });
  post({ type: 'state', state: 'failed' });
};

scope.onmessage = ({ data: msg }) => {
  switch (msg.type) {
    case 'train':
      if (!running) train(msg).catch(fail);
      break;
    case 'load':
      if (!running) load(msg).catch(fail);
      break;
    case 'evaluate':
      if (!running) evaluate(msg).catch(fail);
      break;
    case 'pause':
      control.paused = true;
      post({ type: 'state', state: 'paused' });
      break;
    case 'resume':
    case 'stop':
      control.paused = false;
      if (msg.type === 'stop') control.stopped = true;
      else post({ type: 'state', state: 'training' });
      wake?.();
      wake = null;
      break;
    case 'sample':
      // A running loop samples between two steps; a parked or finished one at once.
      if (running && !control.paused) control.sampleRequested = true;
      else if (current) current.postGrids(post).catch(fail);
      else fail(new T.ArgumentError('nothing to sample: train a model or load a checkpoint first'));
      break;
  }
};

start().catch(fail);
