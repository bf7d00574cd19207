// Optimizers against hand-computed steps (CPU float64), WebGPU parity of the fused update,
// schedules, clipping, EMA, exact resumption, and flat memory over a training loop.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { heldBytes } from './setup/memory.js';
import * as T from '../src/index.js';
import { nn, optim } from '../src/index.js';
import type { DeviceName, Tensor } from '../src/index.js';
import { loadCheckpoint, saveCheckpoint } from '../src/node.js';
import { TOL, firstMismatch } from './setup/tolerance.js';

beforeAll(async () => {
  await T.initWebGPU();
});

const P0 = [1, -2, 0.5];
const C = [0.5, 2, -3];

/** Steps of `opt` on loss = sum(c * p^2) / 2 (gradient c * p); returns p after each step. */
function run(make: (p: Tensor) => optim.Optimizer, steps: number, device: DeviceName = 'cpu', dtype: 'float32' | 'float64' = 'float64'): number[][] {
  const p = T.tensor(P0, { dtype, device }).requiresGrad_();
  const c = T.tensor(C, { dtype, device });
  const opt = make(p);
  const out: number[][] = [];
  for (let i = 0; i < steps; i++) {
    T.tidy(() => {
      opt.zeroGrad();
      T.div(T.sum(T.mul(c, T.square(p))), 2).backward();
      opt.step();
    });
    out.push(device === 'cpu' ? Array.from(p.dataSync()) : []);
  }
  return out;
}

type Hyper = Record<string, number | boolean | number[]>;

/** The update rules as PyTorch's documentation writes them, one scalar at a time. */
function reference(kind: string, h: Hyper, steps: number): number[][] {
  const p = [...P0];
  const s1 = p.map(() => 0);
  const s2 = p.map(() => 0);
  const s3 = p.map(() => 0);
  const out: number[][] = [];
  const lr = h.lr as number;
  const wd = (h.weightDecay as number) ?? 0;
  for (let t = 1; t <= steps; t++) {
    for (let i = 0; i < p.length; i++) {
      let g = C[i]! * p[i]!;
      if (kind === 'sgd') {
        const mu = (h.momentum as number) ?? 0;
        const damp = (h.dampening as number) ?? 0;
        g += wd * p[i]!;
        if (mu) {
          s1[i] = t === 1 ? g : mu * s1[i]! + (1 - damp) * g;
          g = h.nesterov ? g + mu * s1[i]! : s1[i]!;
        }
        p[i]! -= lr * g;
      } else if (kind === 'adam' || kind === 'adamw') {
        const [b1, b2] = (h.betas as [number, number] | undefined) ?? [0.9, 0.999];
        const eps = 1e-8;
        if (kind === 'adamw') p[i]! -= lr * wd * p[i]!;
        else g += wd * p[i]!;
        s1[i] = b1 * s1[i]! + (1 - b1) * g;
        s2[i] = b2 * s2[i]! + (1 - b2) * g * g;
        // AMSGrad: the largest second moment so far replaces the current one.
        s3[i] = Math.max(s3[i]!, s2[i]!);
        const mHat = s1[i]! / (1 - b1 ** t);
        const vHat = (h.amsgrad ? s3[i]! : s2[i]!) / (1 - b2 ** t);
        p[i]! -= (lr * mHat) / (Math.sqrt(vHat) + eps);
      } else {
        const [alpha, eps, mu] = [(h.alpha as number) ?? 0.99, 1e-8, (h.momentum as number) ?? 0];
        g += wd * p[i]!;
        s1[i] = alpha * s1[i]! + (1 - alpha) * g * g;
        // Centered: subtract the squared running mean of the gradient (s3).
        s3[i] = alpha * s3[i]! + (1 - alpha) * g;
        const avg = Math.sqrt(h.centered ? s1[i]! - s3[i]! * s3[i]! : s1[i]!) + eps;
        if (mu) {
          s2[i] = mu * s2[i]! + g / avg;
          p[i]! -= lr * s2[i]!;
        } else {
          p[i]! -= (lr * g) / avg;
        }
      }
    }
    out.push([...p]);
  }
  return out;
}

