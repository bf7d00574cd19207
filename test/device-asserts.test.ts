// Out-of-range class and row indices on every backend. CPU and wasm check on the host and throw at
// the call. WebGPU checks on the device (one small dispatch per checked op) and raises the
// ArgumentError, naming the op, at the next read or sync, as PyTorch's CUDA device-side asserts
// do; before, `crossEntropy` with label 7 of 3 classes returned a number there. Training data's
// labels are checked against the model's classes when the dataset is loaded.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';

const int = (values: number[], device: T.DeviceName, shape = [values.length]) => T.tensor(values, { shape, dtype: 'int32', device });

/** Each op the check guards, with 3 as the size its indices must stay under. */
const ops: [string, (device: T.DeviceName, index: number[]) => T.Tensor][] = [
  ['crossEntropy', (d, i) => T.crossEntropy(T.ones([i.length, 3], { device: d }), int(i, d))],
  ['nllLoss', (d, i) => T.nllLoss(T.ones([i.length, 3], { device: d }), int(i, d))],
  ['gather', (d, i) => T.gather(T.ones([1, 3], { device: d }), 1, int(i, d, [1, i.length]))],
  ['embedding', (d, i) => T.embedding(int(i, d), T.ones([3, 2], { device: d }))],
  ['oneHot', (d, i) => T.oneHot(int(i, d), 3)],
  ['indexSelect', (d, i) => T.indexSelect(T.ones([3, 2], { device: d }), 0, int(i, d))],
  ['scatterAdd', (d, i) => T.scatterAdd(T.zeros([1, 3], { device: d }), 1, int(i, d, [1, i.length]), T.ones([1, i.length], { device: d }))],
];

describe('index range checks', () => {
  beforeAll(async () => {
    await T.initWebGPU();
    await T.initWasm();
  });

  for (const device of ['cpu', 'wasm'] as T.DeviceName[]) {
    it(`throw at the call on ${device}`, () => {
      for (const [op, run] of ops) expect(() => run(device, [0, 7]), op).toThrow(new RegExp(`^${op}: .*7 at position 1 .*out of range \\[0, 3\\)`));
    });
  }

  // One test per op: each compiles its kernels on SwiftShader, slow under load.
  for (const [op, run] of ops) {
    it(`WebGPU ${op}: raised at the next read, naming the op; the read after it is clean`, async () => {
      const y = run('webgpu', [0, 7, 1]);
      await expect(y.data(), op).rejects.toThrow(T.ArgumentError);
      const again = run('webgpu', [0, -5, 1]);
      await expect(again.data(), op).rejects.toThrow(new RegExp(`^${op}[ :].*out of range \\[0, 3\\) at position 1 of index shape .*values include -5; device-side assert`));
      // The flags were reset: valid indices read normally.
      expect((await run('webgpu', [2, 0, 1]).data()).length).toBeGreaterThan(0);
    });
  }

  it('WebGPU: raised at sync, with the first bad position and the extreme values, over many workgroups', async () => {
    const labels = Array.from({ length: 1000 }, (_, i) => i % 3);
    labels[300] = 200;
    labels[700] = -5;
    labels[900] = 1e9;
    T.crossEntropy(T.ones([1000, 3], { device: 'webgpu' }), int(labels, 'webgpu'));
    await expect(T.sync('webgpu')).rejects.toThrow(
      /^crossEntropy: class index out of range \[0, 3\) at position 300 of index shape \[1000\] \(out-of-range values include -5 and 1000000000;/,
    );
    await T.sync('webgpu');
  });

  it('WebGPU: ignored targets and valid indices raise nothing; the error names the op the user called', async () => {
    const loss = T.crossEntropy(T.ones([3, 3], { device: 'webgpu' }), int([0, -100, 2], 'webgpu'));
    expect(await loss.item()).toBeCloseTo(Math.log(3), 5);
    const loss7 = T.crossEntropy(T.ones([2, 3], { device: 'webgpu' }), int([7, 1], 'webgpu'), { ignoreIndex: 7 });
    expect(await loss7.item()).toBeCloseTo(Math.log(3), 5);
    const cpu = (() => { try { T.gather(T.ones([1, 3]), 1, int([5], 'cpu', [1, 1])); } catch (e) { return (e as Error).message; } })();
    expect(cpu).toMatch(/^gather: .*\(in takeAlongAxis\)/);
    await expect(T.gather(T.ones([1, 3], { device: 'webgpu' }), 1, int([5], 'webgpu', [1, 1])).data()).rejects.toThrow(/^gather \(in takeAlongAxis\): index out of range/);
  });
});

/** An IDX file (big-endian dims and values) of `type` 0x08 (u8) or 0x0c (i32). */
function idx(type: 0x08 | 0x0c, shape: number[], values: number[]): Uint8Array {
  const size = type === 0x0c ? 4 : 1;
  const bytes = new Uint8Array(4 + 4 * shape.length + values.length * size);
  const view = new DataView(bytes.buffer);
  bytes[2] = type;
  bytes[3] = shape.length;
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  values.forEach((v, i) => (type === 0x0c ? view.setInt32(4 + 4 * shape.length + 4 * i, v, false) : view.setUint8(4 + 4 * shape.length + i, v)));
  return bytes;
}

describe('labels are checked on the host when a dataset is loaded', () => {
  it('genlab train cgan --device webgpu refuses labels 200, -5 and 1e9 before training', () => {
    const dir = mkdtempSync(join(tmpdir(), 'genlab-labels-'));
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), idx(0x08, [4, 28, 28], new Array(4 * 28 * 28).fill(7)));
    // The held-out split that genlab eval keeps (valid labels).
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idx(0x08, [2, 28, 28], new Array(2 * 28 * 28).fill(7)));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idx(0x08, [2], [0, 1]));
    const cli = ['--import', 'tsx', '--import', './scripts/wgsl-register.mjs', 'src/cli/main.ts'];
    for (const [labels, bad] of [[[1, 200, 2, 3], '200 of example 1'], [[1, 2, -5, 3], '-5 of example 2'], [[1, 2, 3, 1e9], '1000000000 of example 3']] as const) {
      writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx(0x0c, [4], [...labels]));
      const r = spawnSync(process.execPath, [...cli, 'train', 'cgan', '--device', 'webgpu', '--data', dir, '--batch', '2', '--steps', '1', '--out', join(dir, 'run')], { encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).toBe(1);
      expect(r.stdout + r.stderr).toContain(`${dir}: label ${bad} is not a class of this model (0 to 9)`);
      expect(r.stdout + r.stderr).not.toMatch(/step 1\//);
    }
  });
});
