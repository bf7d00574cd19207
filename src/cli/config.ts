/**
 * Model configurations typed as text (`--config key=value` on the command line, the playground's
 * form fields): parsed to the type of the default each replaces. No Node imports: the browser
 * playground shares it.
 */
import type { ModelEntry } from '../../models/protocol.js';
import { ArgumentError } from '../errors.js';

/**
 * The entry's default configuration with `overrides` applied, each parsed to the type of the
 * default it replaces: numbers, booleans, strings, and comma-separated lists of numbers.
 */
export function applyConfig(entry: ModelEntry, overrides: Record<string, string>, base: object = entry.config): object {
  const config: Record<string, unknown> = structuredClone(base) as Record<string, unknown>;
  for (const [key, text] of Object.entries(overrides)) {
    if (!(key in config)) throw new ArgumentError(`${entry.name} has no configuration key '${key}'; it has: ${Object.keys(config).join(', ')}`);
    const old = config[key];
    const bad = (what: string) => new ArgumentError(`--config ${key}=${text}: ${entry.name}'s ${key} is ${what} (default ${JSON.stringify(old)})`);
    if (typeof old === 'number') {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) throw bad('a number');
      config[key] = n;
    } else if (typeof old === 'boolean') {
      if (text !== 'true' && text !== 'false') throw bad('true or false');
      config[key] = text === 'true';
    } else if (typeof old === 'string') {
      const allowed = (entry.choices as Record<string, readonly string[] | undefined> | undefined)?.[key];
      if (allowed && !allowed.includes(text)) throw bad(`one of ${allowed.join(', ')}`);
      config[key] = text;
    } else if (Array.isArray(old) && old.every((v) => typeof v === 'number')) {
      const list = text.split(',').map(Number);
      if (text.trim() === '' || list.some((n) => !Number.isFinite(n))) throw bad('a comma-separated list of numbers');
      config[key] = list;
    } else {
      throw bad('not settable from the command line');
    }
  }
  return config;
}
