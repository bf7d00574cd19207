/** Containers: Sequential (a chain of layers) and ModuleList (an indexable list of submodules). */
import { ArgumentError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/** A module whose forward maps one tensor to one tensor: what Sequential chains. */
export type Layer = Module & { forward(x: Tensor): Tensor };

/** Submodules stored as properties '0', '1', ...: PyTorch's state-dict names for list members. */
abstract class IndexedModules<M extends Module> extends Module {
  protected count = 0;

  get length(): number {
    return this.count;
  }

  at(index: number): M {
    const i = index < 0 ? index + this.count : index;
    if (!Number.isInteger(i) || i < 0 || i >= this.count) {
      throw new ArgumentError(`${this.constructor.name}: index ${index} is out of range for ${this.count} modules`);
    }
    return Reflect.get(this, String(i)) as M;
  }

  append(module: M): this {
    this.registerModule(String(this.count++), module);
    return this;
  }

  *[Symbol.iterator](): Iterator<M> {
    for (let i = 0; i < this.count; i++) yield Reflect.get(this, String(i)) as M;
  }
}

/**
 * Layers applied in order, as `torch.nn.Sequential(...)`; they are registered as children "0", "1",
 * ... so state-dict names match PyTorch's.
 */
export class Sequential extends IndexedModules<Layer> {
  constructor(...layers: Layer[]) {
    super();
    for (const l of layers) this.append(l);
  }

  /** Each layer's output fed to the next. */
  forward(x: Tensor): Tensor {
    for (const layer of this) x = layer.forward(x);
    return x;
  }
}

/**
 * A list of modules registered as children "0", "1", ..., as `torch.nn.ModuleList`; iterate it or
 * index it with `at(i)`.
 */
export class ModuleList<M extends Module = Module> extends IndexedModules<M> {
  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.append(m);
  }
}
