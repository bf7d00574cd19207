/**
 * Reverse-mode automatic differentiation on a dynamic tape.
 *
 * Each op that sees an input with `requiresGrad` attaches a GradNode to its output: the inputs and
 * a rule mapping the output's gradient to the inputs' gradients. Rules are written with the same
 * differentiable ops users call, so running backward while recording (`createGraph: true`) builds
 * a graph of the gradient itself, and second derivatives (gradient penalties, R1) come for free.
 */
import { ArgumentError, ShapeError, fmtShape } from './errors.js';
import { tidy, keep } from './memory.js';
import type { Tensor } from './tensor.js';
import * as ops from './ops/index.js';

/**
 * The record an op leaves on its output when an input requires gradients (`tensor.gradFn`,
 * `grad_fn` in PyTorch).
 */
export interface GradNode {
  /** The op's name, for error messages and debugging. */
  readonly name: string;
  /** The op's tensor inputs, in the order of `backward`'s gradients. */
  readonly inputs: readonly Tensor[];
  /** Gradients for each input (null: no gradient flows to that input). */
  readonly backward: (gradOutput: Tensor) => (Tensor | null)[];
}

let gradEnabled = true;

/** Whether ops record the graph now: false inside `noGrad` (`torch.is_grad_enabled`). */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Run `fn` without recording a graph (inference, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Run `fn` recording a graph even inside `noGrad`. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

function withGradMode<T>(mode: boolean, fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = mode;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Attach a backward rule to `out` if recording and any input needs a gradient. */
export function record(out: Tensor, name: string, inputs: readonly Tensor[], backward: GradNode['backward']): Tensor {
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.gradFn = { name, inputs, backward };
  }
  return out;
}

/** Nodes reachable from `root`, inputs before outputs. */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // Iterative DFS: a deep chain (an RNN unrolled over many steps) must not overflow the stack.
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const inputs = t.gradFn?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const next = inputs[i]!;
      if (next.requiresGrad && !seen.has(next)) {
        seen.add(next);
        stack.push([next, 0]);
      }
    } else {
      order.push(t);
      stack.pop();
    }
  }
  return order;
}

function seedGradient(root: Tensor, gradient: Tensor | undefined, op: string): Tensor {
  if (gradient) {
    if (gradient.shape.join() !== root.shape.join()) {
      throw new ShapeError(`${op}: gradient shape ${fmtShape(gradient.shape)} does not match the output shape ${fmtShape(root.shape)}`);
    }
    return gradient;
  }
  if (root.size !== 1) {
    throw new ShapeError(`${op}: the output has shape ${fmtShape(root.shape)}; pass a gradient or reduce it to a scalar first (grad can be implicitly created only for scalar outputs)`);
  }
  return ops.onesLike(root);
}

/**
 * The core pass: propagate `gradient` from `root` and return the gradient of every tensor in
 * `wanted` (undefined where no path leads). Non-wanted intermediate gradients are disposed as soon
 * as they are consumed unless a graph is being built.
 */
function propagate(root: Tensor, gradient: Tensor | undefined, wanted: Set<Tensor>, createGraph: boolean, op: string): Map<Tensor, Tensor> {
  if (!root.requiresGrad) {
    throw new ArgumentError(`${op}: the output does not require grad (no input had requiresGrad, or it was computed under noGrad)`);
  }
  const run = () => {
    const grads = new Map<Tensor, Tensor>();
    // How many map entries hold each gradient tensor: one rule may hand the same tensor to several
    // inputs (add returns [g, g]), so a gradient is freed only when no entry holds it any more.
    const holders = new Map<Tensor, number>();
    const hold = (input: Tensor, g: Tensor) => {
      grads.set(input, g);
      holders.set(g, (holders.get(g) ?? 0) + 1);
    };
    const unhold = (g: Tensor) => {
      const n = (holders.get(g) ?? 1) - 1;
      if (n > 0) return holders.set(g, n);
      holders.delete(g);
      if (!createGraph && g !== gradient) g.dispose();
    };
    hold(root, seedGradient(root, gradient, op));
    const order = topologicalOrder(root);
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i]!;
      const g = grads.get(t);
      if (!g || !t.gradFn) continue;
      const inputGrads = t.gradFn.backward(g);
      t.gradFn.inputs.forEach((input, j) => {
        const gi = inputGrads[j];
        if (!gi || !input.requiresGrad) return;
        const prev = grads.get(input);
        if (prev) {
          hold(input, ops.add(prev, gi));
          unhold(prev);
        } else {
          hold(input, gi);
        }
      });
      if (!wanted.has(t)) {
        grads.delete(t);
        unhold(g);
      }
    }
    const result = new Map<Tensor, Tensor>();
    for (const t of wanted) {
      const g = grads.get(t);
      if (g) result.set(t, g);
    }
    return result;
  };
  // Without createGraph every temporary of the backward pass dies at the end of it; with it,
  // the new graph references those temporaries, so they must live as long as the result does.
  return createGraph ? run() : tidy(() => noGrad(run));
}

