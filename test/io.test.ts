// Safetensors (byte-exact writer, PyTorch-written files, corrupt files), IDX files, datasets, the DataLoader and image grids.
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { heldTensors } from './setup/memory.js';
import * as T from '../src/index.js';
import { io, nn } from '../src/index.js';
import { loadFashionMnist, loadIdxDirectory, loadSafetensors, saveImageGrid, saveSafetensors } from '../src/node.js';

const fixture = () => new Uint8Array(readFileSync('test/fixtures/reference.safetensors'));
const tmp = () => mkdtempSync(join(tmpdir(), 'genlab-io-'));

/** The tensors test/fixtures/reference.safetensors holds (built by hand from the reference serialiser's rules). */
function referenceTensors(): Record<string, T.Tensor> {
  return {
    weight: T.tensor([[1, 2], [3, 4]]),
    bias: T.tensor([1, -2, 0.25]),
    steps: T.tensor(new Int32Array([-7]), { shape: [] }),
    mask: T.tensor([true, false, true]),
    'conv.weight': T.tensor(new Float64Array([0.5, -1.25]), { shape: [1, 1, 1, 2] }),
  };
}

/** A safetensors file assembled field by field, as PyTorch's save_file lays it out, with any header. */
function handBuilt(header: Record<string, unknown>, data: Uint8Array): Uint8Array {
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
  padded.set(json);
  json = padded;
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function concatBytes(...parts: ArrayBufferView[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
    at += p.byteLength;
  }
  return out;
}

describe('safetensors', () => {
  it('writes the reference layout byte for byte', async () => {
    const bytes = await io.serializeSafetensors(referenceTensors(), { format: 'pt' });
    expect(Buffer.from(bytes).equals(Buffer.from(fixture()))).toBe(true);
  });

  it('reads the fixture back with dtypes, shapes and metadata', () => {
    const { tensors, metadata } = io.parseSafetensors(fixture());
    expect(metadata).toEqual({ format: 'pt' });
    expect(Object.keys(tensors).sort()).toEqual(['bias', 'conv.weight', 'mask', 'steps', 'weight']);
    expect(tensors['conv.weight']!.dtype).toBe('float64');
    expect(Array.from(tensors['conv.weight']!.dataSync())).toEqual([0.5, -1.25]);
    expect(tensors.steps!.shape).toEqual([]);
    expect(Array.from(tensors.steps!.dataSync())).toEqual([-7]);
    expect(tensors.mask!.dtype).toBe('bool');
    expect(Array.from(tensors.mask!.dataSync())).toEqual([1, 0, 1]);
    expect(tensors.weight!.shape).toEqual([2, 2]);
  });

  it('loads a PyTorch-written state dict (I64 counter, F16 weights) into a module', () => {
    // torch: nn.Sequential(nn.Linear(3, 2).half(), nn.BatchNorm1d(2)); save_file(model.state_dict(), ..., metadata={"format": "pt"})
    const f16 = (values: number[]) => Uint16Array.from(values, (v) => ({ 0: 0x0000, 1: 0x3c00, [-2]: 0xc000, 0.5: 0x3800, 0.25: 0x3400 })[v]!);
    const w = f16([1, -2, 0.5, 0, 0.25, 1]);
    const b = f16([0.5, -2]);
    const header = {
      __metadata__: { format: 'pt' },
      '1.num_batches_tracked': { dtype: 'I64', shape: [], data_offsets: [0, 8] },
      '1.bias': { dtype: 'F32', shape: [2], data_offsets: [8, 16] },
      '1.running_mean': { dtype: 'F32', shape: [2], data_offsets: [16, 24] },
      '1.running_var': { dtype: 'F32', shape: [2], data_offsets: [24, 32] },
      '1.weight': { dtype: 'F32', shape: [2], data_offsets: [32, 40] },
      '0.bias': { dtype: 'F16', shape: [2], data_offsets: [40, 44] },
      '0.weight': { dtype: 'F16', shape: [2, 3], data_offsets: [44, 56] },
    };
    const data = concatBytes(new BigInt64Array([12n]), new Float32Array([0.1, 0.2]), new Float32Array([1, 2]), new Float32Array([3, 4]), new Float32Array([5, 6]), b, w);
    const dir = tmp();
    writeFileSync(join(dir, 'torch.safetensors'), handBuilt(header, data));

    const model = new nn.Sequential(new nn.Linear(3, 2), new nn.BatchNorm1d(2));
    const { tensors } = loadSafetensors(join(dir, 'torch.safetensors'));
    model.loadStateDict(tensors);
    const linear = model.at(0) as nn.Linear;
    const bn = model.at(1) as nn.BatchNorm1d;
    expect(Array.from(linear.weight.dataSync())).toEqual([1, -2, 0.5, 0, 0.25, 1]);
    expect(Array.from(linear.bias!.dataSync())).toEqual([0.5, -2]);
    expect(Array.from(bn.numBatchesTracked!.dataSync())).toEqual([12]);
    expect(bn.numBatchesTracked!.dtype).toBe('int32');
    expect(Array.from(bn.runningVar!.dataSync())).toEqual([3, 4]);
  });

  it('rejects a truncated file and header lies with clear errors', () => {
    const bytes = fixture();
    const parse = (b: Uint8Array) => () => io.parseSafetensors(b, { source: 'ckpt.safetensors' });
    expect(parse(bytes.subarray(0, bytes.length - 1))).toThrow(/ckpt\.safetensors: .*tensor data is 51 bytes but the file holds 50 \(truncated\)/);
    expect(parse(bytes.subarray(0, 100))).toThrow(/header claims 344 bytes .*truncated/);
    expect(parse(bytes.subarray(0, 5))).toThrow(/fewer than the 8-byte header length/);
    expect(parse(concatBytes(bytes, new Uint8Array([0])))).toThrow(/1 bytes after the last tensor/);

    const lie = (entry: Record<string, unknown>, size: number) => handBuilt({ w: entry }, new Uint8Array(size));
    expect(parse(lie({ dtype: 'F32', shape: [3, 3], data_offsets: [0, 16] }, 16))).toThrow(/'w' of shape \[3, 3\] and dtype F32 needs 36 bytes but data_offsets \[0, 16\] span 16/);
    expect(parse(lie({ dtype: 'F33', shape: [1], data_offsets: [0, 4] }, 4))).toThrow(/dtype "F33"/);
    expect(parse(lie({ dtype: 'F32', shape: [1], data_offsets: [4, 8] }, 8))).toThrow(/gap or overlap/);
    expect(parse(lie({ dtype: 'F32', shape: [-1], data_offsets: [0, 4] }, 4))).toThrow(/has shape \[-1\]/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 40n, true);
    expect(parse(huge)).toThrow(/over the 100000000-byte limit/);
    const notJson = handBuilt({}, new Uint8Array(0));
    notJson.set(new TextEncoder().encode('{"a":'), 8);
    expect(parse(notJson)).toThrow(/not JSON/);
  });

  it('leaves an existing file intact when a write fails, and says which file is missing', async () => {
    const dir = tmp();
    const path = join(dir, 'm.safetensors');
    await saveSafetensors(path, { a: T.ones([2]) });
    const before = readFileSync(path);
    await expect(saveSafetensors(path, { '': T.ones([2]) })).rejects.toThrow(/cannot be a tensor name/);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(() => loadSafetensors(join(dir, 'nope.safetensors'))).toThrow(/no file at .*nope\.safetensors/);
  });
});

/** An IDX file: magic, dims (big-endian u32), then the values. */
function idx(type: number, shape: number[], values: Uint8Array): Uint8Array {
  const head = new Uint8Array(4 + 4 * shape.length);
  const view = new DataView(head.buffer);
  head[2] = type;
  head[3] = shape.length;
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  return concatBytes(head, values);
}

describe('IDX files and datasets', () => {
  const images = Uint8Array.from({ length: 5 * 4 * 3 }, (_, i) => (i * 37) % 256);
  const labels = Uint8Array.from([3, 1, 4, 1, 5]);

  it('parses u8 images and big-endian floats', () => {
    const parsed = io.parseIdx(idx(0x08, [5, 4, 3], images));
    expect(parsed.shape).toEqual([5, 4, 3]);
    expect(Array.from(parsed.data)).toEqual(Array.from(images));
    const f = new Uint8Array(8);
    new DataView(f.buffer).setFloat32(0, 1.5, false);
    new DataView(f.buffer).setFloat32(4, -2, false);
    expect(Array.from(io.parseIdx(idx(0x0d, [2], f)).data)).toEqual([1.5, -2]);
  });

  it('rejects files that are not IDX or are truncated', () => {
    const good = idx(0x08, [5, 4, 3], images);
    expect(() => io.parseIdx(good.subarray(0, good.length - 1), 'x.idx')).toThrow(/x\.idx: not an IDX file: shape \[5, 4, 3\] of u8 needs 76 bytes, the file has 75 \(truncated\)/);
    expect(() => io.parseIdx(gzipSync(good))).toThrow(/gzip file that was not decompressed/);
    expect(() => io.parseIdx(idx(0x07, [1], new Uint8Array(1)))).toThrow(/unknown element type code 0x7/);
  });

  it('loads an MNIST-layout directory (raw and gzip) as images in [0, 1] with labels', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(idx(0x08, [5, 4, 3], images)));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx(0x08, [5], labels));
    const data = loadIdxDirectory(dir, { limit: 4 });
    expect(data.images.shape).toEqual([4, 1, 4, 3]);
    expect(data.images.dataSync()[1]).toBeCloseTo(37 / 255, 6);
    expect(Array.from(data.labels!.dataSync())).toEqual([3, 1, 4, 1]);
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx(0x08, [4], labels.subarray(0, 4)));
    expect(() => loadIdxDirectory(dir)).toThrow(/5 images but labels of shape \[4\]/);
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(idx(0x08, [5, 4, 3], images)).subarray(0, 30));
    expect(() => loadIdxDirectory(dir)).toThrow(/does not decompress/);
  });

  it('Fashion-MNIST: loads from a directory, and says how to install it when missing', () => {
    const missing = join(tmp(), 'fashion');
    expect(() => loadFashionMnist({ dir: missing })).toThrow(/apt-get install dataset-fashion-mnist/);
    mkdirSync(missing);
    writeFileSync(join(missing, 't10k-images-idx3-ubyte.gz'), gzipSync(idx(0x08, [5, 4, 3], images)));
    writeFileSync(join(missing, 't10k-labels-idx1-ubyte.gz'), gzipSync(idx(0x08, [5], labels)));
    expect(loadFashionMnist({ dir: missing, split: 'test' }).images.shape).toEqual([5, 1, 4, 3]);
    expect(() => loadFashionMnist({ dir: missing })).toThrow(/no train-images-idx3-ubyte\[\.gz\]/);
  });
});

