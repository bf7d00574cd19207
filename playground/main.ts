/**
 * The playground page: the form, the run's status, plots and grids. It holds no tensors: the
 * worker (worker.ts) builds, trains and samples, and sends back loss values, grid bitmaps and
 * checkpoint bytes, so a training run never blocks the page.
 */
import { readConfig, renderConfig } from './form.js';
import type { DataSpec, DeviceChoice, FromWorker, ModelInfo, RunState, ToWorker } from './messages.js';
import { LossPlots } from './plot.js';
import { DownloadLink } from './download.js';

/** Each model file's opening comment, by registry name (filled in by the build). */
declare const __MODEL_DOCS__: Record<string, string>;

const $ = <E extends HTMLElement>(id: string) => document.getElementById(id) as E;
const form = $<HTMLFormElement>('setup');
const modelSelect = $<HTMLSelectElement>('model');
const configFields = $('config-fields');
const status = $('status');
const errorBox = $('error');
const pauseButton = $<HTMLButtonElement>('pause');
const plots = new LossPlots($('plots'));
const numberField = (id: string) => $<HTMLInputElement>(id);

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const send = (msg: ToWorker, transfer: Transferable[] = []) => worker.postMessage(msg, transfer);

let models: ModelInfo[] = [];
let state: RunState = 'idle';
let hasModel = false;
let total = 0;
const modelLink = new DownloadLink($<HTMLAnchorElement>('download'));
const optimizerLink = new DownloadLink($<HTMLAnchorElement>('download-optimizer'));
let runLine = '';
/** The last step count and speed, kept in the status after the run ends. */
let progress = '';

const info = () => models.find((m) => m.name === modelSelect.value)!;

function showModel(values?: Record<string, unknown>): void {
  const m = info();
  $('model-description').textContent = `${m.description} (${m.notes})`;
  $('model-doc').textContent = __MODEL_DOCS__[m.name] ?? m.description;
  renderConfig(configFields, m, values ?? m.config);
  $<HTMLButtonElement>('light').disabled = !m.withoutGpu?.config;
  if (values) return;
  numberField('batch').value = String(m.training.batch);
  numberField('lr').value = String(m.training.lr);
  numberField('steps').value = String(m.training.steps);
  numberField('sample-every').value = String(m.training.sampleEvery);
}

function setState(next: RunState, note?: string): void {
  state = next;
  const running = next === 'training' || next === 'paused';
  const busy = running || next === 'evaluating';
  $<HTMLButtonElement>('train').disabled = busy || models.length === 0;
  $<HTMLInputElement>('load').disabled = busy;
  $<HTMLButtonElement>('evaluate').disabled = busy || !hasModel;
  modelSelect.disabled = busy;
  pauseButton.disabled = !running;
  pauseButton.textContent = next === 'paused' ? 'Resume' : 'Pause';
  $<HTMLButtonElement>('stop').disabled = !running;
  $<HTMLButtonElement>('sample').disabled = (!hasModel && !running) || next === 'evaluating';
  $<HTMLInputElement>('from-loaded').disabled = !hasModel || busy;
  const word = { idle: 'Idle', training: 'Training', paused: 'Paused', stopped: 'Stopped', done: 'Finished', loaded: 'Checkpoint loaded', evaluating: 'Evaluating', evaluated: 'Evaluated', failed: 'Failed' }[next];
  status.dataset.state = next;
  status.textContent = [`${word}.`, runLine, progress, note].filter(Boolean).join(' ');
}

function showError(message: string | null): void {
  errorBox.hidden = message === null;
  errorBox.textContent = message ?? '';
}

function drawGrid(kind: 'samples' | 'preview', step: number, bitmap: ImageBitmap, what: string): void {
  const canvas = $<HTMLCanvasElement>(kind);
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
  bitmap.close();
  canvas.dataset.step = String(step);
  canvas.dataset.updates = String(Number(canvas.dataset.updates ?? 0) + 1);
  $(`${kind}-caption`).textContent = `${what} at step ${step}`;
  canvas.setAttribute('aria-label', `${what} at step ${step}`);
  if (kind === 'preview') $('preview-figure').hidden = false;
}

function offerCheckpoint(model: string, step: number, bytes: Uint8Array, optimizer?: Uint8Array): void {
  const name = `${model}-step-${step}`;
  modelLink.offer(bytes, `${name}.safetensors`, step);
  // The optimizer file's name pairs it with the model file (genlab train --resume NAME.safetensors finds it).
  if (optimizer) optimizerLink.offer(optimizer, `${name}.optimizer.safetensors`, step);
  else optimizerLink.withdraw();
  const kB = (b: Uint8Array) => `${(b.length / 1024).toFixed(0)} kB`;
  $('checkpoint-info').textContent = `${model} at step ${step}: model file ${kB(bytes)}${optimizer ? `, optimizer file ${kB(optimizer)}` : ', no optimizer state'}`;
}

