// Parity of the wasm backend's convolution, pooling, statistics, indexing, attention, sequence,
// data-movement, random and optimizer primitives against the float64 CPU reference, threaded and
// single-threaded, on odd shapes.
import { describe, it } from 'vitest';
import type { Conv2dArgs, DType, OptimizerHyper, OptimizerKind, Pool2dArgs, ReduceOp, Storage } from '../src/backend/backend.js';
import { TOL } from './setup/tolerance.js';
import { input, parity, useWasmBackends, variants } from './setup/wasm-parity.js';

useWasmBackends();

type Shape4 = [number, number, number, number];
const convCases: { x: Shape4; w: Shape4; args: Conv2dArgs }[] = [
  { x: [3, 5, 9, 11], w: [7, 5, 3, 3], args: { stride: [2, 1], padding: [1, 0, 2, 1], dilation: [1, 2], groups: 1 } },
  { x: [2, 6, 8, 7], w: [4, 3, 2, 3], args: { stride: [1, 2], padding: [0, 1, 1, 0], dilation: [1, 1], groups: 2 } },
  // Depthwise (one GEMM call batched over 6 groups), and a 1x1 one.
  { x: [3, 6, 5, 5], w: [6, 1, 3, 3], args: { stride: [1, 1], padding: [1, 1, 1, 1], dilation: [1, 1], groups: 6 } },
  { x: [1, 1, 5, 5], w: [1, 1, 1, 1], args: { stride: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1], groups: 1 } },
  // Wide odd rows through im2col's vector runs: stride 2 (even-lane shuffle) with a ragged tail, and stride 1.
  { x: [2, 3, 9, 29], w: [5, 3, 3, 3], args: { stride: [1, 2], padding: [1, 1, 2, 0], dilation: [1, 1], groups: 1 } },
  { x: [2, 2, 5, 23], w: [3, 2, 2, 5], args: { stride: [2, 1], padding: [0, 1, 3, 2], dilation: [1, 2], groups: 1 } },
  // Several im2col chunks on one thread (5 images of 8*3*3*30*30 floats of col: chunks of 4 and 1).
  { x: [5, 8, 30, 30], w: [4, 8, 3, 3], args: { stride: [1, 1], padding: [1, 1, 1, 1], dilation: [1, 1], groups: 1 } },
  // DCGAN-like: 4x4 stride 2 pad 1, big enough to split over threads.
  { x: [4, 16, 14, 14], w: [32, 16, 4, 4], args: { stride: [2, 2], padding: [1, 1, 1, 1], dilation: [1, 1], groups: 1 } },
];
const outShape = (x: Shape4, w: Shape4, a: Conv2dArgs): Shape4 => [
  x[0], w[0],
  Math.floor((x[2] + a.padding[0] + a.padding[1] - a.dilation[0] * (w[2] - 1) - 1) / a.stride[0]) + 1,
  Math.floor((x[3] + a.padding[2] + a.padding[3] - a.dilation[1] * (w[3] - 1) - 1) / a.stride[1]) + 1,
];
const conv = { rtol: 1e-4, atol: 2e-4 };

