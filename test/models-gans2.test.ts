// The GANs of issue "GAN family II", first half: the hinge loss, spectral norm, the projection
// discriminator with conditional batch norm (projgan), the 2C contrastive loss (contragan), the
// f-divergences (fgan) and self-attention (sagan). Closed forms against hand-computed values.
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { nn } from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { loadEmbeddedMnist } from '../src/node.js';
import { ContraGan, DIVERGENCES, F_DIVERGENCES, ProjectionGan, Sagan, SelfAttention2d, type Divergence, conditionalContrastiveLoss, hingeDiscriminatorLoss, hingeGeneratorLoss } from '../models/index.js';
import { disposeHarness, harness, step as trainingStep } from './setup/models.js';
import { symmetricEigen } from '../models/blocks/linalg.js';

const f64 = { dtype: 'float64', device: 'cpu' } as const;

describe('hinge loss', () => {
  it('D pays max(0, 1 - real) + max(0, 1 + fake) on average, G pays -mean(fake)', () => {
    const real = T.tensor([2, 0.5, -1], f64);
    const fake = T.tensor([-3, 0, 0.25], f64);
    expect(hingeDiscriminatorLoss(real, fake).dataSync()[0]).toBeCloseTo((0 + 0.5 + 2) / 3 + (0 + 1 + 1.25) / 3, 12);
    expect(hingeGeneratorLoss(fake).dataSync()[0]).toBeCloseTo((3 - 0 - 0.25) / 3, 12);
  });
});

/** σ_max of a [rows, cols] float64 matrix: √ of the largest eigenvalue of W Wᵀ (Jacobi, on the host). */
function largestSingularValue(w: ArrayLike<number>, rows: number, cols: number): number {
  const gram = new Float64Array(rows * rows);
  for (let i = 0; i < rows; i++) for (let j = 0; j < rows; j++) {
    let s = 0;
    for (let k = 0; k < cols; k++) s += w[i * cols + k]! * w[j * cols + k]!;
    gram[i * rows + j] = s;
  }
  return Math.sqrt(Math.max(...symmetricEigen(gram, rows).values));
}

describe('spectral norm', () => {
  it("divides each of D's weights by its largest singular value: σ_max ≈ 1 after the power iterations", () => {
    T.manualSeed(0);
    const model = new ProjectionGan({ zDim: 8, classes: 10, width: 4 }, 'cpu');
    const layers: [string, nn.Module][] = [
      ['conv 1', model.trunk.net.at(0)], ['conv 2', model.trunk.net.at(2)], ['conv 3', model.trunk.net.at(4)], ['ψ', model.head], ['emb', model.projection],
    ];
    for (const [what, layer] of layers) {
      const raw = (layer as unknown as { weightOrig: Tensor }).weightOrig;
      const rows = raw.shape[0]!, cols = raw.size / rows;
      // Each read of the weight in training mode runs one power iteration.
      for (let i = 0; i < 60; i++) (layer as unknown as { weight: Tensor }).weight.dispose();
      const normalised = (layer as unknown as { weight: Tensor }).weight;
      expect(largestSingularValue(normalised.dataSync(), rows, cols), what).toBeCloseTo(1, 3);
      // The raw weight is far from norm 1, so the division did the work.
      expect(Math.abs(largestSingularValue(raw.dataSync(), rows, cols) - 1), what).toBeGreaterThan(0.05);
    }
    model.dispose();
  });
});