const CASES: [string, string, Hyper, (p: Tensor, h: Hyper) => optim.Optimizer][] = [
  ['SGD', 'sgd', { lr: 0.1 }, (p, h) => new optim.SGD([p], h)],
  ['SGD momentum + dampening + weight decay', 'sgd', { lr: 0.1, momentum: 0.9, dampening: 0.3, weightDecay: 0.01 }, (p, h) => new optim.SGD([p], h)],
  ['SGD Nesterov', 'sgd', { lr: 0.05, momentum: 0.8, nesterov: true }, (p, h) => new optim.SGD([p], h)],
  ['Adam + L2', 'adam', { lr: 0.1, weightDecay: 0.1 }, (p, h) => new optim.Adam([p], h)],
  ['AdamW', 'adamw', { lr: 0.1, weightDecay: 0.1 }, (p, h) => new optim.AdamW([p], h)],
  // A small beta2 lets exp_avg_sq fall within a few steps, so the running maximum matters.
  ['Adam AMSGrad', 'adam', { lr: 0.3, betas: [0.9, 0.5], amsgrad: true }, (p, h) => new optim.Adam([p], h)],
  ['AdamW AMSGrad', 'adamw', { lr: 0.5, betas: [0.8, 0.6], weightDecay: 0.1, amsgrad: true }, (p, h) => new optim.AdamW([p], h)],
  ['RMSprop', 'rmsprop', { lr: 0.01 }, (p, h) => new optim.RMSprop([p], h)],
  ['RMSprop momentum + weight decay', 'rmsprop', { lr: 0.01, momentum: 0.5, weightDecay: 0.1 }, (p, h) => new optim.RMSprop([p], h)],
  ['RMSprop centered', 'rmsprop', { lr: 0.01, alpha: 0.9, centered: true }, (p, h) => new optim.RMSprop([p], h)],
  ['RMSprop centered + momentum + weight decay', 'rmsprop', { lr: 0.01, alpha: 0.9, centered: true, momentum: 0.5, weightDecay: 0.1 }, (p, h) => new optim.RMSprop([p], h)],
];

describe('optimizers match hand-computed steps (CPU, float64)', () => {
  it('SGD, first step by hand: p - lr * c * p', () => {
    expect(run((p) => new optim.SGD([p], { lr: 0.1 }), 1)[0]).toEqual([1 - 0.1 * 0.5, -2 - 0.1 * -4, 0.5 - 0.1 * -1.5]);
  });
  for (const [name, kind, h, make] of CASES) {
    it(name, () => {
      const got = run((p) => make(p, h), 4);
      reference(kind, h, 4).forEach((row, t) => row.forEach((v, i) => expect(got[t]![i]).toBeCloseTo(v, 12)));
    });
  }

  it('AMSGrad keeps max_exp_avg_sq >= exp_avg_sq, and it changes the steps once exp_avg_sq falls', () => {
    const h = { lr: 0.3, betas: [0.9, 0.5] as [number, number] };
    const plain = run((p) => new optim.Adam([p], h), 4);
    let opt!: optim.Optimizer;
    const ams = run((p) => (opt = new optim.Adam([p], { ...h, amsgrad: true })), 4);
    // max(0, v1) = v1: the first step is Adam's.
    expect(ams[0]).toEqual(plain[0]);
    expect(Math.abs(ams[3]![0]! - plain[3]![0]!)).toBeGreaterThan(0.1);
    const { buffers } = opt.stateDict().state[0]!;
    expect(Object.keys(buffers)).toEqual(['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq']);
    const v = Array.from(buffers.exp_avg_sq!.dataSync());
    const vMax = Array.from(buffers.max_exp_avg_sq!.dataSync());
    vMax.forEach((m, i) => expect(m).toBeGreaterThanOrEqual(v[i]!));
    expect(vMax.some((m, i) => m > v[i]!)).toBe(true);
  });

  it('centered RMSprop keeps grad_avg (after momentum_buffer) and divides by a smaller average', () => {
    const h = { lr: 0.01, alpha: 0.9 };
    const plain = run((p) => new optim.RMSprop([p], h), 3);
    let opt!: optim.Optimizer;
    const centered = run((p) => (opt = new optim.RMSprop([p], { ...h, centered: true })), 3);
    // Step 1 divides by sqrt(0.1 g^2 - (0.1 g)^2) = sqrt(0.09) |g| instead of sqrt(0.1) |g|.
    centered[0]!.forEach((v, i) => expect((v - P0[i]!) / (plain[0]![i]! - P0[i]!)).toBeCloseTo(Math.sqrt(0.1 / 0.09), 6));
    expect(Object.keys(opt.stateDict().state[0]!.buffers)).toEqual(['square_avg', 'grad_avg']);
    let withMomentum!: optim.Optimizer;
    run((p) => (withMomentum = new optim.RMSprop([p], { ...h, centered: true, momentum: 0.5 })), 1);
    expect(Object.keys(withMomentum.stateDict().state[0]!.buffers)).toEqual(['square_avg', 'momentum_buffer', 'grad_avg']);
  });
});