for (const [label, wasm] of variants) {
  describe(`wasm backend (${label}): convolution and pooling`, () => {
    it('conv2d with bias and every epilogue, gradInput, gradWeight', () => {
      for (const { x, w, args } of convCases) {
        const y = outShape(x, w, args);
        const [xi, wi, bi, gy] = [input(x, 'float32', -1, 1), input(w, 'float32', -1, 1), input([w[0]]), input(y, 'float32', -1, 1)];
        const what = `conv x${x} w${w}`;
        for (const activation of ['none', 'relu', 'leakyRelu', 'tanh', 'sigmoid', 'silu'] as const) {
          parity(wasm, `${what} ${activation}`, [[y, 'float32']], (b, ref) => b.conv2d(ref(xi), ref(wi), ref(bi), args, { activation, alpha: 0.2 }), conv);
        }
        parity(wasm, `${what} no bias`, [[y, 'float32']], (b, ref) => b.conv2d(ref(xi), ref(wi), null, args), conv);
        parity(wasm, `${what} gradInput`, [[x, 'float32']], (b, ref) => b.conv2dGradInput(ref(gy), ref(wi), x, args), conv);
        parity(wasm, `${what} gradWeight`, [[w, 'float32']], (b, ref) => b.conv2dGradWeight(ref(xi), ref(gy), w, args), conv);
      }
    });

    it('max and avg pooling and their gradients', () => {
      const args: Pool2dArgs = { kernel: [3, 2], stride: [2, 2], padding: [1, 1, 0, 1], countIncludePad: false };
      const x = input([2, 3, 7, 6]);
      const gy = input([2, 3, 4, 4]);
      for (const op of ['max', 'avg'] as const) {
        parity(wasm, `pool ${op}`, [[[2, 3, 4, 4], 'float32']], (b, ref) => b.pool2d(op, ref(x), args), TOL.f32Elementwise);
        parity(wasm, `pool ${op} grad`, [[x.shape, 'float32']], (b, ref) => b.pool2dGrad(op, ref(x), ref(gy), args), TOL.f32Elementwise);
      }
    });
  });

  describe(`wasm backend (${label}): reductions, statistics, indexing`, () => {
    it('reduce over axis sets, argReduce, moments, softmax, cumsum, sort', () => {
      const x = input([3, 4, 5]);
      for (const op of ['sum', 'prod', 'max', 'min'] as ReduceOp[]) {
        for (const axes of [[0], [1], [2], [0, 2], [0, 1, 2]]) {
          const shape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
          parity(wasm, `reduce ${op} ${axes}`, [[shape, 'float32']], (b, ref) => b.reduce(op, ref(x), axes), TOL.f32Reduce);
        }
      }
      // Rows long enough for the SIMD float64-accumulating sum: the innermost axis reduced (sumRow) or kept (sumInto), odd lengths.
      const long = input([5, 37, 19]);
      for (const axes of [[0], [1], [2], [0, 2], [1, 2], [0, 1, 2]]) {
        const shape = long.shape.map((d, i) => (axes.includes(i) ? 1 : d));
        parity(wasm, `sum ${axes} of 5x37x19`, [[shape, 'float32']], (b, ref) => b.reduce('sum', ref(long), axes), TOL.f32Reduce);
      }
      const ints = input([6, 7], 'int32');
      parity(wasm, 'int32 sum', [[[1, 7], 'int32']], (b, ref) => b.reduce('sum', ref(ints), [0]), TOL.exact);
      for (const axis of [0, 1, 2]) {
        const shape = x.shape.map((d, i) => (i === axis ? 1 : d));
        parity(wasm, `argmax ${axis}`, [[shape, 'int32']], (b, ref) => b.argReduce('argmax', ref(x), axis), TOL.exact);
        parity(wasm, `cumsum ${axis}`, [[x.shape, 'float32']], (b, ref) => b.cumsum(ref(x), axis), TOL.f32Reduce);
      }
      parity(wasm, 'moments', [[[1, 4, 1], 'float32'], [[1, 4, 1], 'float32']], (b, ref) => b.moments(ref(x), [0, 2]), TOL.f32Reduce);
      for (const op of ['softmax', 'logSoftmax'] as const) parity(wasm, op, [[x.shape, 'float32']], (b, ref) => b.softmax(op, ref(x)), TOL.f32Transcendental);
      parity(wasm, 'sort', [[x.shape, 'float32'], [x.shape, 'int32']], (b, ref) => b.sort(ref(x), true), TOL.exact);
    });

    it('gather, scatterAdd, stridedCopy, random', () => {
      const x = input([4, 5]);
      const index = input([4, 3], 'int32', 0, 4);
      parity(wasm, 'gather', [[[4, 3], 'float32']], (b, ref) => b.gather(ref(x), ref(index), 1), TOL.exact);
      const src = input([4, 3]);
      parity(wasm, 'scatterAdd', [[[4, 5], 'float32']], (b, ref) => b.scatterAdd(ref(src), ref(index), 1, [4, 5]), TOL.f32Elementwise);
      const y = input([3, 4, 5]);
      parity(wasm, 'stridedCopy permute into a larger destination', [[[80], 'float32']], (b, ref) => {
        const dst = b.fill(80, 'float32', 7);
        b.stridedCopy(ref(y).storage, dst, 'float32', [5, 4, 3], [1, 5, 20], 0, [12, 3, 1], 10);
        return dst;
      }, TOL.exact);
      parity(wasm, 'stridedCopy within one storage', [[[60], 'float32']], (b, ref) => {
        const s = ref(y).storage;
        b.stridedCopy(s, s, 'float32', [30], [2], 0, [1], 30);
        return s;
      }, TOL.exact);
      for (const kind of ['uniform', 'normal'] as const) {
        parity(wasm, `random ${kind}`, [[[37], 'float32']], (b) => b.random(37, 'float32', { kind, key: [5, 9], stream: 3 }), TOL.f32Elementwise);
      }
    });
  });

  describe(`wasm backend (${label}): attention, lstm, optimizers`, () => {
    it('attention forward and backward, masked and causal', () => {
      const [q, k, v, dout, delta] = [input([2, 3, 5, 4]), input([2, 3, 6, 4]), input([2, 3, 6, 7]), input([2, 3, 5, 7]), input([2, 3, 5])];
      const mask = input([5, 6], 'float32', -2, 0);
      for (const causal of [false, true]) {
        const args = { scale: 0.5, causal };
        parity(wasm, `attention causal=${causal}`, [[[2, 3, 5, 7], 'float32'], [[2, 3, 5], 'float32']], (b, ref) => b.attention(ref(q), ref(k), ref(v), causal ? null : ref(mask), args), TOL.f32Transcendental);
        parity(wasm, `attentionBackward causal=${causal}`, [[q.shape, 'float32'], [k.shape, 'float32'], [v.shape, 'float32']], (b, ref) => {
          const [qr, kr, vr] = [ref(q), ref(k), ref(v)];
          const [out, lse] = b.attention(qr, kr, vr, null, args);
          const grads = b.attentionBackward(qr, kr, vr, null, { storage: lse, shape: [2, 3, 5], dtype: 'float32' }, ref(delta), ref(dout), args);
          b.release(out);
          b.release(lse);
          return grads;
        }, TOL.f32Matmul);
      }
    });

    it('lstmCell and every optimizer update', () => {
      const [xg, hg, bias, c] = [input([3, 8]), input([3, 8]), input([8]), input([3, 2])];
      parity(wasm, 'lstmCell', [[[3, 2], 'float32'], [[3, 2], 'float32']], (b, ref) => b.lstmCell(ref(xg), ref(hg), ref(bias), ref(c)), TOL.f32Transcendental);
      const cases: [OptimizerKind, number, OptimizerHyper][] = [
        ['sgd', 1, { lr: 0.1, weightDecay: 0.01, step: 2, momentum: 0.9, nesterov: true }],
        ['adam', 2, { lr: 0.01, weightDecay: 0.01, step: 3 }],
        ['adamw', 3, { lr: 0.01, weightDecay: 0.1, step: 1, amsgrad: true }],
        // The other two of the four SIMD Adam kernels (odd length: the last element goes to the reference).
        ['adam', 3, { lr: 0.002, weightDecay: 0, step: 7, amsgrad: true, beta1: 0.5, beta2: 0.99, eps: 1e-6 }],
        ['adamw', 2, { lr: 0.01, weightDecay: 0.05, step: 2 }],
        ['rmsprop', 3, { lr: 0.01, weightDecay: 0, step: 4, momentum: 0.5, centered: true, alpha: 0.9 }],
      ];
      for (const [kind, slots, hyper] of cases) {
        const [p, g] = [input([37]), input([37])];
        const state = Array.from({ length: slots }, () => input([37], 'float32', 0, 1));
        const outs: [number[], DType][] = Array.from({ length: slots + 1 }, () => [[37], 'float32']);
        parity(wasm, `optimizer ${kind}`, outs, (b, ref) => {
          const [pr, st] = [ref(p).storage, state.map((s) => ref(s).storage)];
          b.optimizerUpdate(kind, pr, ref(g).storage, st, 37, 'float32', hyper);
          return [pr, ...st] as Storage[];
        }, TOL.f32Elementwise);
      }
    });
  });
}
