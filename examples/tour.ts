// The README's API tour, runnable: node --import tsx --import ./scripts/wgsl-register.mjs examples/tour.ts
import * as T from '../src/index.js';

// Create (float32 by default; int32, bool; float64 on the CPU backend)
const x = T.tensor([[1, 2, 3], [4, 5, 6]]);
const w = T.randn([3, 2], { requiresGrad: true }); // Philox stream: the same numbers on CPU and WebGPU

// Compute (NumPy broadcasting, reductions over any axes, batched matmul)
const y = T.sum(T.tanh(T.matmul(x, w)));

// Backward (a dynamic tape; the rules are differentiable, so second derivatives work)
y.backward();
console.log(w.grad!.toString());
const [gw] = T.gradients(T.sum(T.square(T.matmul(x, w))), [w], { createGraph: true }); // torch.autograd.grad
const [dfdx] = T.grad((a: T.Tensor) => T.sum(T.sin(a)))(x); // JAX-style transforms
console.log(gw!.shape, dfdx!.shape);

// Move to WebGPU and read back (reads are async; ops enqueue and return at once)
await T.initWebGPU();
const xg = await x.to('webgpu');
const out = T.relu(T.matmul(xg, await w.detach().to('webgpu')));
console.log(await out.array());

// Dispose: explicitly, with tidy(), or with `using` (which works across await)
out.dispose();
const loss = T.tidy(() => T.mean(T.square(T.sub(xg, 1)))); // intermediates freed, loss kept
console.log(await loss.item());
{
  using step = T.scope(); // everything created in this block is freed at its end
  const z = T.mul(xg, 2);
  console.log(await z.toArray());
}
console.log(T.memory()); // { liveTensors, liveBytes, pooledBytes }
