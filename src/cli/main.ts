#!/usr/bin/env node
/**
 * The `genlab` command: `genlab <command> --help` prints each command's options (commands.ts
 * declares them). From the sources: node --import tsx --import ./scripts/wgsl-register.mjs src/cli/main.ts ...
 */
import { tmpdir } from 'node:os';
import { initWasm } from '../device.js';
import { GenlabError } from '../errors.js';
import { helpText, parseCommand, UsageError } from './args.js';
import { COMMANDS } from './commands.js';

const synopses = COMMANDS.map(({ spec }) => `${spec.name} ${spec.operands}`.trim());
const USAGE = [
  'usage: genlab <command> [options]',
  '',
  ...COMMANDS.map(({ spec }, i) => `  ${synopses[i]!.padEnd(Math.max(...synopses.map((s) => s.length)) + 2)}${spec.brief}`),
  '',
  'genlab <command> --help lists the options of a command.',
].join('\n');

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    console.log(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.spec.name === name);
  if (!command) throw new UsageError(`unknown command '${name}' (commands: ${COMMANDS.map((c) => c.spec.name).join(', ')})`);
  const parsed = parseCommand(command.spec, rest);
  if (parsed === 'help') {
    console.log(helpText(command.spec));
    return 0;
  }
  // Dawn prints a warning for every adapter query without it.
  process.env.XDG_RUNTIME_DIR ??= tmpdir();
  // Before any command code: every later initWasm() keeps this count.
  if (parsed.flags.threads !== undefined) await initWasm({ threads: parsed.flags.threads as number });
  return command.run(parsed.operands, parsed.flags);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  const err = e as Error;
  if (err instanceof UsageError) {
    // One line: what was wrong, and where the options are listed.
    console.error(`genlab${err.command ? ` ${err.command}` : ''}: ${err.message} (see genlab ${err.command ? `${err.command} ` : ''}--help)`);
    process.exitCode = 2;
  } else {
    // Library errors carry their own clear messages; anything else may be a bug, so keep its stack.
    console.error(`genlab: ${err instanceof GenlabError ? err.message : (err.stack ?? err.message)}`);
    process.exitCode = 1;
  }
}
// Dawn's device keeps the event loop alive; the work is done.
process.exit();
