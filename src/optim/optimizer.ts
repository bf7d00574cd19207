/**
 * The optimizer base class, as torch.optim.Optimizer: parameter groups with their own options,
 * per-parameter state, `zeroGrad`, `step`, and a state dict that resumes training exactly.
 *
 * Each step is one fused kernel per parameter (the backend's `optimizerUpdate`), updating the
 * parameter and its state buffers in place: no temporaries, no readback, and the parameter stays
 * the same Tensor object, so modules and other references see the new values.
 */
import type { OptimizerHyper, OptimizerKind } from '../backend/backend.js';
import { ArgumentError, fmtShape } from '../errors.js';
import { keep } from '../memory.js';
import { noGrad } from '../autograd.js';
import { zerosLike } from '../ops/index.js';
import type { Tensor } from '../tensor.js';
import { copyLike } from '../nn/copy.js';
import { zeroGradients } from '../nn/grad.js';
import { fusedUpdate } from './fused.js';

/** Options every optimizer has; a scheduler changes `lr` in place. */
export interface BaseOptions {
  /** The learning rate; a scheduler changes it in place. */
  lr: number;
  /**
   * The weight-decay factor (its meaning depends on the optimizer: L2 in the gradient, or decoupled
   * for AdamW).
   */
  weightDecay: number;
  /** The learning rate a schedule starts from, recorded by the first scheduler (PyTorch's initial_lr). */
  initialLr?: number;
}

/** A parameter group: its parameters and its own copy of every option. */
export type ParamGroup<O extends BaseOptions> = O & { params: Tensor[] };

/** What the constructor takes: parameters, or groups whose missing options fall back to the defaults. */
export type ParamsArg<O extends BaseOptions> = Iterable<Tensor> | readonly (Partial<O> & { params: Iterable<Tensor> })[];

/** One parameter's state: its step count and named buffers (PyTorch's names: exp_avg, ...). */
export interface ParamState {
  /** How many updates this parameter has had. */
  step: number;
  /**
   * The optimizer's running tensors for this parameter, by PyTorch's names (`exp_avg`,
   * `momentum_buffer`, ...).
   */
  buffers: Map<string, Tensor>;
}

/** `stateDict()`: PyTorch's layout, parameters numbered in group order. */
export interface OptimizerStateDict {
  /** Per parameter number: its step count and buffers. */
  state: Record<number, { step: number; buffers: Record<string, Tensor> }>;
  /** Each group's options, with the numbers of its parameters. */
  paramGroups: (Record<string, unknown> & { params: number[] })[];
}

/**
 * The base of every optimizer, as `torch.optim.Optimizer`: parameter groups with their own options,
 * per-parameter state, `zeroGrad()`, `step()` (one fused in-place kernel per parameter), and
 * `stateDict()` / `loadStateDict()` to resume exactly.
 */
export abstract class Optimizer<O extends BaseOptions = BaseOptions> {
  /**
   * The parameter groups, each with its own copy of every option (change `lr` here, or with a
   * scheduler).
   */
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state (step count, buffers), created on a parameter's first update. */
  readonly state = new Map<Tensor, ParamState>();
  protected abstract readonly kind: OptimizerKind;

  constructor(params: ParamsArg<O>, /** The options a group gets when it does not set them. */ readonly defaults: O) {
    const groups = isGroupList(params) ? params : [{ params }];
    for (const g of groups) this.addParamGroup(g as Partial<O> & { params: Iterable<Tensor> });
    if (this.paramGroups.every((g) => g.params.length === 0)) throw new ArgumentError(`${new.target.name}: got an empty parameter list`);
  }

  /**
   * Add parameters with their own options (missing ones come from the defaults), as
   * `optimizer.add_param_group`. Throws `ArgumentError` when a parameter is already in a group.
   */
  addParamGroup(group: Partial<O> & { params: Iterable<Tensor> }): void {
    const params = [...group.params];
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    for (const p of params) {
      if (seen.has(p)) throw new ArgumentError(`${this.constructor.name}: a parameter of shape ${fmtShape(p.shape)} appears in more than one group`);
      seen.add(p);
    }
    const options = { ...this.defaults, ...group, params } as ParamGroup<O>;
    this.validate(options);
    this.paramGroups.push(options);
  }

  /** Drop every parameter's gradient (`setToNone`, the default) or set it to zeros. */
  zeroGrad(setToNone = true): void {
    zeroGradients(this.paramGroups.flatMap((g) => g.params), setToNone);
  }

