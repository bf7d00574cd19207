/**
 * Module: the base class of every layer and model, as torch.nn.Module.
 *
 * Parameters and submodules are found by looking at the instance's own properties, so a model is
 * written as in PyTorch, with no registration calls:
 *
 *   class Autoencoder extends nn.Module {
 *     encoder = new nn.Sequential(new nn.Linear(784, 32), new nn.ReLU());
 *     decoder = new nn.Linear(32, 784);
 *     forward(x: Tensor) { return this.decoder.forward(this.encoder.forward(x)); }
 *   }
 *
 * Lists of layers go in a ModuleList (a plain array is not searched). Buffers (running
 * statistics, power-iteration vectors) are plain tensors and are declared with `registerBuffer`. State-dict names are PyTorch's: properties in declaration order, dotted by
 * submodule, camelCase turned to snake_case (`runningMean` is `running_mean`), so checkpoints
 * move between this library and PyTorch without renaming.
 */
import type { DType, DeviceName } from '../backend/backend.js';
import { isFloat } from '../backend/backend.js';
import { ArgumentError } from '../errors.js';
import { keep } from '../memory.js';
import { noGrad } from '../autograd.js';
import { cast } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { copyLike } from './copy.js';
import { Parameter } from './parameter.js';
import { zeroGradients } from './grad.js';