describe('projgan', () => {
  it('D(x, y) = ψ(φ(x)) + emb(y)ᵀφ(x), computed by hand from the weights', async () => {
    T.manualSeed(1);
    const model = new ProjectionGan({ zDim: 8, classes: 10, width: 4 }, 'cpu');
    model.eval(); // the normalised weights stay put between reads
    const { images, labels } = loadEmbeddedMnist({ limit: 3 });
    const x = T.sub(T.mul(images, 2), 1);
    const phi = T.noGrad(() => model.trunk.forward(x));
    const [n, f] = phi.shape as [number, number];
    const [p, w, b, e] = [phi.dataSync(), model.head.weight.dataSync(), model.head.bias!.dataSync(), model.projection.weight.dataSync()];
    const y = labels!.dataSync();
    const got = T.noGrad(() => model.discriminate(x, labels!)).dataSync();
    for (let i = 0; i < n; i++) {
      let psi = b[0]!, proj = 0;
      for (let k = 0; k < f; k++) {
        psi += w[k]! * p[i * f + k]!;
        proj += e[y[i]! * f + k]! * p[i * f + k]!;
      }
      expect(Math.abs(got[i]! - (psi + proj))).toBeLessThan(1e-4 * (1 + Math.abs(psi) + Math.abs(proj)));
    }
    model.dispose();
  });

  it('samples the requested classes: same noise, another class, another image', () => {
    T.manualSeed(2);
    const model = new ProjectionGan({ zDim: 8, classes: 10, width: 4 }, 'cpu');
    // Untrained, every class has γ = 1 and β = 0; give the classes their own shifts, as training does.
    nn.init.normal_(model.generator.norm2.shift.weight, 0, 0.5);
    const one = (c: number) => {
      T.manualSeed(5);
      return Array.from(model.sample(1, { labels: T.tensor(Int32Array.of(c), { dtype: 'int32', device: 'cpu' }) }).dataSync());
    };
    expect(one(1)).toEqual(one(1));
    expect(one(1)).not.toEqual(one(2));
    model.dispose();
  });
});

describe('contragan', () => {
  it('2C against a hand-computed case: 3 examples, classes [0, 0, 1], t = 0.5', () => {
    const l = [[3, 4], [1, 0], [0, 2]];
    const e = [[0, 1], [0, 1], [1, 1]]; // e(y_i): classes 0, 0, 1
    const labels = [0, 0, 1];
    const t = 0.5;
    const unit = (v: number[]) => v.map((x) => x / Math.hypot(...v));
    const cos = (a: number[], b: number[]) => unit(a).reduce((s, x, k) => s + x * unit(b)[k]!, 0);
    let total = 0;
    for (let i = 0; i < 3; i++) {
      const toClass = Math.exp(cos(l[i]!, e[i]!) / t);
      let positives = toClass, all = toClass;
      for (let k = 0; k < 3; k++) {
        if (k === i) continue;
        const v = Math.exp(cos(l[i]!, l[k]!) / t);
        all += v;
        if (labels[k] === labels[i]) positives += v;
      }
      total -= Math.log(positives / all);
    }
    // Example 0 by hand: cos(l0, e0) = 0.8, cos(l0, l1) = 0.6, cos(l0, l2) = 0.8; its term is
    // -log((e^1.6 + e^1.2) / (e^1.6 + e^1.2 + e^1.6)).
    expect(-Math.log((Math.exp(1.6) + Math.exp(1.2)) / (2 * Math.exp(1.6) + Math.exp(1.2)))).toBeCloseTo(0.4692, 4);
    const got = conditionalContrastiveLoss(T.tensor(l, f64), T.tensor(e, f64), T.tensor(Int32Array.from(labels), { dtype: 'int32', device: 'cpu' }), t);
    expect(got.dataSync()[0]).toBeCloseTo(total / 3, 10);
  });

  it('samples through the EMA of G, which follows G after a step', async () => {
    T.manualSeed(3);
    const h = harness('contragan', 'cpu', { config: { width: 4, embedDim: 8 } });
    const model = h.model as ContraGan;
    const before = Array.from(model.ema.up2.weight.dataSync());
    const data = loadEmbeddedMnist({ limit: 8 });
    for (const l of Object.values(trainingStep(h, { images: T.sub(T.mul(data.images, 2), 1), labels: data.labels! }))) l.dispose();
    const [g, ema] = [model.generator.up2.weight.dataSync(), model.ema.up2.weight.dataSync()];
    // Step 0's warmed-up decay is 1/10: the average moves 9/10 of the way to G.
    ema.forEach((v, i) => expect(v).toBeCloseTo(0.1 * before[i]! + 0.9 * g[i]!, 5));
    expect(model.samplingGenerator()).toBe(model.ema);
    disposeHarness(h);
  });
});