  /** One update of every parameter that has a gradient. */
  step(): void {
    noGrad(() => {
      for (const group of this.paramGroups) {
        const names = this.stateNames(group);
        for (const p of group.params) {
          if (!p.grad) continue;
          let state = this.state.get(p);
          if (!state) {
            state = { step: 0, buffers: new Map() };
            this.state.set(p, state);
          }
          const fresh = names.some((n) => !state!.buffers.has(n));
          for (const n of names) if (!state.buffers.has(n)) state.buffers.set(n, keep(zerosLike(p)));
          state.step++;
          const buffers = names.map((n) => state!.buffers.get(n)!);
          fusedUpdate(this.kind, p, p.grad, buffers, { step: state.step, ...this.hyper(group, state, fresh) });
        }
      }
    });
  }

  /**
   * The state in PyTorch's layout (parameters numbered in group order): step counts, buffers and
   * each group's options, for `loadStateDict` or a checkpoint.
   */
  stateDict(): OptimizerStateDict {
    const state: OptimizerStateDict['state'] = {};
    const paramGroups: OptimizerStateDict['paramGroups'] = [];
    let index = 0;
    for (const { params, ...options } of this.paramGroups) {
      const ids: number[] = [];
      for (const p of params) {
        const s = this.state.get(p);
        if (s) state[index] = { step: s.step, buffers: Object.fromEntries(s.buffers) };
        ids.push(index++);
      }
      paramGroups.push({ ...options, params: ids });
    }
    return { state, paramGroups };
  }

  /** Restore options and state (copied onto each parameter's device and dtype). */
  loadStateDict(dict: OptimizerStateDict): void {
    const name = this.constructor.name;
    if (dict.paramGroups.length !== this.paramGroups.length) {
      throw new ArgumentError(`${name}.loadStateDict: the state has ${dict.paramGroups.length} parameter groups, the optimizer ${this.paramGroups.length}`);
    }
    const params = this.paramGroups.flatMap((g) => g.params);
    dict.paramGroups.forEach((saved, i) => {
      if (saved.params.length !== this.paramGroups[i]!.params.length) {
        throw new ArgumentError(`${name}.loadStateDict: group ${i} has ${saved.params.length} parameters in the state but ${this.paramGroups[i]!.params.length} here`);
      }
    });
    const loaded = new Map<Tensor, ParamState>();
    for (const [key, saved] of Object.entries(dict.state)) {
      const p = params[Number(key)];
      if (!p) throw new ArgumentError(`${name}.loadStateDict: state for parameter ${key}, but there are only ${params.length}`);
      const buffers = new Map<string, Tensor>();
      for (const [n, t] of Object.entries(saved.buffers)) buffers.set(n, keep(copyLike(t, p, `${name}.loadStateDict (parameter ${key}, ${n})`)));
      loaded.set(p, { step: saved.step, buffers });
    }
    dict.paramGroups.forEach(({ params: _ids, ...options }, i) => {
      const group = this.paramGroups[i]!;
      Object.assign(group, options);
      this.validate(group);
    });
    this.dispose();
    for (const [p, s] of loaded) this.state.set(p, s);
  }

  /** Free the state buffers (the optimizer starts from scratch if used again). */
  dispose(): void {
    for (const s of this.state.values()) for (const t of s.buffers.values()) t.dispose();
    this.state.clear();
  }

  /** Names of the state buffers this group's options need, in the order the kernel takes them. */
  protected abstract stateNames(group: ParamGroup<O>): string[];
  /** The kernel's hyper-parameters for one parameter (`fresh`: its buffers were just created). */
  protected abstract hyper(group: ParamGroup<O>, state: ParamState, fresh: boolean): Omit<OptimizerHyper, 'step'>;

  protected validate(group: ParamGroup<O>): void {
    const name = this.constructor.name;
    if (!(group.lr >= 0)) throw new ArgumentError(`${name}: invalid learning rate ${group.lr}`);
    if (!(group.weightDecay >= 0)) throw new ArgumentError(`${name}: invalid weightDecay ${group.weightDecay}`);
  }
}

function isGroupList<O extends BaseOptions>(params: ParamsArg<O>): params is readonly (Partial<O> & { params: Iterable<Tensor> })[] {
  return Array.isArray(params) && params.length > 0 && 'params' in (params[0] as object);
}