describe('DataLoader', () => {
  const n = 10;
  const dataset = {
    images: T.tensor(Float32Array.from({ length: n * 4 }, (_, i) => Math.floor(i / 4) / 10), { shape: [n, 1, 2, 2] }),
    labels: T.tensor(Int32Array.from({ length: n }, (_, i) => i), { shape: [n] }),
  };
  const labelsOf = (b: io.Batch) => Array.from(b.labels!.dataSync());

  it('batches in order, keeps or drops the last partial batch', () => {
    const loader = new io.DataLoader(dataset, { batchSize: 4, device: 'cpu' });
    expect(loader.length).toBe(3);
    expect([...loader].map(labelsOf)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(new io.DataLoader(dataset, { batchSize: 4, dropLast: true, device: 'cpu' }).length).toBe(2);
  });

  it('shuffles by seed and epoch: a permutation, reproducible, different per epoch', () => {
    const make = () => new io.DataLoader(dataset, { batchSize: 5, shuffle: true, seed: 7, device: 'cpu' });
    const a = make();
    const epoch0 = [...a].flatMap(labelsOf);
    const epoch1 = [...a].flatMap(labelsOf);
    expect([...epoch0].sort((x, y) => x - y)).toEqual([...Array(n).keys()]);
    expect(epoch1).not.toEqual(epoch0);
    expect([...make()].flatMap(labelsOf)).toEqual(epoch0);
    expect(labelsOf(make().batch(1, 1))).toEqual(epoch1.slice(5));
    const images = make().batch(0, 0).images.dataSync();
    expect(images[0]).toBeCloseTo(epoch0[0]! / 10, 6);
  });

  it('applies transforms on the batch: [-1, 1], binarise, noise', () => {
    const first = (transform: io.transforms.Transform) => new io.DataLoader(dataset, { batchSize: 10, device: 'cpu', transform }).batch(0, 0).images;
    expect(Array.from(first(io.transforms.toSymmetric()).dataSync()).filter((_, i) => i % 4 === 0)).toEqual(
      Array.from({ length: n }, (_, i) => Math.fround(i / 5 - 1)).map((v) => expect.closeTo(v, 6)),
    );
    expect(new Set(first(io.transforms.binarize(0.45)).dataSync())).toEqual(new Set([0, 1]));
    const noisy = first(io.transforms.compose(io.transforms.gaussianNoise(0.1), io.transforms.toSymmetric()));
    expect(T.mean(T.abs(T.sub(noisy, first(io.transforms.toSymmetric())))).dataSync()[0]).toBeGreaterThan(0.05);
  });

  it('frees the batches it hands out (using)', () => {
    const loader = new io.DataLoader(dataset, { batchSize: 3, device: 'cpu', transform: io.transforms.toSymmetric() });
    const before = heldTensors();
    for (const batch of loader) {
      using b = batch;
      expect(b.images.shape[1]).toBe(1);
    }
    expect(heldTensors()).toBe(before);
  });
});

describe('image grids', () => {
  it('tiles images with padding and value range into a PNG', async () => {
    const dir = tmp();
    const images = T.reshape(T.linspace(-1, 1, 3 * 4 * 5), [3, 1, 4, 5]);
    const grid = await io.imageGrid(images, { nrow: 2, padding: 1, range: [-1, 1], padValue: 1 });
    expect([grid.width, grid.height, grid.channels]).toEqual([2 * 6 + 1, 2 * 5 + 1, 1]);
    expect(grid.data[0]).toBe(255);
    expect(grid.data[1 * grid.width + 1]).toBe(0);
    const path = join(dir, 'grid.png');
    await saveImageGrid(path, images, { nrow: 2, padding: 1, range: [-1, 1] });
    const png = decode(readFileSync(path));
    expect([png.width, png.height, png.channels]).toEqual([13, 11, 1]);
    expect(existsSync(`${path}.tmp-${process.pid}`)).toBe(false);
  });
});
