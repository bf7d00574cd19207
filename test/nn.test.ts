// Modules: PyTorch state-dict names, loading, a round trip through safetensors, modes, freezing,
// devices, initialisation, weight wrappers, and an MLP that learns MNIST.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { io, nn, optim } from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { loadEmbeddedMnist, loadSafetensors, saveSafetensors } from '../src/node.js';
import { MlpAutoencoder } from '../models/index.js';
import { gradcheck, randomF64 } from './setup/gradcheck.js';
import { TOL, firstMismatch } from './setup/tolerance.js';

beforeAll(async () => {
  await T.initWebGPU();
});

class Net extends nn.Module {
  features = new nn.Sequential(new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.Flatten());
  head = new nn.Linear(4 * 5 * 5, 3);
  dropout = new nn.Dropout(0.5);

  forward(x: Tensor): Tensor {
    return this.head.forward(this.dropout.forward(this.features.forward(x)));
  }
}

const values = (t: Tensor) => Array.from(t.dataSync());

describe('Module', () => {
  it('names parameters and buffers as PyTorch does', () => {
    expect(Object.keys(new Net().stateDict())).toEqual([
      'features.0.weight', 'features.0.bias',
      'features.1.weight', 'features.1.bias', 'features.1.running_mean', 'features.1.running_var', 'features.1.num_batches_tracked',
      'head.weight', 'head.bias',
    ]);
    expect(Object.keys(new nn.MultiheadAttention(8, 2).stateDict())).toEqual(['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']);
    expect(Object.keys(new nn.MultiheadAttention(8, 2, { kdim: 3, vdim: 5 }).stateDict())).toEqual([
      'q_proj_weight', 'k_proj_weight', 'v_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias',
    ]);
    expect(Object.keys(nn.spectralNorm(new nn.Linear(3, 2)).stateDict())).toEqual(['bias', 'weight_orig', 'weight_u', 'weight_v']);
    expect(Object.keys(nn.weightNorm(new nn.Conv2d(2, 3, 3)).stateDict())).toEqual(['bias', 'weight_g', 'weight_v']);
    const net = new Net();
    expect(net.namedParameters().map(([n]) => n)).toHaveLength(6);
    expect(net.namedBuffers().map(([n]) => n)).toEqual(['features.1.running_mean', 'features.1.running_var', 'features.1.num_batches_tracked']);
    expect(String(net)).toContain('(head): Linear(inFeatures=100, outFeatures=3, bias=true)');
  });

  it('lists a shared parameter once', () => {
    const shared = new nn.Linear(4, 4);
    const m = new nn.Sequential(shared, new nn.ReLU(), shared);
    expect(m.parameters()).toHaveLength(2);
    expect(Object.keys(m.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
  });

  it('loadStateDict is strict about names and shapes, and a failed load changes nothing', () => {
    const net = new Net();
    const state = { ...new Net().stateDict() };
    delete state['head.bias'];
    expect(() => net.loadStateDict({ ...state, extra: T.ones([1]) })).toThrow(/missing head\.bias; unexpected extra/);
    expect(net.loadStateDict(state, { strict: false }).missingKeys).toEqual(['head.bias']);
    const before = values(net.head.weight);
    expect(() => net.loadStateDict({ ...new Net().stateDict(), 'head.weight': T.ones([3, 99]) })).toThrow(/'head\.weight': the value has shape \[3, 99\] but \[3, 100\]/);
    expect(values(net.head.weight)).toEqual(before);
  });

  it('state round trip through a safetensors file gives the same outputs', async () => {
    T.manualSeed(1);
    const a = new Net();
    const x = T.randn([6, 1, 5, 5]);
    a.forward(x);
    a.eval();
    const path = join(mkdtempSync(join(tmpdir(), 'genlab-nn-')), 'net.safetensors');
    await saveSafetensors(path, a.stateDict());
    T.manualSeed(2);
    const b = new Net().eval();
    const opt = new optim.SGD(b.parameters());
    b.loadStateDict(loadSafetensors(path).tensors);
    expect(values(b.forward(x))).toEqual(values(a.forward(x)));
    expect(values((b.features.at(1) as nn.BatchNorm2d).numBatchesTracked!)).toEqual([1]);
    // Loading copies into the same Parameter objects, so an optimizer made before still trains them.
    expect(opt.paramGroups[0]!.params[0]).toBe(b.parameters()[0]);
  });

  it('train() and eval() switch dropout and batch statistics', () => {
    T.manualSeed(3);
    const net = new Net();
    const x = T.randn([4, 1, 5, 5]);
    const bn = net.features.at(1) as nn.BatchNorm2d;
    net.forward(x);
    expect(values(bn.runningMean!).some((v) => v !== 0)).toBe(true);
    net.eval();
    expect(net.modules().every((m) => !m.training)).toBe(true);
    const mean = values(bn.runningMean!);
    expect(values(net.forward(x))).toEqual(values(net.forward(x)));
    expect(values(bn.runningMean!)).toEqual(mean);
    const drop = new nn.Dropout(0.5);
    expect(values(drop.forward(T.ones([1000]))).filter((v) => v === 0).length).toBeGreaterThan(400);
    expect(values(drop.eval().forward(T.ones([4])))).toEqual([1, 1, 1, 1]);
  });

  it('requiresGrad_(false) freezes parameters', () => {
    const net = new Net();
    net.features.requiresGrad_(false);
    T.sum(net.forward(T.randn([2, 1, 5, 5]))).backward();
    expect(net.features.parameters().every((p) => p.grad === null)).toBe(true);
    expect(net.head.weight.grad).not.toBeNull();
  });

  it('to(device) moves parameters and buffers; outputs match the CPU', async () => {
    T.manualSeed(4);
    const net = new Net().eval();
    const x = T.randn([3, 1, 5, 5]);
    const cpu = values(net.forward(x));
    await net.to('webgpu');
    expect(net.parameters().every((p) => p.device === 'webgpu' && p.requiresGrad)).toBe(true);
    expect(net.buffers().every((b) => b.device === 'webgpu')).toBe(true);
    const gpu = await net.forward(await x.to('webgpu')).toArray();
    expect(firstMismatch(gpu, cpu, TOL.f32Matmul)).toBe(-1);
  });

  it('MultiheadAttention: fused and explicit paths agree; gradients check in float64', () => {
    T.manualSeed(5);
    const mha = new nn.MultiheadAttention(8, 2, { batchFirst: true }).double();
    const x = randomF64([2, 5, 8]);
    const mask = T.tensor([[false, false, false, true, true]]);
    const [fused] = mha.forward(x, x, x, { needWeights: false, keyPaddingMask: T.expand(mask, [2, 5]) });
    const [explicit, weights] = mha.forward(x, x, x, { keyPaddingMask: T.expand(mask, [2, 5]) });
    expect(firstMismatch(values(fused), values(explicit), { rtol: 1e-10, atol: 1e-12 })).toBe(-1);
    expect(weights!.shape).toEqual([2, 5, 5]);
    expect(values(weights!).filter((_, i) => i % 5 >= 3).every((w) => w === 0)).toBe(true);
    gradcheck((q) => mha.forward(q, q, q, { needWeights: false, isCausal: true })[0], [randomF64([1, 3, 8])]);
  });
});

describe('init', () => {
  it('default layer init and kaiming / xavier / orthogonal', () => {
    T.manualSeed(6);
    const lin = new nn.Linear(400, 300);
    const bound = 1 / Math.sqrt(400);
    expect(Math.max(...values(lin.weight).map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...values(lin.weight).map(Math.abs))).toBeGreaterThan(0.98 * bound);
    const std = (t: Tensor) => Math.sqrt(values(t).reduce((s, v) => s + v * v, 0) / t.size);
    expect(std(nn.init.kaimingNormal_(T.zeros([256, 128]), { nonlinearity: 'relu' }))).toBeCloseTo(Math.sqrt(2 / 128), 2);
    expect(std(nn.init.xavierNormal_(T.zeros([200, 100]), nn.init.calculateGain('tanh')))).toBeCloseTo((5 / 3) * Math.sqrt(2 / 300), 2);
    expect(nn.init.calculateGain('leakyRelu', 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04), 12);
    const q = nn.init.orthogonal_(T.zeros([3, 2, 2, 2]), 2);
    const flat = T.reshape(q, [3, 8]);
    const gram = values(T.matmul(flat, T.transpose(flat)));
    gram.forEach((v, i) => expect(v).toBeCloseTo(i % 4 === 0 ? 4 : 0, 5));
    const gan = nn.dcganInit_(new nn.Sequential(new nn.Conv2d(3, 64, 4), new nn.BatchNorm2d(64)));
    expect(std((gan.at(0) as nn.Conv2d).weight)).toBeCloseTo(0.02, 2);
    expect(values((gan.at(0) as nn.Conv2d).bias!).every((v) => v === 0)).toBe(true);
  });
});

describe('weight wrappers', () => {
  /** The largest singular value of a [rows, cols] matrix by many power iterations on the host. */
  function sigmaMax(m: number[], rows: number, cols: number): number {
    let v = new Array<number>(cols).fill(1);
    let s = 0;
    for (let it = 0; it < 500; it++) {
      const u = Array.from({ length: rows }, (_, i) => v.reduce((a, vj, j) => a + m[i * cols + j]! * vj, 0));
      const w = Array.from({ length: cols }, (_, j) => u.reduce((a, ui, i) => a + m[i * cols + j]! * ui, 0));
      // w = M^T M v, so |w| is sigma^2 once v is the top right-singular vector.
      const n = Math.hypot(...w);
      s = Math.sqrt(n);
      v = w.map((x) => x / n);
    }
    return s;
  }

  it('spectral norm: the effective weight has spectral norm 1; u advances in training only', () => {
    T.manualSeed(7);
    const layer = nn.spectralNorm(new nn.Linear(6, 5));
    for (let i = 0; i < 30; i++) T.tidy(() => layer.forward(T.ones([1, 6])));
    expect(sigmaMax(values(layer.weight), 5, 6)).toBeCloseTo(1, 3);
    layer.eval();
    const u = values(layer.stateDict().weight_u!);
    layer.forward(T.ones([1, 6]));
    expect(values(layer.stateDict().weight_u!)).toEqual(u);
    T.sum(layer.forward(T.ones([2, 6]))).backward();
    expect(layer.stateDict().weight_orig!.grad).not.toBeNull();
  });

  it('weight norm keeps the initial weight and trains g and v', () => {
    T.manualSeed(8);
    const plain = new nn.Conv2d(2, 3, 3);
    const w = values(plain.weight);
    const layer = nn.weightNorm(plain);
    values(layer.weight).forEach((v, i) => expect(v).toBeCloseTo(w[i]!, 5));
    T.sum(layer.forward(T.ones([1, 2, 3, 3]))).backward();
    expect(layer.stateDict().weight_g!.grad!.shape).toEqual([3, 1, 1, 1]);
  });

  it('equalised learning rate scales N(0, 1) weights by gain / sqrt(fanIn) at run time', () => {
    T.manualSeed(9);
    const layer = nn.equalizedLr(new nn.Linear(256, 128));
    const stored = values(layer.stateDict().weight_orig!);
    const sd = Math.sqrt(stored.reduce((s, v) => s + v * v, 0) / stored.length);
    expect(sd).toBeCloseTo(1, 1);
    expect(values(layer.weight)[0]).toBeCloseTo(stored[0]! * Math.SQRT2 / 16, 6);
    expect(values(layer.bias!).every((v) => v === 0)).toBe(true);
  });
});

describe('Embedding paddingIdx', () => {
  const ints = (v: number[], shape: number[], device: 'cpu' | 'webgpu' = 'cpu') => T.tensor(v, { dtype: 'int32', shape, device });
  // 7 rows, padding row 5 (given as -2), indices with repeats and the padding row twice.
  const IDX = [5, 1, 3, 5, 1, 0, 6, 1, 2];
  const PAD = 5;

  it('counts from the end, starts the row at zeros and names itself', () => {
    T.manualSeed(12);
    const e = new nn.Embedding(7, 3, { paddingIdx: -2, dtype: 'float64' });
    expect(e.paddingIdx).toBe(PAD);
    expect(e.weight.dtype).toBe('float64');
    const w = values(e.weight);
    expect(w.slice(PAD * 3, PAD * 3 + 3)).toEqual([0, 0, 0]);
    expect(w.filter((_, i) => Math.floor(i / 3) !== PAD).every((v) => v !== 0)).toBe(true);
    expect(String(e)).toBe('Embedding(7, 3, paddingIdx=5)');
    expect(new nn.Embedding(7, 3, { paddingIdx: 0 }).paddingIdx).toBe(0);
    expect(new nn.Embedding(7, 3).paddingIdx).toBeNull();
  });

  it('an out-of-range paddingIdx is an ArgumentError naming Embedding, paddingIdx and numEmbeddings', () => {
    for (const bad of [7, -8, 1.5, NaN]) {
      expect(() => new nn.Embedding(7, 3, { paddingIdx: bad })).toThrow(T.ArgumentError);
      expect(() => new nn.Embedding(7, 3, { paddingIdx: bad })).toThrow(/^Embedding: paddingIdx must be an integer in \[-7, 7\) for numEmbeddings=7, got/);
    }
  });

  it('the padding row is looked up as stored but gets a zero gradient (float64, by hand)', () => {
    T.manualSeed(13);
    const e = new nn.Embedding(7, 3, { paddingIdx: -2, dtype: 'float64' });
    // A loaded (non-zero) padding row is still returned, as PyTorch does; only its gradient is cut.
    const loaded = values(e.weight).map((v, i) => (Math.floor(i / 3) === PAD ? 0.25 * (1 + (i % 3)) : v));
    e.loadStateDict({ weight: T.tensor(loaded, { dtype: 'float64', shape: [7, 3] }) });
    const upstream = Array.from({ length: IDX.length * 3 }, (_, i) => Math.sin(i + 1));
    const out = e.forward(ints(IDX, [3, 3]));
    expect(out.shape).toEqual([3, 3, 3]);
    expect(values(out)).toEqual(IDX.flatMap((r) => loaded.slice(r * 3, r * 3 + 3)));
    T.sum(T.mul(out, T.tensor(upstream, { dtype: 'float64', shape: [3, 3, 3] }))).backward();
    const expected = new Array<number>(21).fill(0);
    IDX.forEach((r, pos) => {
      if (r === PAD) return;
      for (let j = 0; j < 3; j++) expected[r * 3 + j]! += upstream[pos * 3 + j]!;
    });
    values(e.weight.grad!).forEach((g, i) => expect(g).toBeCloseTo(expected[i]!, 14));
    expect(values(e.weight.grad!).slice(PAD * 3, PAD * 3 + 3)).toEqual([0, 0, 0]);
    // Without a padding row the same lookup sends gradient into row 5.
    const plain = new nn.Embedding(7, 3, { dtype: 'float64' });
    T.sum(T.mul(plain.forward(ints(IDX, [3, 3])), T.tensor(upstream, { dtype: 'float64', shape: [3, 3, 3] }))).backward();
    expect(values(plain.weight.grad!).slice(PAD * 3, PAD * 3 + 3).some((g) => g !== 0)).toBe(true);
  });

  it('optimizer steps move every row but the padding row (SGD momentum and AdamW, by hand)', () => {
    T.manualSeed(14);
    const target = Array.from({ length: IDX.length * 3 }, (_, i) => Math.cos(i));
    for (const kind of ['sgd', 'adamw'] as const) {
      const e = new nn.Embedding(7, 3, { paddingIdx: PAD, dtype: 'float64' });
      const opt = kind === 'sgd' ? new optim.SGD(e.parameters(), { lr: 0.1, momentum: 0.9 }) : new optim.AdamW(e.parameters(), { lr: 0.1, weightDecay: 0.1 });
      const w = values(e.weight);
      const [m, v] = [w.map(() => 0), w.map(() => 0)];
      for (let t = 1; t <= 3; t++) {
        T.tidy(() => {
          opt.zeroGrad();
          T.div(T.sum(T.square(T.sub(e.forward(ints(IDX, [9])), T.tensor(target, { dtype: 'float64', shape: [9, 3] })))), 2).backward();
          opt.step();
        });
        // d/dw of sum((w[idx] - target)^2) / 2: (w[r] - target[pos]) summed over the positions of r, none for the padding row.
        const g = w.map(() => 0);
        IDX.forEach((r, pos) => {
          if (r !== PAD) for (let j = 0; j < 3; j++) g[r * 3 + j]! += w[r * 3 + j]! - target[pos * 3 + j]!;
        });
        for (let i = 0; i < w.length; i++) {
          if (kind === 'sgd') {
            m[i] = t === 1 ? g[i]! : 0.9 * m[i]! + g[i]!;
            w[i]! -= 0.1 * m[i]!;
          } else {
            w[i]! *= 1 - 0.1 * 0.1;
            m[i] = 0.9 * m[i]! + 0.1 * g[i]!;
            v[i] = 0.999 * v[i]! + 0.001 * g[i]! * g[i]!;
            w[i]! -= (0.1 * m[i]! / (1 - 0.9 ** t)) / (Math.sqrt(v[i]! / (1 - 0.999 ** t)) + 1e-8);
          }
        }
      }
      values(e.weight).forEach((x, i) => expect(x).toBeCloseTo(w[i]!, 12));
      expect(values(e.weight).slice(PAD * 3, PAD * 3 + 3)).toEqual([0, 0, 0]);
    }
  });

  it('WebGPU gives the CPU forward and gradient, with an exactly zero padding row', async () => {
    T.manualSeed(15);
    const cpu = new nn.Embedding(7, 5, { paddingIdx: -2 });
    const upstream = T.tensor(Array.from({ length: IDX.length * 5 }, (_, i) => Math.sin(i + 1)), { shape: [9, 5] });
    const run = async (e: nn.Embedding, device: 'cpu' | 'webgpu') => {
      const out = e.forward(ints(IDX, [9], device));
      T.sum(T.mul(out, await upstream.to(device))).backward();
      return [await out.toArray(), await e.weight.grad!.toArray()] as const;
    };
    const [outCpu, gradCpu] = await run(cpu, 'cpu');
    const gpu = new nn.Embedding(7, 5, { paddingIdx: -2 });
    gpu.loadStateDict(cpu.stateDict());
    await gpu.to('webgpu');
    const [outGpu, gradGpu] = await run(gpu, 'webgpu');
    expect(firstMismatch(outGpu, outCpu, TOL.exact)).toBe(-1);
    expect(firstMismatch(gradGpu, gradCpu, TOL.f32Reduce)).toBe(-1);
    expect(Array.from(gradGpu).slice(PAD * 5, PAD * 5 + 5)).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('training', () => {
  it('an MLP autoencoder on 1,000 MNIST digits reaches BCE < 0.15 (train) and < 0.18 (held out) in 300 steps', () => {
    T.manualSeed(0);
    const all = loadEmbeddedMnist({ limit: 1200 });
    const train = { images: T.slice(all.images, [{ stop: 1000 }]) };
    const heldOut = T.slice(all.images, [{ start: 1000 }]);
    const model = new MlpAutoencoder({ hidden: 128, latent: 16 });
    const opt = new optim.Adam(model.parameters(), { lr: 3e-3 });
    const loader = new io.DataLoader(train, { batchSize: 50, shuffle: true, device: 'cpu' });
    const first = T.noGrad(() => model.loss(heldOut).loss).dataSync()[0]!;
    const last: number[] = [];
    for (let epoch = 0; epoch < 15; epoch++) {
      for (const b of loader) {
        using batch = b;
        const loss = T.tidy(() => {
          opt.zeroGrad();
          const l = model.loss(batch.images).loss;
          l.backward();
          opt.step();
          return l;
        });
        last.push(loss.dataSync()[0]!);
        loss.dispose();
      }
    }
    const trainLoss = last.slice(-20).reduce((a, b) => a + b, 0) / 20;
    const testLoss = T.noGrad(() => model.loss(heldOut).loss).dataSync()[0]!;
    expect(last).toHaveLength(300);
    expect(first).toBeGreaterThan(0.6);
    expect(trainLoss).toBeLessThan(0.15);
    expect(testLoss).toBeLessThan(0.18);
  });
});
