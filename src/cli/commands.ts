/** The `genlab` subcommands: their flags (see args.ts) and what runs them. */
import { DEVICE_FLAG, THREADS_FLAG, UsageError, type CommandSpec, type FlagValue } from './args.js';
import { evalCommand } from './eval.js';
import { importStateDict } from './import.js';
import { info } from './info.js';
import { sample } from './sample.js';
import { train } from './train.js';

export interface Command {
  spec: CommandSpec;
  run(operands: string[], flags: Record<string, FlagValue>): Promise<number>;
}

const SAMPLING_CONFIG_FLAG = {
  kind: 'pairs', value: 'key=value',
  help: "change how the trained model samples, e.g. ddpm's steps=10, sampler=ancestral or eta=1, latent-diffusion's guidance=4 (keys that shape the weights cannot change)",
} as const;
const CONFIG_FLAG = { kind: 'pairs', value: 'key=value', help: "change one entry of the model's configuration (genlab info lists keys and allowed values)" } as const;

const trainCommand: Command = {
  spec: {
    name: 'train',
    operands: '<model>',
    count: { min: 1, max: 1 },
    brief: 'train a model',
    summary: 'Train a registered model (genlab info lists them), writing sample grids and a checkpoint.',
    flags: {
      data: { kind: 'text', value: 'mnist|fashion-mnist|PATH', help: 'dataset: the embedded digits (default), Fashion-MNIST, an IDX file or directory' },
      steps: { kind: 'count', value: 'N', help: "training steps (default: the model's)" },
      epochs: { kind: 'count', value: 'N', help: 'training length in passes over the data, instead of --steps' },
      batch: { kind: 'count', value: 'N', help: "batch size (default: the model's)" },
      lr: { kind: 'positive', value: 'X', help: "learning rate (default: the model's)" },
      seed: { kind: 'index', value: 'N', help: 'seed of the data order and every random draw (default 0)' },
      device: { ...DEVICE_FLAG, help: 'device to train on (default: a hardware GPU, else the fastest of those timed; a resumed run keeps its own)' },
      threads: THREADS_FLAG,
      out: { kind: 'text', value: 'DIR', help: "run directory: samples/ and checkpoint/ (default: the resumed run's directory, else runs/<model>)" },
      'sample-every': { kind: 'index', value: 'N', help: 'steps between sample grids (0: only at the end)' },
      limit: { kind: 'count', value: 'N', help: 'use only the first N images' },
      classes: { kind: 'indices', value: 'LIST', help: "keep only these labels, e.g. 8 (Fashion-MNIST's bags)" },
      config: CONFIG_FLAG,
      resume: { kind: 'text', value: 'DIR', help: "continue the run of a checkpoint (or run) directory, in that run's directory" },
      force: { kind: 'switch', help: 'replace the checkpoint of another run under --out' },
      'eval-every': { kind: 'count', value: 'K', help: 'every K steps, log FID of fresh samples against the held-out images (floor beside it) to the console and <out>/eval.jsonl (default: never)' },
      'eval-n': { kind: 'count', value: 'N', help: 'samples per --eval-every evaluation (default 1000)' },
    },
    notes: [
      'examples:',
      '  genlab train vae --config arch=mlp --steps 2000 --out runs/vae',
      '  genlab train dcgan --resume runs/dcgan/checkpoint --steps 3000',
    ],
  },
  run(operands, f) {
    if (f.steps !== undefined && f.epochs !== undefined) throw new UsageError('give --steps or --epochs, not both', 'train');
    const model = operands[0]!;
    return train({
      model,
      data: f.data as string | undefined,
      steps: f.steps as number | undefined,
      epochs: f.epochs as number | undefined,
      batch: f.batch as number | undefined,
      lr: f.lr as number | undefined,
      seed: f.seed as number | undefined,
      device: f.device as string | undefined,
      out: f.out as string | undefined,
      resume: f.resume as string | undefined,
      force: f.force as boolean | undefined,
      sampleEvery: f['sample-every'] as number | undefined,
      limit: f.limit as number | undefined,
      classes: f.classes as number[] | undefined,
      config: (f.config as Record<string, string> | undefined) ?? {},
      evalEvery: f['eval-every'] as number | undefined,
      evalN: f['eval-n'] as number | undefined,
    });
  },
};

