/** What the page and the training worker say to each other (postMessage payloads). */
import type { EncoderReport } from '../src/cli/encoder-probe.js';
import type { EvaluationReport } from '../src/metrics/evaluate.js';

/** What the page needs of a registry entry to draw its form. */
export interface ModelInfo {
  name: string;
  description: string;
  notes: string;
  config: Record<string, unknown>;
  choices: Record<string, readonly string[]>;
  training: { batch: number; lr: number; steps: number; sampleEvery: number };
  /** The lighter configuration and length for a machine without a hardware GPU. */
  withoutGpu?: { config?: Record<string, unknown>; steps?: number; sampleEvery?: number };
  /** The devices the model can train on, when not all. */
  devices?: readonly string[];
}

export type DeviceChoice = 'auto' | 'webgpu' | 'wasm' | 'cpu';

/** The training data: the embedded digits, or IDX files the user picked (raw or gzipped bytes). */
export type DataSpec = { kind: 'mnist' } | { kind: 'upload'; name: string; images: ArrayBuffer; labels?: ArrayBuffer };

export interface TrainRequest {
  type: 'train';
  model: string;
  /** Configuration keys as typed in the form (parsed as `--config key=value` is). */
  config: Record<string, string>;
  batch: number;
  lr: number;
  steps: number;
  sampleEvery: number;
  device: DeviceChoice;
  data: DataSpec;
  /** Continue from the loaded checkpoint's weights (same model and configuration) instead of new ones. */
  fromLoaded: boolean;
}

export type ToWorker =
  | TrainRequest
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'sample' }
  | { type: 'load'; files: { name: string; bytes: ArrayBuffer }[]; device: DeviceChoice; model: string; config: Record<string, string> }
  | { type: 'evaluate'; n: number; featureNet: 'mnist' | 'fashion-mnist'; seed: number; data: DataSpec };

export type GridKind = 'samples' | 'preview';

export type RunState = 'idle' | 'training' | 'paused' | 'stopped' | 'done' | 'loaded' | 'evaluating' | 'evaluated' | 'failed';

export type FromWorker =
  | { type: 'ready'; models: ModelInfo[]; webgpu: string | null; webgpuMissing?: string; wasm: string }
  | { type: 'state'; state: RunState; note?: string }
  | { type: 'started'; model: string; device: string; adapter: string; parameters: number; images: number; steps: number; config: Record<string, unknown> }
  | { type: 'losses'; step: number; values: Record<string, number>; stepsPerSecond: number }
  | { type: 'grid'; kind: GridKind; step: number; bitmap: ImageBitmap; /** What the grid shows, for its caption. */ label: string }
  /** The model file, and the optimizer file once the run has optimizers (trained, or loaded with one). */
  | { type: 'checkpoint'; model: string; step: number; bytes: Uint8Array; optimizer?: Uint8Array }
  /** `training`: the loaded optimizer file's learning rate and batch, when one came with the model file. */
  | { type: 'loaded'; model: string; config: Record<string, unknown>; step: number; device: string; adapter: string; notes: string[]; training?: { lr: number; batch: number } }
  | { type: 'evaluation'; text: string; report: EvaluationReport | EncoderReport }
  | { type: 'error'; message: string };