/** The PyTorch name of a property: `runningMean` -> `running_mean`. */
export function stateName(property: string): string {
  return property.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Where a tensor lives in the module tree: its dotted name, its owner and the owner's property. */
interface Slot {
  name: string;
  owner: Module;
  property: string;
}

/**
 * The base class of every layer and model, as `torch.nn.Module`: parameters and submodules are
 * found among the instance's own properties (no registration calls), state-dict names are PyTorch's
 * (`running_mean`, dotted by submodule), and subclasses define `forward`.
 */
export class Module {
  /** Training mode (dropout active, batch statistics used); set with `train()` / `eval()`. */
  training = true;
  /** Property name -> persistent (in the state dict) for registered buffers. */
  readonly #buffers = new Map<string, boolean>();

  // ---- registration ----

  /**
   * Declare a buffer: state that is saved and moved with the module but not trained (running
   * statistics). Non-persistent buffers move with the module but stay out of the state dict.
   */
  registerBuffer(property: string, value: Tensor | null, persistent = true): void {
    if (value) keep(value);
    this.#buffers.set(property, persistent);
    Reflect.set(this, property, value);
  }

  /** Add a parameter under a computed name (properties holding a Parameter are found anyway). */
  registerParameter(property: string, value: Parameter | null): void {
    Reflect.set(this, property, value);
  }

  /** Add a submodule under a computed name. */
  registerModule(property: string, value: Module | null): void {
    Reflect.set(this, property, value);
  }

  // ---- traversal ----

  /** Own data properties in declaration order (accessors, such as parametrised weights, are skipped). */
  private ownEntries(): [string, unknown][] {
    const out: [string, unknown][] = [];
    for (const key of Object.keys(this)) {
      const d = Object.getOwnPropertyDescriptor(this, key);
      if (d && 'value' in d) out.push([key, d.value]);
    }
    return out;
  }

  /** The direct submodules with their property names, as `named_children()`. */
  namedChildren(): [string, Module][] {
    return this.ownEntries().filter((e): e is [string, Module] => e[1] instanceof Module).map(([k, m]) => [stateName(k), m]);
  }

  /** The direct submodules, as `children()`. */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and every descendant, each once, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const visit = (m: Module, name: string) => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([name, m]);
      for (const [k, c] of m.namedChildren()) visit(c, name ? `${name}.${k}` : k);
    };
    visit(this, prefix);
    return out;
  }

  /** This module and every descendant, each once, as `modules()`. */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Own parameters, then own buffers (persistent ones only, or all), as [property, tensor]. */
  private ownState(persistentOnly: boolean): [string, Tensor][] {
    const params = this.ownEntries().filter((e): e is [string, Parameter] => e[1] instanceof Parameter);
    const buffers: [string, Tensor][] = [];
    for (const [k, persistent] of this.#buffers) {
      const b = Reflect.get(this, k) as Tensor | null;
      if (b && (persistent || !persistentOnly)) buffers.push([k, b]);
    }
    return [...params, ...buffers];
  }

  /** Every parameter or buffer slot of every module (each module once), with dotted names. */
  private slots(kind: 'parameter' | 'buffer'): Slot[] {
    const out: Slot[] = [];
    for (const [prefix, owner] of this.namedModules()) {
      for (const [property, t] of owner.ownState(false)) {
        if ((t instanceof Parameter) !== (kind === 'parameter')) continue;
        out.push({ name: prefix ? `${prefix}.${stateName(property)}` : stateName(property), owner, property });
      }
    }
    return out;
  }

  /** [name, parameter] pairs; a parameter shared by two submodules is listed once. */
  namedParameters(): [string, Parameter][] {
    const seen = new Set<Tensor>();
    const out: [string, Parameter][] = [];
    for (const s of this.slots('parameter')) {
      const p = Reflect.get(s.owner, s.property) as Parameter;
      if (seen.has(p)) continue;
      seen.add(p);
      out.push([s.name, p]);
    }
    return out;
  }

  /**
   * Every parameter of this module and its descendants, each once (what an optimizer takes), as
   * `parameters()`.
   */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /**
   * Every registered buffer (running statistics, ...) with its dotted name, as `named_buffers()`.
   */
  namedBuffers(): [string, Tensor][] {
    return this.slots('buffer').map((s) => [s.name, Reflect.get(s.owner, s.property) as Tensor]);
  }

  /** Every registered buffer, as `buffers()`. */
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  /** Call `fn` on every submodule and then on this one (as torch's `apply`, e.g. for custom init). */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  // ---- modes and gradients ----

  /**
   * Set training mode on this module and its descendants (dropout active, batch statistics used),
   * as `train(mode)`.
   */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /**
   * Set evaluation mode (dropout off, running statistics used), as `eval()`; same as
   * `train(false)`.
   */
  eval(): this {
    return this.train(false);
  }

  /** Freeze (`false`) or unfreeze every parameter. */
  requiresGrad_(flag = true): this {
    for (const p of this.parameters()) p.requiresGrad_(flag);
    return this;
  }

  /**
   * Clear every parameter's gradient (to null by default, or to zeros), as
   * `zero_grad(set_to_none)`.
   */
  zeroGrad(setToNone = true): void {
    zeroGradients(this.parameters(), setToNone);
  }

  // ---- state ----

  /**
   * Parameters then persistent buffers of each module, depth first, by dotted PyTorch name: the
   * module's own tensors, not copies (a shared submodule appears under each of its names).
   */
  stateDict(prefix = ''): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [property, t] of this.ownState(true)) out[prefix + stateName(property)] = t;
    for (const [name, child] of this.namedChildren()) Object.assign(out, child.stateDict(`${prefix}${name}.`));
    return out;
  }

  /**
   * Copy values into the module's tensors (same objects, so optimizers keep working). Values may
   * be on the CPU (a loaded checkpoint) or on the module's device; dtypes are converted. With
   * `strict` (the default), missing and unexpected names are an error.
   */
  loadStateDict(state: Record<string, Tensor>, opts: { strict?: boolean } = {}): { missingKeys: string[]; unexpectedKeys: string[] } {
    const strict = opts.strict ?? true;
    const targets = new Map<string, Tensor>(Object.entries(this.stateDict()));
    const missingKeys = [...targets.keys()].filter((k) => !(k in state));
    const unexpectedKeys = Object.keys(state).filter((k) => !targets.has(k));
    if (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
      const list = (keys: string[]) => keys.slice(0, 8).join(', ') + (keys.length > 8 ? `, ... (${keys.length} in all)` : '');
      const parts = [];
      if (missingKeys.length) parts.push(`missing ${list(missingKeys)}`);
      if (unexpectedKeys.length) parts.push(`unexpected ${list(unexpectedKeys)}`);
      throw new ArgumentError(`${this.constructor.name}.loadStateDict: ${parts.join('; ')}`);
    }
    // Convert everything first, so a bad entry leaves the module untouched.
    const values = new Map<Tensor, Tensor>();
    try {
      for (const [name, target] of targets) {
        if (name in state) values.set(target, copyLike(state[name]!, target, `loadStateDict '${name}'`));
      }
    } catch (e) {
      for (const v of values.values()) v.dispose();
      throw e;
    }
    for (const [target, value] of values) {
      target.assign_(value);
      value.dispose();
    }
    return { missingKeys, unexpectedKeys };
  }

  /** Move every parameter and buffer to `device` (new Parameter objects: make optimizers afterwards). */
  async to(device: DeviceName): Promise<this> {
    const moved = new Map<Tensor, Tensor>();
    const move = async (t: Tensor, make: (m: Tensor) => Tensor) => {
      let m = moved.get(t);
      if (!m) {
        const copy = await t.to(device);
        m = copy === t ? t : make(copy);
        moved.set(t, m);
      }
      return m;
    };
    for (const s of this.slots('parameter')) {
      const p = Reflect.get(s.owner, s.property) as Parameter;
      Reflect.set(s.owner, s.property, await move(p, (c) => adopt(c, p.requiresGrad)));
    }
    for (const s of this.slots('buffer')) {
      const b = Reflect.get(s.owner, s.property) as Tensor;
      Reflect.set(s.owner, s.property, await move(b, (c) => keep(c)));
    }
    for (const [old, m] of moved) if (m !== old) old.dispose();
    return this;
  }

  /** Cast floating-point parameters and buffers to float64 (gradient checks on the CPU). */
  double(): this {
    return this.castFloats('float64');
  }

  /** Cast floating-point parameters and buffers to float32, as `float()`. */
  float(): this {
    return this.castFloats('float32');
  }

  private castFloats(dtype: DType): this {
    noGrad(() => {
      const cast1 = (t: Tensor, make: (c: Tensor) => Tensor) => (isFloat(t.dtype) && t.dtype !== dtype ? make(cast(t, dtype)) : t);
      for (const s of this.slots('parameter')) {
        const p = Reflect.get(s.owner, s.property) as Parameter;
        const c = cast1(p, (x) => adopt(x, p.requiresGrad));
        if (c !== p) {
          Reflect.set(s.owner, s.property, c);
          p.dispose();
        }
      }
      for (const s of this.slots('buffer')) {
        const b = Reflect.get(s.owner, s.property) as Tensor;
        const c = cast1(b, (x) => keep(x));
        if (c !== b) {
          Reflect.set(s.owner, s.property, c);
          b.dispose();
        }
      }
    });
    return this;
  }

  /** Free every parameter (and its gradient) and buffer; the module is unusable afterwards. */
  dispose(): void {
    this.zeroGrad();
    for (const p of this.parameters()) p.dispose();
    for (const b of this.buffers()) b.dispose();
  }

  // ---- printing ----

  /** The constructor arguments shown by `toString()` (as torch's extra_repr). */
  extraRepr(): string {
    return '';
  }

  /** The module tree as PyTorch prints it: each submodule with its `extraRepr()`. */
  toString(): string {
    const children = this.namedChildren();
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (children.length === 0) return `${head})`;
    const lines = children.map(([k, m]) => `  (${k}): ${m.toString().replace(/\n/g, '\n  ')}`);
    return `${head}\n${lines.join('\n')}\n)`;
  }
}

/** A Parameter taking over a fresh tensor's storage (the temporary is released). */
function adopt(t: Tensor, requiresGrad: boolean): Parameter {
  const p = new Parameter(t, requiresGrad && isFloat(t.dtype));
  t.dispose();
  return p;
}