describe('fgan', () => {
  /** sup over u ≥ 0 of ut − f(u), by ternary search: ut − f(u) is concave because f is convex. */
  function supremum(f: (u: number) => number, t: number, upper: number): number {
    let [lo, hi] = [0, upper];
    const g = (u: number) => u * t - f(u);
    for (let i = 0; i < 300; i++) {
      const [a, b] = [lo + (hi - lo) / 3, hi - (hi - lo) / 3];
      if (g(a) < g(b)) lo = a;
      else hi = b;
    }
    return g((lo + hi) / 2);
  }

  /** Points t inside each conjugate's domain (the range of its output activation). */
  const points: Record<Divergence, number[]> = {
    kl: [-2, -0.5, 0, 1, 2],
    'reverse-kl': [-3, -1, -0.2],
    pearson: [-1.5, 0, 1, 3],
    hellinger: [-2, 0, 0.5, 0.8],
    js: [-2, 0, 0.5, 0.6],
    tv: [-0.5, -0.2, 0, 0.3, 0.5],
  };

  it.each(DIVERGENCES)("%s: f*(t) = sup_u ut − f(u), and f*(g_f(v)) in closed form equals the composition", (name) => {
    const d = F_DIVERGENCES[name];
    expect(d.f(1)).toBeCloseTo(0, 12); // f(1) = 0: D_f(P‖P) = 0
    const t = points[name];
    const conj = d.conjugate(T.tensor(t, f64)).dataSync();
    t.forEach((ti, i) => expect(conj[i], `t = ${ti}`).toBeCloseTo(supremum(d.f, ti, 1000), 6));
    const v = T.tensor([-4, -1, 0, 0.5, 2, 4], f64);
    const fused = d.conjugateOfActivation(v).dataSync();
    d.conjugate(d.activation(v)).dataSync().forEach((c, i) => expect(fused[i]).toBeCloseTo(c, 9));
    // The activation lands in the conjugate's domain: finite values at large |v|.
    expect(Array.from(d.conjugateOfActivation(T.tensor([-30, 30], f64)).dataSync()).every((x) => !Number.isNaN(x))).toBe(true);
  });

  it('trains one step on every divergence with finite losses', () => {
    const images = T.sub(T.mul(loadEmbeddedMnist({ limit: 8 }).images, 2), 1);
    for (const divergence of DIVERGENCES) {
      T.manualSeed(4);
      const h = harness('fgan', 'cpu', { config: { width: 4, zDim: 8, divergence } });
      const losses = trainingStep(h, images);
      expect(Object.keys(losses)).toEqual(['d', 'g', 'divergence']);
      for (const [k, l] of Object.entries(losses)) expect(Number.isFinite(l.dataSync()[0]), `${divergence} ${k}`).toBe(true);
      disposeHarness(h);
    }
  });

  it('D at the optimum T* = f′(p/q) attains the divergence: KL between two known discrete distributions', () => {
    const p = [0.5, 0.3, 0.2], q = [0.2, 0.3, 0.5];
    const kl = p.reduce((s, pi, i) => s + pi * Math.log(pi / q[i]!), 0);
    // For KL, f′(u) = 1 + log u, and g_f is the identity, so v* = 1 + log(p/q).
    const vStar = p.map((pi, i) => 1 + Math.log(pi / q[i]!));
    const d = F_DIVERGENCES.kl;
    const ep = p.reduce((s, pi, i) => s + pi * vStar[i]!, 0);
    const eq = Array.from(d.conjugateOfActivation(T.tensor(vStar, f64)).dataSync()).reduce((s, c, i) => s + q[i]! * c, 0);
    expect(ep - eq).toBeCloseTo(kl, 12);
  });
});