const sampleCommand: Command = {
  spec: {
    name: 'sample',
    operands: '<checkpoint|run dir>',
    count: { min: 1, max: 1 },
    brief: 'write a grid of samples of a trained model',
    summary: 'Write a grid of samples of a trained model (a checkpoint directory, or a run directory holding checkpoint/).',
    flags: {
      n: { kind: 'count', value: 'N', help: 'number of samples (default 64)' },
      nrow: { kind: 'count', value: 'N', help: 'images per grid row (default: a square grid)' },
      out: { kind: 'text', value: 'FILE', help: 'PNG file to write (default samples.png)' },
      seed: { kind: 'index', value: 'N', help: 'seed of the samples (default 0)' },
      device: DEVICE_FLAG,
      threads: THREADS_FLAG,
      preview: { kind: 'switch', help: "the model's picture of real test images (reconstructions, denoising) instead of samples" },
      trajectory: { kind: 'switch', help: "a diffusion model's reverse process instead: rows of 8 from x_T (noise) to x_0, N/8 rows" },
      config: SAMPLING_CONFIG_FLAG,
    },
  },
  run(operands, f) {
    return sample({
      checkpoint: operands[0]!,
      n: (f.n as number | undefined) ?? 64,
      nrow: f.nrow as number | undefined,
      out: (f.out as string | undefined) ?? 'samples.png',
      seed: f.seed as number | undefined,
      device: f.device as string | undefined,
      preview: f.preview as boolean | undefined,
      trajectory: f.trajectory as boolean | undefined,
      config: f.config as Record<string, string> | undefined,
    });
  },
};

const evaluateCommand: Command = {
  spec: {
    name: 'eval',
    operands: '<checkpoint>',
    count: { min: 1, max: 1 },
    brief: 'IS, FID, KID, precision, recall (with their floor), class accuracy, PPL; an encoder: linear probe, k-NN',
    summary: 'Evaluate a trained model: IS, FID, KID, precision and recall beside their floor (real training images against the same held-out set), class accuracy of conditional models, PPL, likelihood where the model has one. An encoder (simclr, moco, dino): linear-probe and k-NN accuracy on the held-out split beside a randomly initialised encoder.',
    flags: {
      n: { kind: 'count', value: 'N', help: "generated images (an encoder: training images for the probe; default 10000; at most the training set's size)" },
      data: { kind: 'text', value: 'mnist|fashion-mnist|PATH', help: "the real images (default: the checkpoint's dataset)" },
      'feature-net': { kind: 'choice', choices: ['mnist', 'fashion-mnist'], help: 'the shipped feature network (default: matches --data)' },
      json: { kind: 'text', value: 'FILE', help: 'also write the report as JSON' },
      iw: { kind: 'count', value: 'K', help: "the VAE's likelihood as the importance-weighted bound with K samples (default: the ELBO)" },
      seed: { kind: 'index', value: 'N', help: 'seed of the generated images (default 0)' },
      config: SAMPLING_CONFIG_FLAG,
      device: DEVICE_FLAG,
      threads: THREADS_FLAG,
    },
  },
  run(operands, f) {
    return evalCommand({
      checkpoint: operands[0]!,
      n: (f.n as number | undefined) ?? 10000,
      data: f.data as string | undefined,
      featureNet: f['feature-net'] as string | undefined,
      json: f.json as string | undefined,
      seed: f.seed as number | undefined,
      device: f.device as string | undefined,
      iwSamples: f.iw as number | undefined,
      config: f.config as Record<string, string> | undefined,
    });
  },
};

const infoCommand: Command = {
  spec: {
    name: 'info',
    operands: '',
    count: { min: 0, max: 0 },
    brief: 'backends, adapter limits, models and their --config keys',
    summary: 'The backends here (WebGPU adapter and limits, wasm, CPU) and the models with their --config keys and allowed values.',
    flags: {},
  },
  run: () => info(),
};

const importCommand: Command = {
  spec: {
    name: 'import',
    operands: '<model> <state_dict.safetensors>',
    count: { min: 2, max: 2 },
    brief: 'adopt a plain (PyTorch) state dict as a checkpoint',
    summary: "Adopt a plain state dict (e.g. PyTorch's safetensors.torch.save_file(model.state_dict(), path)) as a checkpoint of a model.",
    flags: {
      config: { ...CONFIG_FLAG, help: 'the configuration the weights were trained with (genlab info lists keys)' },
      out: { kind: 'text', value: 'DIR', help: 'run directory; the checkpoint goes to DIR/checkpoint (default runs/<model>-imported)' },
      data: { kind: 'text', value: 'mnist|fashion-mnist|PATH', help: 'the dataset the weights were trained on, for sample --preview (default mnist)' },
    },
  },
  run(operands, f) {
    const [model, file] = operands as [string, string];
    return importStateDict({ model, file, out: (f.out as string | undefined) ?? `runs/${model}-imported`, config: f.config as Record<string, string> | undefined, data: f.data as string | undefined });
  },
};

export const COMMANDS: readonly Command[] = [trainCommand, sampleCommand, evaluateCommand, infoCommand, importCommand];
