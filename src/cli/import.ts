/**
 * `genlab import <model> <file.safetensors>`: adopt a plain state dict (PyTorch's
 * `safetensors.torch.save_file(model.state_dict(), path)`, or any file with the model's tensor
 * names) as a checkpoint of a registered model, so `genlab sample` and `--resume`-free evaluation
 * work on weights trained elsewhere. The names and shapes must match the model built from its
 * configuration exactly; the checkpoint gets the metadata a trained one has (docs/checkpoints.md).
 */
import { join } from 'node:path';
import { GenlabError } from '../errors.js';
import { saveCheckpoint } from '../io/checkpoint.js';
import { FormatError } from '../io/format-error.js';
import { loadSafetensors } from '../io/safetensors-file.js';
import { getModel } from '../../models/index.js';
import { CONFIG_KEY, DATA_KEY, MODEL_KEY, PROTOCOL_KEY, PROTOCOL_VERSION } from './shared.js';
import { applyConfig } from './train.js';

export interface ImportArgs {
  model: string;
  file: string;
  /** The run directory; the checkpoint goes to `<out>/checkpoint`. */
  out: string;
  /** The configuration the weights were trained with, as `--config key=value` overrides. */
  config?: Record<string, string>;
  /** The dataset the weights were trained on (for `genlab sample --preview`). */
  data?: string;
}

export async function importStateDict(args: ImportArgs): Promise<number> {
  const entry = getModel(args.model);
  const config = applyConfig(entry, args.config ?? {});
  const { tensors } = loadSafetensors(args.file);
  const model = entry.build(config, 'cpu');
  try {
    // Names first (a file of another model), then shapes (another configuration of this one).
    const expected = Object.keys(model.stateDict());
    const missingKeys = expected.filter((k) => !(k in tensors));
    const unexpectedKeys = Object.keys(tensors).filter((k) => !expected.includes(k));
    if (missingKeys.length > 0 || unexpectedKeys.length > 0) {
      const list = (keys: string[]) => keys.slice(0, 6).join(', ') + (keys.length > 6 ? `, ... (${keys.length} in all)` : '');
      const parts = [missingKeys.length ? `lacks ${list(missingKeys)}` : '', unexpectedKeys.length ? `has no place for ${list(unexpectedKeys)}` : ''].filter(Boolean);
      throw new FormatError(`${args.file} is not a ${entry.name} state dict: it ${parts.join(' and ')}`);
    }
    try {
      model.loadStateDict(tensors);
    } catch (e) {
      if (!(e instanceof GenlabError)) throw e;
      throw new FormatError(`${args.file}: ${e.message}; pass the configuration the weights were trained with (--config key=value, genlab info lists the keys)`);
    }
    const dir = join(args.out, 'checkpoint');
    await saveCheckpoint(dir, {
      module: model,
      metadata: { [MODEL_KEY]: entry.name, [CONFIG_KEY]: JSON.stringify(config), [DATA_KEY]: args.data ?? 'mnist', [PROTOCOL_KEY]: PROTOCOL_VERSION },
      trainingState: { step: 0, importedFrom: args.file },
    });
    const count = Object.keys(tensors).length;
    console.log(`imported ${count} tensors of ${entry.name} from ${args.file} into ${dir}; sample with \`genlab sample ${args.out}\``);
    return 0;
  } finally {
    model.dispose();
    for (const t of Object.values(tensors)) t.dispose();
  }
}