worker.onmessage = ({ data: msg }: MessageEvent<FromWorker>) => {
  switch (msg.type) {
    case 'ready': {
      models = msg.models;
      for (const m of models) modelSelect.append(new Option(m.name, m.name));
      modelSelect.disabled = false;
      showModel();
      const wasm = `wasm: ${msg.wasm}${crossOriginIsolated ? '' : ' (the page is not cross-origin isolated)'}`;
      // One short sentence; why WebGPU failed (an adapter request's error) is in the tooltip.
      $('device').textContent = msg.webgpu ? `WebGPU: ${msg.webgpu}. ${wasm}.` : `No WebGPU in this browser: training runs on ${wasm}.`;
      if (!msg.webgpu && msg.webgpuMissing) $('device').title = msg.webgpuMissing;
      $('device').dataset.webgpu = String(!!msg.webgpu);
      setState('idle');
      break;
    }
    case 'started':
      $('evaluation').hidden = true;
      total = msg.steps;
      progress = '';
      $('preview-figure').hidden = true;
      hasModel = true;
      runLine = `${msg.model}, ${msg.parameters.toLocaleString('en-US')} parameters, on ${msg.device} (${msg.adapter}); ${msg.images.toLocaleString('en-US')} training images.`;
      status.dataset.device = msg.device;
      break;
    case 'losses':
      plots.add(msg.step, msg.values);
      status.dataset.step = String(msg.step);
      progress = `Step ${msg.step} of ${total}, ${msg.stepsPerSecond.toFixed(2)} steps/s.`;
      setState(state);
      break;
    case 'grid':
      drawGrid(msg.kind, msg.step, msg.bitmap, msg.label);
      break;
    case 'checkpoint':
      offerCheckpoint(msg.model, msg.step, msg.bytes, msg.optimizer);
      break;
    case 'loaded': {
      hasModel = true;
      plots.clear();
      $('evaluation').hidden = true;
      $('preview-figure').hidden = true;
      modelSelect.value = msg.model;
      showModel(msg.config);
      progress = '';
      runLine = `${msg.model} at step ${msg.step} on ${msg.device} (${msg.adapter}).`;
      status.dataset.device = msg.device;
      $<HTMLInputElement>('from-loaded').checked = true;
      if (msg.notes.length > 0) runLine += ` ${msg.notes.join(' ')}`;
      if (msg.training) {
        numberField('lr').value = String(msg.training.lr);
        if (msg.training.batch > 0) numberField('batch').value = String(msg.training.batch);
      }
      break;
    }
    case 'evaluation':
      $('evaluation').hidden = false;
      $('eval-report').textContent = msg.text;
      // The numbers themselves, for scripts (the test compares them with genlab eval's).
      $('eval-report').dataset.report = JSON.stringify(msg.report);
      break;
    case 'state':
      setState(msg.state, msg.note);
      break;
    case 'error':
      showError(`${msg.message.replace(/[^.]$/, '$&.')}${modelLink.offered ? ' The last checkpoint is still downloadable.' : ''}`);
      break;
  }
};
worker.onerror = (e) => {
  showError(`The training worker failed: ${e.message}`);
  setState('failed');
};

const dataChoice = () => form.querySelector<HTMLInputElement>('input[name=data]:checked')!.value;

async function dataSpec(): Promise<{ spec: DataSpec; transfer: Transferable[] }> {
  if (dataChoice() === 'mnist') return { spec: { kind: 'mnist' }, transfer: [] };
  const images = $<HTMLInputElement>('idx-images').files?.[0];
  if (!images) throw new Error('choose an images file (IDX), or the embedded digits');
  const labels = $<HTMLInputElement>('idx-labels').files?.[0];
  const spec: DataSpec = { kind: 'upload', name: images.name, images: await images.arrayBuffer(), labels: await labels?.arrayBuffer() };
  return { spec, transfer: [spec.images, ...(spec.labels ? [spec.labels] : [])] };
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  showError(null);
  try {
    const { spec, transfer } = await dataSpec();
    plots.clear();
    send({
      type: 'train', model: modelSelect.value, config: readConfig(configFields), data: spec, device: $<HTMLSelectElement>('device-choice').value as DeviceChoice,
      batch: numberField('batch').valueAsNumber, lr: numberField('lr').valueAsNumber, steps: numberField('steps').valueAsNumber,
      sampleEvery: numberField('sample-every').valueAsNumber, fromLoaded: $<HTMLInputElement>('from-loaded').checked && !$<HTMLInputElement>('from-loaded').disabled,
    }, transfer);
    setState('training', 'Loading the data and building the model…');
  } catch (err) {
    showError((err as Error).message);
  }
});

modelSelect.addEventListener('change', () => showModel());
pauseButton.addEventListener('click', () => send({ type: state === 'paused' ? 'resume' : 'pause' }));
$('stop').addEventListener('click', () => send({ type: 'stop' }));
$('sample').addEventListener('click', () => send({ type: 'sample' }));
$('defaults').addEventListener('click', () => renderConfig(configFields, info(), info().config));
$('light').addEventListener('click', () => {
  const m = info();
  renderConfig(configFields, m, { ...m.config, ...m.withoutGpu?.config });
  if (m.withoutGpu?.steps) numberField('steps').value = String(m.withoutGpu.steps);
});
$('evaluate').addEventListener('click', async () => {
  showError(null);
  try {
    const { spec, transfer } = await dataSpec();
    const choice = $<HTMLSelectElement>('feature-net').value;
    const featureNet = choice === 'auto' ? (dataChoice() === 'mnist' ? 'mnist' : 'fashion-mnist') : (choice as 'mnist' | 'fashion-mnist');
    send({ type: 'evaluate', n: numberField('eval-n').valueAsNumber, featureNet, seed: 0, data: spec }, transfer);
    setState('evaluating', `Evaluating ${numberField('eval-n').value} samples…`);
  } catch (err) {
    showError((err as Error).message);
  }
});
$<HTMLInputElement>('load').addEventListener('change', async (e) => {
  const input = e.target as HTMLInputElement;
  const chosen = Array.from(input.files ?? []);
  if (chosen.length === 0) return;
  showError(null);
  const files = await Promise.all(chosen.map(async (f) => ({ name: f.name, bytes: await f.arrayBuffer() })));
  input.value = '';
  setState('idle', `Loading ${chosen.map((f) => f.name).join(' and ')}…`);
  send({ type: 'load', files, device: $<HTMLSelectElement>('device-choice').value as DeviceChoice, model: modelSelect.value, config: readConfig(configFields) }, files.map((f) => f.bytes));
});
