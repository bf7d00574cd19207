/** The model's configuration keys as labelled form fields, and read back as `--config` text. */
import type { ModelInfo } from './messages.js';

/** Whether a configuration value can be typed in a field (as `--config key=value` can set it). */
function settable(v: unknown): boolean {
  return typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'number'));
}

const fieldId = (key: string) => `config-${key}`;

/** Replace `container`'s fields with one per key of `values` (the entry's configuration, or a checkpoint's). */
export function renderConfig(container: HTMLElement, info: ModelInfo, values: Record<string, unknown>): void {
  container.replaceChildren();
  for (const [key, value] of Object.entries(values)) {
    const row = document.createElement('div');
    row.className = 'field';
    const label = document.createElement('label');
    label.htmlFor = fieldId(key);
    label.textContent = key;
    let input: HTMLInputElement | HTMLSelectElement;
    const choices = info.choices[key];
    if (choices && typeof value === 'string') {
      input = document.createElement('select');
      for (const c of choices) input.append(new Option(c, c, false, c === value));
    } else {
      input = document.createElement('input');
      if (typeof value === 'boolean') {
        input.type = 'checkbox';
        input.checked = value;
      } else {
        input.type = typeof value === 'number' ? 'number' : 'text';
        if (typeof value === 'number') input.step = 'any';
        input.value = settable(value) ? String(value) : JSON.stringify(value);
        if (Array.isArray(value)) input.title = 'comma-separated numbers';
      }
      // Nested values have no --config form either: shown, not editable.
      if (!settable(value)) input.disabled = true;
    }
    input.id = fieldId(key);
    input.name = key;
    row.append(label, input);
    container.append(row);
  }
}

/** The fields as `--config` text, key by key (the worker parses them as the command line does). */
export function readConfig(container: HTMLElement): Record<string, string> {
  const out: Record<string, string> = {};
  for (const input of Array.from(container.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select'))) {
    if (input.disabled) continue;
    out[input.name] = input instanceof HTMLInputElement && input.type === 'checkbox' ? String(input.checked) : input.value;
  }
  return out;
}