/** Nodes a backward pass without retainGraph went through: a second pass through them is an error. */
const consumed = new WeakSet<GradNode>();

/** `tensor.backward()`: accumulate d(root)/d(leaf) into the `.grad` of every leaf that requires it. */
export function backward(root: Tensor, gradient: Tensor | undefined, opts: { createGraph?: boolean; retainGraph?: boolean } = {}): void {
  ops.checkInputs('backward', root, ...(gradient === undefined ? [] : [gradient]));
  const createGraph = opts.createGraph ?? false;
  const wanted = new Set<Tensor>();
  const order = topologicalOrder(root);
  for (const t of order) {
    if (t.gradFn && consumed.has(t.gradFn)) {
      throw new ArgumentError(`backward: the graph through '${t.gradFn.name}' (output shape ${fmtShape(t.shape)}) was already used by a backward pass; a second one would add its gradients again. Pass { retainGraph: true } to the first backward if that is meant, or recompute the forward pass`);
    }
    if (t.requiresGrad && (t.isLeaf || t.retainsGrad)) wanted.add(t);
  }
  const grads = propagate(root, gradient, wanted, createGraph, 'backward');
  // As PyTorch frees the graph after backward (unless retain_graph, which create_graph implies).
  if (!(opts.retainGraph ?? createGraph)) for (const t of order) if (t.gradFn) consumed.add(t.gradFn);
  // One gradient tensor may reach several leaves (sum(a + b) hands the same g to a and b): a leaf
  // adopts it only if no other leaf did; the others get copies, so each .grad is owned once.
  const adopted = new Set<Tensor>();
  for (const [t, g] of grads) {
    if (t.grad) {
      const sum = keep(ops.add(t.grad, g));
      t.grad.dispose();
      t.grad = sum;
    } else if (g === gradient || adopted.has(g)) {
      t.grad = keep(ops.clone(g));
    } else {
      t.grad = keep(g);
      adopted.add(g);
    }
  }
  for (const g of new Set(grads.values())) {
    if (!adopted.has(g) && g !== gradient) g.dispose();
  }
}

/**
 * `torch.autograd.grad`: the gradients of `output` with respect to `inputs`, without touching
 * `.grad`. With `createGraph` the results are differentiable (for higher-order derivatives).
 */
export function gradients(output: Tensor, inputs: readonly Tensor[], opts: { gradOutput?: Tensor; createGraph?: boolean; allowUnused?: boolean } = {}): Tensor[] {
  ops.checkInputs('gradients', output);
  if (!Array.isArray(inputs)) throw new ArgumentError(`gradients: inputs must be an array of tensors, got ${ops.describeValue(inputs)}`);
  inputs.forEach((t) => ops.requireTensor('gradients', t, 'input'));
  inputs.forEach((t, i) => {
    if (!t.requiresGrad) throw new ArgumentError(`gradients: input ${i} (shape ${fmtShape(t.shape)}) does not require grad`);
  });
  const grads = propagate(output, opts.gradOutput, new Set(inputs), opts.createGraph ?? false, 'gradients');
  return inputs.map((t, i) => {
    const g = grads.get(t);
    if (g) return g;
    if (!opts.allowUnused) {
      throw new ArgumentError(`gradients: input ${i} (shape ${fmtShape(t.shape)}) was not used to compute the output; pass allowUnused to get zeros`);
    }
    return ops.zerosLike(t);
  });
}

let transformDepth = 0;

/**
 * JAX-style `valueAndGrad(fn)`: returns a function computing fn's scalar value and its gradient
 * with respect to every tensor argument (or the ones listed in `argnums`). Nesting works
 * (`grad(x => grad(f)(x)[0].sum())`): inside another transform the inner gradient is built with
 * createGraph so the outer one can differentiate it.
 */
export function valueAndGrad(fn: (...args: Tensor[]) => Tensor, opts: { argnums?: number[] } = {}) {
  return (...args: Tensor[]): [Tensor, Tensor[]] => {
    const argnums = opts.argnums ?? args.map((_, i) => i);
    const leaves = args.map((a, i) => (argnums.includes(i) && !a.requiresGrad ? a.detach().requiresGrad_(true) : a));
    transformDepth++;
    let value: Tensor;
    try {
      value = enableGrad(() => fn(...leaves));
    } finally {
      transformDepth--;
    }
    const wrt = argnums.map((i) => leaves[i]!);
    // An argument that already requires grad belongs to an outer graph (an enclosing transform or a
    // user's backward): keep the gradient differentiable for it.
    const createGraph = gradEnabled && (transformDepth > 0 || args.some((a) => a.requiresGrad));
    const grads = enableGrad(() => gradients(value, wrt, { createGraph, allowUnused: true }));
    return [createGraph ? value : value.detach(), grads];
  };
}

/** JAX-style `grad(fn)`: the gradients of a scalar-valued function with respect to its tensor arguments. */
export function grad(fn: (...args: Tensor[]) => Tensor, opts: { argnums?: number[] } = {}) {
  const vg = valueAndGrad(fn, opts);
  return (...args: Tensor[]): Tensor[] => vg(...args)[1];
}