describe('sagan', () => {
  it('self-attention: x + γ Σ_i softmax_i(q_jᵀk_i) v_i, computed by hand; γ = 0 leaves x alone', () => {
    T.manualSeed(6);
    const [c, hw] = [8, 4];
    const block = new SelfAttention2d(c, 'cpu');
    block.eval(); // the normalised weights stay put between reads
    const x = T.randn([1, c, 2, 2]);
    expect(Array.from(T.noGrad(() => block.forward(x)).dataSync())).toEqual(Array.from(x.dataSync()));
    T.noGrad(() => block.gamma.assign_(T.tensor(0.7)));
    const got = T.noGrad(() => block.forward(x)).dataSync();
    const xs = x.dataSync();
    const project = (w: ArrayLike<number>, rows: number) => Array.from({ length: rows }, (_, r) =>
      Array.from({ length: hw }, (_, p) => Array.from({ length: c }, (_, k) => w[r * c + k]! * xs[k * hw + p]!).reduce((a, b) => a + b, 0)));
    const [q, k, v] = [project(block.query.weight.dataSync(), 1), project(block.key.weight.dataSync(), 1), project(block.value.weight.dataSync(), c)];
    for (let p = 0; p < hw; p++) {
      const scores = Array.from({ length: hw }, (_, i) => q[0]![p]! * k[0]![i]!);
      const z = scores.reduce((s, a) => s + Math.exp(a), 0);
      for (let ch = 0; ch < c; ch++) {
        const o = scores.reduce((s, a, i) => s + (Math.exp(a) / z) * v[ch]![i]!, 0);
        expect(got[ch * hw + p]).toBeCloseTo(xs[ch * hw + p]! + 0.7 * o, 5);
      }
    }
    block.dispose();
  });

  it('TTUR: D learns 4x faster than G; spectral norm and attention in both networks', () => {
    T.manualSeed(7);
    const h = harness('sagan', 'cpu', { config: { width: 4 } });
    const model = h.model as Sagan;
    expect(h.training.optimizers.g!.paramGroups[0]!.lr).toBeCloseTo(1e-4, 12);
    expect(h.training.optimizers.d!.paramGroups[0]!.lr).toBeCloseTo(4e-4, 12);
    expect(model.generator.attention).toBeInstanceOf(SelfAttention2d);
    expect(model.trunk.net.at(2)).toBeInstanceOf(SelfAttention2d);
    expect('weightOrig' in model.generator.up1).toBe(true);
    disposeHarness(h);
  });
});

describe('CPU and WebGPU agree on one training step', () => {
  // fgan with a divergence whose conjugate is exponential. The projection models (projgan,
  // contragan, sagan) took over 2 minutes for one step on SwiftShader at load average ~30, so
  // test/wasm-models.test.ts checks their steps against the CPU on wasm instead.
  it.each([['fgan', { divergence: 'kl' }]] as const)('%s', async (name, extra) => {
    await T.initWebGPU();
    const run = async (device: 'cpu' | 'webgpu') => {
      T.manualSeed(0);
      const h = harness(name, device, { config: { width: 4, zDim: 8, ...extra } });
      const data = loadEmbeddedMnist({ limit: 8 });
      const batch = { images: await T.sub(T.mul(data.images, 2), 1).to(device), labels: await data.labels!.to(device) };
      T.manualSeed(100);
      const out: Record<string, number> = {};
      for (const [k, l] of Object.entries(trainingStep(h, batch))) out[k] = await l.item();
      disposeHarness(h);
      return out;
    };
    const [cpu, gpu] = [await run('cpu'), await run('webgpu')];
    expect(Object.keys(gpu)).toEqual(Object.keys(cpu));
    for (const [k, v] of Object.entries(cpu)) expect(Math.abs(gpu[k]! - v), `${name} ${k}: webgpu ${gpu[k]} vs cpu ${v}`).toBeLessThan(2e-3 + 2e-3 * Math.abs(v));
  });
});
