#!/usr/bin/env node
/**
 * The `genlab` command:
 *   genlab train <model> [--data mnist|fashion-mnist|PATH] [--steps N | --epochs N] [--batch N]
 *                        [--lr X] [--seed N] [--device webgpu|wasm|cpu] [--out DIR] [--resume DIR]
 *                        [--config key=value ...]
 *   genlab sample <checkpoint> [--n N] [--out FILE] [--device webgpu|wasm|cpu] [--preview]
 *   genlab eval <checkpoint> [--n N] [--data D] [--feature-net mnist|fashion-mnist] [--json FILE] [--seed N] [--device webgpu|wasm|cpu]
 *   genlab info
 * From the sources: node --import tsx --import ./scripts/wgsl-register.mjs src/cli/main.ts ...
 */
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { GenlabError } from '../errors.js';
import { info } from './info.js';
import { evalCommand } from './eval.js';
import { sample } from './sample.js';
import { train } from './train.js';

const USAGE = `usage:
  genlab train <model> [options]     train a model (genlab info lists them)
      --data mnist|fashion-mnist|PATH   dataset (default: the embedded MNIST digits)
      --steps N | --epochs N            training length (default: the model's)
      --batch N  --lr X  --seed N       batch size, learning rate, seed
      --device webgpu|wasm|cpu          default: the fastest found
      --out DIR                         samples and checkpoint (default: runs/<model>)
      --sample-every N                  steps between sample grids
      --limit N                         use only the first N images
      --classes LIST                    keep only these labels, e.g. --classes 8 (Fashion-MNIST's bags)
      --config key=value                change one entry of the model's configuration
                                        (repeatable; genlab info lists them), e.g. --config width=16
      --resume DIR                      continue from a checkpoint directory
  genlab sample <checkpoint|run dir> [--n N] [--nrow N] [--out FILE] [--seed N] [--device webgpu|wasm|cpu]
      --preview                         the model's picture of real test images (reconstructions,
                                        denoising) instead of sample(n)
  genlab eval <checkpoint> [options]  IS, FID, KID, precision, recall (with their floor), class accuracy, PPL
      --n N                             generated images (default 10000; at most the training set's size)
      --data mnist|fashion-mnist|PATH   the real images (default: the checkpoint's dataset)
      --feature-net mnist|fashion-mnist the shipped feature network (default: matches --data)
      --json FILE                       also write the report as JSON
      --iw K                            the VAE's likelihood as the importance-weighted bound with K samples (default: the ELBO)
      --seed N  --device webgpu|wasm|cpu
  genlab info                        adapter, limits, backends and models`;

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer, got '${v}'`);
  return n;
}

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got '${v}'`);
  return n;
}

class UsageError extends Error {}

function intList(name: string, v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  return v.split(',').map((part) => {
    const n = Number(part);
    if (part.trim() === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`--${name} takes comma-separated non-negative integers, got '${v}'`);
    return n;
  });
}

/** `--config a=1 --config b=x` as { a: '1', b: 'x' }; the model's entry checks keys and types. */
function keyValues(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--config takes key=value, got '${pair}'`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // Dawn prints a warning for every adapter query without it.
  process.env.XDG_RUNTIME_DIR ??= tmpdir();
  switch (command) {
    case 'train': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          data: { type: 'string' }, steps: { type: 'string' }, epochs: { type: 'string' }, batch: { type: 'string' },
          lr: { type: 'string' }, seed: { type: 'string' }, device: { type: 'string' }, out: { type: 'string' },
          resume: { type: 'string' }, 'sample-every': { type: 'string' }, limit: { type: 'string' },
          config: { type: 'string', multiple: true }, classes: { type: 'string' },
        },
      });
      if (positionals.length !== 1) throw new UsageError('train takes one model name');
      if (values.steps !== undefined && values.epochs !== undefined) throw new UsageError('give --steps or --epochs, not both');
      const model = positionals[0]!;
      return train({
        model,
        data: values.data,
        steps: int('steps', values.steps),
        epochs: int('epochs', values.epochs),
        batch: int('batch', values.batch),
        lr: num('lr', values.lr),
        seed: int('seed', values.seed),
        device: values.device,
        out: values.out ?? `runs/${model}`,
        resume: values.resume,
        sampleEvery: int('sample-every', values['sample-every']),
        limit: int('limit', values.limit),
        classes: intList('classes', values.classes),
        config: keyValues(values.config ?? []),
      });
    }
    case 'sample': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { n: { type: 'string' }, nrow: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' }, device: { type: 'string' }, preview: { type: 'boolean' } },
      });
      if (positionals.length !== 1) throw new UsageError('sample takes one checkpoint directory');
      return sample({ checkpoint: positionals[0]!, n: int('n', values.n) ?? 64, nrow: int('nrow', values.nrow), out: values.out ?? 'samples.png', seed: int('seed', values.seed), device: values.device, preview: values.preview });
    }
    case 'eval': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { n: { type: 'string' }, data: { type: 'string' }, 'feature-net': { type: 'string' }, json: { type: 'string' }, seed: { type: 'string' }, device: { type: 'string' }, iw: { type: 'string' } },
      });
      if (positionals.length !== 1) throw new UsageError('eval takes one checkpoint directory');
      return evalCommand({ checkpoint: positionals[0]!, n: int('n', values.n) ?? 10000, data: values.data, featureNet: values['feature-net'], json: values.json, seed: int('seed', values.seed), device: values.device, iwSamples: int('iw', values.iw) });
    }
    case 'info':
      return info();
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return command === undefined ? 1 : 0;
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  const err = e as Error;
  // Library errors carry their own clear messages; anything else may be a bug, so keep its stack.
  const known = err instanceof GenlabError || err instanceof UsageError || (err as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION';
  console.error(`genlab: ${known ? err.message : (err.stack ?? err.message)}`);
  if (err instanceof UsageError) console.error(USAGE);
  process.exitCode = err instanceof UsageError ? 2 : 1;
}
// Dawn's device keeps the event loop alive; the work is done.
process.exit();
