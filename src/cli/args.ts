/**
 * The flags of each `genlab` subcommand, declared once: node:util's parseArgs reads them, each is
 * checked against its kind before any work starts (a bad value is a one-line error naming the
 * flag), and `genlab <command> --help` is printed from the same declarations.
 */
import { parseArgs } from 'node:util';

export type FlagKind =
  | 'count' // a positive integer
  | 'index' // a non-negative integer
  | 'positive' // a positive finite number
  | 'text'
  | 'choice'
  | 'indices' // comma-separated non-negative integers
  | 'pairs' // key=value, repeatable
  | 'switch';

export interface FlagSpec {
  kind: FlagKind;
  /** The placeholder in help, e.g. N, DIR. */
  value?: string;
  help: string;
  choices?: readonly string[];
}

export interface CommandSpec {
  name: string;
  /** What follows the command name in the synopsis, e.g. '<model>'. */
  operands: string;
  /** How many operands it takes. */
  count: { min: number; max: number };
  /** One line for `genlab --help`. */
  brief: string;
  summary: string;
  flags: Record<string, FlagSpec>;
  /** Lines after the flags (examples, notes). */
  notes?: string[];
}

export type FlagValue = number | string | number[] | Record<string, string> | boolean | undefined;

/** A command-line mistake: printed as one line with a pointer to the command's --help. */
export class UsageError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message);
  }
}

const DEVICES = ['webgpu', 'wasm', 'cpu'] as const;
export const DEVICE_FLAG: FlagSpec = { kind: 'choice', value: 'DEVICE', choices: DEVICES, help: 'device to run on (default: the fastest found)' };
/** Like torch.set_num_threads: main.ts applies it before the command runs. */
export const THREADS_FLAG: FlagSpec = { kind: 'count', value: 'N', help: 'threads of the wasm backend (default: every logical core); e.g. 1 for two runs side by side' };

export function helpText(spec: CommandSpec): string {
  const rows = Object.entries(spec.flags).map(([name, f]) => {
    const value = f.kind === 'switch' ? '' : ` ${f.choices ? f.choices.join('|') : (f.value ?? 'VALUE')}`;
    return [`--${name}${value}`, f.help + (f.kind === 'pairs' ? ' (repeatable)' : '')];
  });
  rows.push(['--help, -h', 'this help']);
  const width = Math.max(...rows.map(([left]) => left!.length)) + 2;
  return [
    `usage: genlab ${spec.name} ${spec.operands}${spec.operands ? ' ' : ''}[options]`,
    '',
    spec.summary,
    '',
    ...rows.map(([left, right]) => `  ${left!.padEnd(width)}${right}`),
    ...(spec.notes ? ['', ...spec.notes] : []),
  ].join('\n');
}

/** Operands and checked flag values of `argv`, or 'help' when --help / -h is among them. */
export function parseCommand(spec: CommandSpec, argv: string[]): { operands: string[]; flags: Record<string, FlagValue> } | 'help' {
  const fail = (message: string) => new UsageError(message, spec.name);
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, f] of Object.entries(spec.flags)) options[name] = { type: f.kind === 'switch' ? 'boolean' : 'string', multiple: f.kind === 'pairs' };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv, spec), options, allowPositionals: true, strict: true });
  } catch (e) {
    // parseArgs's messages are long and name internals; say what was wrong in our words.
    const err = e as { code?: string; message: string };
    const option = /'(-[-\w]+)/.exec(err.message)?.[1];
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw fail(`unknown option ${option ?? ''}`.trim());
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw fail(`${option ?? 'an option'} needs a value`);
    throw fail(err.message.split('\n')[0]!);
  }
  if (parsed.values.help) return 'help';
  const operands = parsed.positionals;
  if (operands.length < spec.count.min || operands.length > spec.count.max) {
    throw fail(spec.count.max === 0 ? `takes no operands, got '${operands.join(' ')}'` : `takes ${spec.operands}, got ${operands.length ? `'${operands.join(' ')}'` : 'nothing'}`);
  }
  const flags: Record<string, FlagValue> = {};
  for (const [name, f] of Object.entries(spec.flags)) {
    const raw = parsed.values[name];
    if (raw === undefined) continue;
    flags[name] = checkFlag(`--${name}`, f, raw as string | boolean | string[], fail);
  }
  return { operands, flags };
}

function checkFlag(flag: string, f: FlagSpec, raw: string | boolean | string[], fail: (m: string) => UsageError): FlagValue {
  if (f.kind === 'switch') return raw as boolean;
  if (f.kind === 'pairs') {
    const out: Record<string, string> = {};
    for (const pair of raw as string[]) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw fail(`${flag} takes key=value, got '${pair}'`);
      out[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    return out;
  }
  const text = raw as string;
  const n = Number(text);
  switch (f.kind) {
    case 'count':
      if (text.trim() === '' || !Number.isInteger(n) || n < 1) throw fail(`${flag} must be a positive integer, got '${text}'`);
      return n;
    case 'index':
      if (text.trim() === '' || !Number.isInteger(n) || n < 0) throw fail(`${flag} must be a non-negative integer, got '${text}'`);
      return n;
    case 'positive':
      if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw fail(`${flag} must be a positive number, got '${text}'`);
      return n;
    case 'choice':
      if (!f.choices!.includes(text)) throw fail(`${flag} must be one of ${f.choices!.join(', ')}, got '${text}'`);
      return text;
    case 'indices':
      return text.split(',').map((part) => {
        const k = Number(part);
        if (part.trim() === '' || !Number.isInteger(k) || k < 0) throw fail(`${flag} takes comma-separated non-negative integers, got '${text}'`);
        return k;
      });
    default:
      if (text === '') throw fail(`${flag} needs a value`);
      return text;
  }
}

/**
 * `--steps -5` as `--steps=-5`: parseArgs refuses a value that starts with a dash, and the check
 * of the value itself gives the clearer message.
 */
function joinNegativeValues(argv: string[], spec: CommandSpec): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!.startsWith('--') ? argv[i]!.slice(2) : undefined;
    const next = argv[i + 1];
    if (name && spec.flags[name] && spec.flags[name].kind !== 'switch' && next !== undefined && /^-\d|^-\.\d/.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else {
      out.push(argv[i]!);
    }
  }
  return out;
}
