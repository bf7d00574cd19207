import * as T from '../src/index.js';
import { getBackend } from '../src/index.js';
await T.initWebGPU();
const be = getBackend('webgpu') as any;
const src = (body: string) => `
struct Params { n: u32, d: u32, }
@group(0) @binding(0) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<uniform> params: Params;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= params.n) { return; }
  ${body}
}`;
const bodies: Record<string, string> = {
  loop9: 'var acc = 0.0; for (var t = 0u; t < params.d * 3u; t++) { acc += y[(i + t * 7u) % params.n]; } y[i] = acc;',
  loop9const: 'var acc = 0.0; for (var t = 0u; t < 9u; t++) { acc += y[(i + t * 7u) % params.n]; } y[i] = acc;',
  nested33: 'var acc = 0.0; for (var a = 0u; a < params.d; a++) { for (var b = 0u; b < params.d; b++) { acc += y[(i + a * 7u + b) % params.n]; } } y[i] = acc;',
  nested133: 'var acc = 0.0; for (var c = 0u; c < 1u + params.d - 3u; c++) { for (var a = 0u; a < params.d; a++) { for (var b = 0u; b < params.d; b++) { acc += y[(i + a * 7u + b) % params.n]; } } } y[i] = acc;',
  unrolled9: 'var acc = 0.0; acc += y[(i) % params.n]; acc += y[(i + 7u) % params.n]; acc += y[(i + 14u) % params.n]; acc += y[(i + 21u) % params.n]; acc += y[(i + 28u) % params.n]; acc += y[(i + 35u) % params.n]; acc += y[(i + 42u) % params.n]; acc += y[(i + 49u) % params.n]; acc += y[(i + 56u) % params.n]; y[i] = acc;',
  none: 'y[i] = f32(i);',
  div1: 'y[i] = f32(i / params.d);',
  div6: 'let a = i / params.d; let b = a / (params.d + 1u); let c = b / (params.d + 2u); let d = i % params.d; let e = a % 7u; let f = i / (params.d+5u); y[i] = f32(a + b + c + d + e + f);',
  fdiv6: 'let x = f32(i); let a = floor(x / f32(params.d)); let b = floor(a / f32(params.d+1u)); let c = floor(b / f32(params.d+2u)); let d = floor(x / f32(params.d+3u)); let e = floor(a / 7.0); let f = floor(x / f32(params.d+5u)); y[i] = a + b + c + d + e + f;',
};
const n = 1 << 21;
const out = be.alloc(n, 'float32');
for (const [name, body] of Object.entries(bodies)) {
  const k = be.kernels.compile(name, src(body));
  const run = () => be.queue.dispatch(k, {}, [out.entry], { n, d: 3 }, be.queue.grid1D(n / 256));
  run(); await T.sync('webgpu');
  const c0 = process.cpuUsage(); const t0 = performance.now();
  for (let r = 0; r < 3; r++) run();
  await T.sync('webgpu');
  const c = process.cpuUsage(c0);
  console.log(name.padEnd(8), 'wall', ((performance.now() - t0) / 3).toFixed(1), 'cpu', ((c.user + c.system) / 3000).toFixed(1), 'ms per 2M threads');
}
process.exit(0);