describe('the fused WebGPU update matches the CPU reference', () => {
  for (const [name, , h, make] of CASES) {
    it(name, async () => {
      const final = async (device: DeviceName) => {
        const p = T.tensor(Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i)), { device }).requiresGrad_();
        const c = T.tensor(Float32Array.from({ length: 1000 }, (_, i) => Math.cos(i * 0.7) * 2), { device });
        const opt = make(p, h);
        for (let i = 0; i < 5; i++) {
          T.tidy(() => {
            opt.zeroGrad();
            T.sum(T.mul(c, T.square(p))).backward();
            opt.step();
          });
        }
        return p.toArray();
      };
      const [gpu, cpu] = [await final('webgpu'), await final('cpu')];
      expect(firstMismatch(gpu, cpu, TOL.f32Reduce)).toBe(-1);
    });
  }
});

describe('optimizer mechanics', () => {
  it('parameter groups keep their own options; errors are clear', () => {
    const a = T.ones([2]).requiresGrad_();
    const b = T.ones([2]).requiresGrad_();
    const opt = new optim.SGD([{ params: [a] }, { params: [b], lr: 1 }], { lr: 0.1 });
    T.sum(T.add(a, T.mul(b, 1))).backward();
    opt.step();
    expect(Array.from(a.dataSync())).toEqual([0.9, 0.9].map(Math.fround));
    expect(Array.from(b.dataSync())).toEqual([0, 0]);
    opt.zeroGrad();
    expect(a.grad).toBeNull();
    expect(() => new optim.Adam([a], { lr: -1 })).toThrow(/invalid learning rate -1/);
    expect(() => new optim.SGD([{ params: [a] }, { params: [a] }])).toThrow(/more than one group/);
    expect(() => new optim.SGD([a], { nesterov: true })).toThrow(/Nesterov momentum requires a momentum/);
    expect(() => new optim.Adam(new nn.Identity().parameters())).toThrow(/Adam: got an empty parameter list/);
  });

  it('schedules: step, linear warm-up, cosine, and warm-up then cosine', () => {
    const lrs = (make: (o: optim.Optimizer) => optim.LRScheduler, n: number) => {
      const o = new optim.SGD([T.ones([1]).requiresGrad_()], { lr: 1 });
      const s = make(o);
      const out = [o.paramGroups[0]!.lr];
      for (let i = 0; i < n; i++) {
        s.step();
        out.push(o.paramGroups[0]!.lr);
      }
      return out;
    };
    expect(lrs((o) => new optim.StepLR(o, 2, 0.5), 4)).toEqual([1, 1, 0.5, 0.5, 0.25]);
    expect(lrs((o) => new optim.LinearLR(o, { startFactor: 0.25, totalIters: 3 }), 4)).toEqual([0.25, 0.5, 0.75, 1, 1]);
    lrs((o) => new optim.CosineAnnealingLR(o, 4, 0.1), 4).forEach((v, t) => expect(v).toBeCloseTo(0.1 + 0.45 * (1 + Math.cos((Math.PI * t) / 4)), 12));
    const seq = lrs((o) => new optim.SequentialLR(o, [new optim.LinearLR(o, { startFactor: 0.5, totalIters: 2 }), new optim.CosineAnnealingLR(o, 2)], [2]), 4);
    [0.5, 0.75, 1, 0.5, 0].forEach((v, t) => expect(seq[t]).toBeCloseTo(v, 12));
  });

  it('clipGradNorm_ scales on the device and returns the norm; clipGradValue_ clamps', () => {
    const a = T.tensor([0, 0]).requiresGrad_();
    const b = T.tensor([0]).requiresGrad_();
    T.add(T.sum(T.mul(a, T.tensor([3, 0]))), T.sum(T.mul(b, 4))).backward();
    const norm = optim.clipGradNorm_([a, b], 1);
    expect(norm.dataSync()[0]).toBeCloseTo(5, 5);
    expect(Array.from(a.grad!.dataSync()).map((v) => +v.toFixed(5))).toEqual([0.6, 0]);
    expect(b.grad!.dataSync()[0]).toBeCloseTo(0.8, 5);
    // One gradient tensor shared by two leaves (autograd hands `add`'s gradient to both) is scaled once.
    const x = T.ones([2]).requiresGrad_();
    const y = T.ones([2]).requiresGrad_();
    T.sum(T.mul(T.add(x, y), 3)).backward();
    expect(optim.clipGradNorm_([x, y], 3).dataSync()[0]).toBeCloseTo(6, 5);
    for (const g of [x.grad!, y.grad!]) Array.from(g.dataSync()).forEach((v) => expect(v).toBeCloseTo(1.5, 5));
    expect(optim.clipGradNorm_([x, y], 10, Infinity).dataSync()[0]).toBeCloseTo(1.5, 5);
    optim.clipGradValue_([x], 0.5);
    expect(Array.from(x.grad!.dataSync())).toEqual([0.5, 0.5]);
  });

  it('EMA averages floating-point state and copies it into another instance', () => {
    const model = new nn.Linear(2, 1);
    const ema = new optim.EMA(model, { decay: 0.75 });
    const w0 = Array.from(model.weight.dataSync());
    T.noGrad(() => model.weight.assign_(T.add(model.weight, 4)));
    ema.update();
    const copy = new nn.Linear(2, 1);
    ema.copyTo(copy);
    Array.from(copy.weight.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(w0[i]! + 1, 5));
    expect(new optim.EMA(model, { decay: 0.999, warmup: true }).currentDecay()).toBeCloseTo(0.1, 12);
  });

  /**
   * A two-layer regression net `sizes` = [in, hidden, out] on one fixed batch of `batch` rows,
   * rebuilt from `seed` by each `make()` with its optimizer; `train` takes full-batch MSE steps.
   */
  const regression = (seed: number, [inF, hidden, outF]: number[], batch: number, makeOpt: (params: Tensor[]) => optim.Optimizer) => {
    const make = () => {
      T.manualSeed(seed);
      const model = new nn.Sequential(new nn.Linear(inF!, hidden!), new nn.Tanh(), new nn.Linear(hidden!, outF!));
      return { model, opt: makeOpt(model.parameters()) };
    };
    const x = T.randn([batch, inF!]);
    const y = T.randn([batch, outF!]);
    const train = (m: ReturnType<typeof make>, steps: number) => {
      for (let i = 0; i < steps; i++) {
        T.tidy(() => {
          m.opt.zeroGrad();
          T.mseLoss(m.model.forward(x), y).backward();
          m.opt.step();
        });
      }
    };
    const weights = (m: ReturnType<typeof make>) => m.model.parameters().flatMap((p) => Array.from(p.dataSync()));
    return { make, train, weights };
  };

  it('a checkpoint resumes training exactly (model + Adam state through safetensors)', async () => {
    const { make, train, weights } = regression(3, [4, 8, 2], 16, (params) => new optim.Adam(params, { lr: 0.05 }));
    const straight = make();
    train(straight, 6);
    const first = make();
    train(first, 3);
    const dir = join(mkdtempSync(join(tmpdir(), 'genlab-optim-')), 'ckpt');
    await saveCheckpoint(dir, { module: first.model, optimizers: { adam: first.opt }, trainingState: { step: 3 } });
    const resumed = make();
    const { trainingState } = loadCheckpoint(dir, { module: resumed.model, optimizers: { adam: resumed.opt } });
    expect(trainingState.step).toBe(3);
    train(resumed, 3);
    expect(weights(resumed)).toEqual(weights(straight));
  });

  // beta2 = 0.5 and alpha = 0.6 make max_exp_avg_sq and grad_avg differ from their fresh zeros in
  // every step, so a buffer lost in the round trip changes the resumed run.
  const RESUME: [string, string, (params: Tensor[]) => optim.Optimizer][] = [
    ['Adam AMSGrad', 'max_exp_avg_sq', (params) => new optim.Adam(params, { lr: 0.05, betas: [0.9, 0.5], amsgrad: true })],
    ['AdamW AMSGrad', 'max_exp_avg_sq', (params) => new optim.AdamW(params, { lr: 0.05, betas: [0.8, 0.5], amsgrad: true })],
    ['RMSprop centered', 'grad_avg', (params) => new optim.RMSprop(params, { lr: 0.01, alpha: 0.6, centered: true })],
    ['RMSprop centered + momentum', 'grad_avg', (params) => new optim.RMSprop(params, { lr: 0.01, alpha: 0.6, centered: true, momentum: 0.7 })],
  ];
  for (const [name, key, makeOpt] of RESUME) {
    it(`${name}: '${key}' goes through the state dict and a checkpoint, and training resumes exactly`, async () => {
      const { make, train, weights } = regression(11, [5, 7, 3], 9, makeOpt);
      const straight = make();
      train(straight, 6);
      const first = make();
      train(first, 3);
      const saved = first.opt.stateDict();
      expect(Object.keys(saved.state).length).toBe(4);
      for (const s of Object.values(saved.state)) expect(Object.keys(s.buffers)).toContain(key);
      expect(saved.paramGroups[0]![key === 'grad_avg' ? 'centered' : 'amsgrad']).toBe(true);

      const inMemory = make();
      inMemory.opt.loadStateDict(saved);
      expect(Array.from(inMemory.opt.stateDict().state[2]!.buffers[key]!.dataSync())).toEqual(Array.from(saved.state[2]!.buffers[key]!.dataSync()));

      const dir = join(mkdtempSync(join(tmpdir(), 'genlab-optim-')), 'ckpt');
      await saveCheckpoint(dir, { module: first.model, optimizers: { opt: first.opt }, trainingState: { step: 3 } });
      const resumed = make();
      loadCheckpoint(dir, { module: resumed.model, optimizers: { opt: resumed.opt } });
      train(resumed, 3);
      expect(weights(resumed)).toEqual(weights(straight));
    });
  }
});

describe('memory', () => {
  for (const device of ['cpu', 'webgpu'] as const) {
    it(`live bytes stay flat over 60 steps of Adam + clipping + a schedule on ${device}`, async () => {
      T.manualSeed(0);
      const model = new nn.Sequential(new nn.Linear(12, 16, { device }), new nn.ReLU(), new nn.BatchNorm1d(16, { device }), new nn.Linear(16, 3, { device }));
      const opt = new optim.Adam(model.parameters(), { lr: 1e-2 });
      const sched = new optim.CosineAnnealingLR(opt, 60);
      const ema = new optim.EMA(model, { decay: 0.9 });
      const x = T.randn([8, 12], { device });
      const y = T.randn([8, 3], { device });
      const live: number[] = [];
      for (let i = 0; i < 60; i++) {
        T.tidy(() => {
          opt.zeroGrad();
          T.mseLoss(model.forward(x), y).backward();
          optim.clipGradNorm_(model.parameters(), 1);
          opt.step();
          sched.step();
          ema.update();
        });
        live.push(heldBytes());
      }
      await T.sync();
      expect(live[59]).toBe(live[0]);
    });
  }
});
