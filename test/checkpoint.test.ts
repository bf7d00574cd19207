// Checkpoints: the generation layout, kills at random instants (kill -9 of a process saving in a
// loop), checksums that catch a flipped bit, corrupt metadata as FormatError, and checkpoints
// written before generations still loading.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import * as io from '../src/io/index.js';
import { FormatError } from '../src/io/index.js';
import { hasCheckpoint, loadCheckpoint, loadSafetensors, readCheckpointInfo, resolveCheckpoint, saveCheckpoint } from '../src/node.js';
import { agreedStep, fill, makeParts } from './setup/checkpoint-writer.js';
import { heldTensors } from './setup/memory.js';
import { wgslEsbuildPlugin } from '../scripts/wgsl-compose.mjs';

function expectNoLeaks(fn: () => void): void {
  const before = heldTensors();
  fn();
  expect(heldTensors()).toBe(before);
}

const tmp = () => mkdtempSync(join(tmpdir(), 'genlab-ckpt-'));
const generations = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('step-')).sort();

async function saveStep(dir: string, step: number): Promise<void> {
  const parts = makeParts();
  fill(parts, step);
  await saveCheckpoint(dir, { module: parts.module, optimizers: { adam: parts.adam }, trainingState: { step } });
  parts.module.dispose();
  parts.adam.dispose();
}

async function loadStep(dir: string): Promise<number> {
  const parts = makeParts();
  try {
    const { trainingState } = loadCheckpoint(dir, { module: parts.module, optimizers: { adam: parts.adam } });
    await agreedStep(parts, trainingState.step);
    return trainingState.step;
  } finally {
    parts.module.dispose();
    parts.adam.dispose();
  }
}

describe('checkpoint layout', () => {
  it('each save is one new generation named by the pointer; the old one and orphans go after the commit', async () => {
    const dir = join(tmp(), 'ckpt');
    await saveStep(dir, 1);
    const [first] = generations(dir);
    expect(JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'))).toMatchObject({ generation: first, step: 1 });
    // Leftovers of a killed run (pid 999999999 is not alive): a generation, a pointer temporary, an old-style temporary.
    mkdirSync(join(dir, 'step-000002-p999999999-0badc0de'));
    writeFileSync(join(dir, 'checkpoint.json.tmp-999999999-12345678'), '{');
    writeFileSync(join(dir, 'model.safetensors.tmp-999999999'), 'half');
    await saveStep(dir, 2);
    const [second] = generations(dir);
    expect(readdirSync(dir).sort()).toEqual(['checkpoint.json', 'model.safetensors', 'optimizer.safetensors', second].sort());
    expect(second).not.toBe(first);
    expect(await loadStep(dir)).toBe(2);
    // The files under the plain names are the current generation's (for tools that know only them).
    expect(readFileSync(join(dir, 'model.safetensors')).equals(readFileSync(join(dir, second!, 'model.safetensors')))).toBe(true);
    expect(resolveCheckpoint(join(dir, 'model.safetensors')).model).toBe(join(dir, 'model.safetensors'));
    expect(readCheckpointInfo(join(dir, second!)).trainingState.step).toBe(2);
  });

  it('a checkpoint written before generations loads, and a save into it converts it', async () => {
    const dir = join(tmp(), 'old');
    cpSync('test/fixtures/checkpoint-before-generations', dir, { recursive: true });
    const model = new T.nn.Linear(3, 2);
    const adam = new (await import('../src/optim/index.js')).Adam(model.parameters(), { lr: 0.1 });
    const { trainingState, metadata } = loadCheckpoint(dir, { module: model, optimizers: { adam } });
    expect(trainingState).toEqual({ step: 2, note: 'written before generations' });
    expect(metadata['genlab.model']).toBe('linear-fixture');
    const weight = Array.from(model.parameters()[0]!.dataSync());
    expect(weight[0]).toBeCloseTo(0.7120878100395203, 7);
    await saveCheckpoint(dir, { module: model, optimizers: { adam }, trainingState: { step: 3 } });
    expect(existsSync(join(dir, 'checkpoint.json'))).toBe(true);
    expect(readCheckpointInfo(dir).trainingState.step).toBe(3);
    model.dispose();
    adam.dispose();
  });
});

describe('checksums', () => {
  it('a flipped bit in a tensor is a FormatError naming the tensor; in the metadata, one saying so', async () => {
    const dir = join(tmp(), 'ckpt');
    await saveStep(dir, 5);
    const file = resolveCheckpoint(dir).model;
    const bytes = new Uint8Array(readFileSync(file));
    const dataStart = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const flipped = (at: number) => {
      const copy = bytes.slice();
      copy[at]! ^= 0x10;
      return copy;
    };
    // The data is ordered by name within a dtype: bias first, then weight.
    const parse = (b: Uint8Array) => () => io.parseSafetensors(b, { source: 'model.safetensors' });
    expect(parse(flipped(dataStart + 3))).toThrow(FormatError);
    expect(parse(flipped(dataStart + 3))).toThrow(/model\.safetensors: tensor 'bias' does not match its checksum/);
    expect(parse(flipped(bytes.length - 1))).toThrow(/tensor 'weight' does not match its checksum/);
    const text = new TextDecoder().decode(bytes.subarray(8, dataStart));
    expect(parse(flipped(8 + text.indexOf('"genlab.step":"5"') + 15))).toThrow(/metadata strings do not match their checksum/);
    // Unchanged bytes load, and the library's loaders verify too.
    expect(Object.keys(io.parseSafetensors(bytes).tensors).sort()).toEqual(['bias', 'weight']);
    writeFileSync(file, flipped(dataStart + 3));
    await expect(loadStep(dir)).rejects.toThrow(/tensor 'bias' does not match its checksum/);
  });

  it('saveSafetensors writes checksums that loadSafetensors verifies; files without them still load', async () => {
    const path = join(tmp(), 'a.safetensors');
    const a = T.arange(10);
    await io.serializeSafetensors({ a }); // no checksum unless asked
    const { saveSafetensors } = await import('../src/node.js');
    await saveSafetensors(path, { a });
    expect(loadSafetensors(path).metadata['genlab.checksum']).toMatch(/checksum64/);
    await saveSafetensors(path, { a }, undefined, { checksum: false });
    expect(loadSafetensors(path).metadata['genlab.checksum']).toBeUndefined();
    a.dispose();
  });
});

describe('corrupt checkpoint metadata is a FormatError', () => {
  // Written without checksums (as a hand-edited or foreign file would be), so only the metadata checks can catch them.
  async function writeLegacy(dir: string, model: Record<string, string>, optimizer: Record<string, string>): Promise<void> {
    mkdirSync(dir, { recursive: true });
    const w = T.zeros([2, 3]);
    writeFileSync(join(dir, 'model.safetensors'), await io.serializeSafetensors({ weight: w, bias: T.zeros([2]) }, { 'genlab.step': '1', ...model }));
    writeFileSync(join(dir, 'optimizer.safetensors'), await io.serializeSafetensors({}, { 'genlab.step': '1', ...optimizer }));
    w.dispose();
  }
  const cases: [string, Record<string, string>, Record<string, string>, RegExp][] = [
    ['step "abc"', { 'genlab.step': 'abc' }, { 'genlab.step': 'abc' }, /step is "abc", not a step count/],
    ['training state not JSON', {}, { 'genlab.training_state': '{"step": 1' }, /'genlab\.training_state' is not valid JSON/],
    ['training step "abc"', {}, { 'genlab.training_state': '{"step":"abc"}' }, /step is "abc"/],
    ['param_groups not JSON', {}, { 'genlab.training_state': '{"step":1}', 'adam.param_groups': '[{', 'adam.steps': '{}' }, /'adam\.param_groups' is not valid JSON/],
    ['param_groups not groups', {}, { 'genlab.training_state': '{"step":1}', 'adam.param_groups': '{"lr":1}', 'adam.steps': '{}' }, /param_groups .* not a list of groups/],
    ['an option that is an object', {}, { 'genlab.training_state': '{"step":1}', 'adam.param_groups': '[{"params":[0,1],"lr":{"x":1}}]', 'adam.steps': '{}' }, /option lr = \{"x":1\}/],
    ['steps not counts', {}, { 'genlab.training_state': '{"step":1}', 'adam.param_groups': '[{"params":[0,1],"lr":0.1}]', 'adam.steps': '{"0":"x"}' }, /step counts/],
  ];
  for (const [name, model, optimizer, message] of cases) {
    it(name, async () => {
      const dir = join(tmp(), 'bad');
      await writeLegacy(dir, model, optimizer);
      const module = new T.nn.Linear(3, 2);
      const adam = new (await import('../src/optim/index.js')).Adam(module.parameters(), { lr: 0.1 });
      const before = Array.from(module.parameters()[0]!.dataSync());
      expectNoLeaks(() => {
        expect(() => loadCheckpoint(dir, { module, optimizers: { adam } })).toThrow(FormatError);
        expect(() => loadCheckpoint(dir, { module, optimizers: { adam } })).toThrow(message);
      });
      // Nothing was loaded into the module before the error.
      expect(Array.from(module.parameters()[0]!.dataSync())).toEqual(before);
      module.dispose();
    });
  }
  it('a corrupt pointer file is a FormatError', async () => {
    const dir = join(tmp(), 'ckpt');
    await saveStep(dir, 1);
    writeFileSync(join(dir, 'checkpoint.json'), '{"format":"genlab.checkpoint/1","generation":"../../etc"}');
    expect(() => readCheckpointInfo(dir)).toThrow(/checkpoint\.json: not a genlab\.checkpoint\/1 pointer/);
    writeFileSync(join(dir, 'checkpoint.json'), '{"format"');
    expect(() => readCheckpointInfo(dir)).toThrow(FormatError);
  });
});

/** Start a writer process on `dir`; resolves when it is killed or exits, with its output and the last step it reported saved. */
/**
 * `after`: the line the kill is timed from, 'resumed' (the writer is up: the kill may land before,
 * inside or after its first save) or 'saved' (a first save committed: the kill lands in a later one).
 */
function killedWriter(script: string, dir: string, after: 'resumed' | 'saved', killAfterMs: number): Promise<{ out: string; saved: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, CHECKPOINT_WRITER_DIR: dir };
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let saved = -1;
    let timer: NodeJS.Timeout | undefined;
    const take = (chunk: Buffer) => {
      out += chunk.toString();
      for (const m of out.matchAll(/saved (\d+)/g)) saved = Math.max(saved, Number(m[1]));
      // Time the kill from the first line: startup time varies with the machine's load.
      if (!timer && new RegExp(`${after} \\d+`).test(out)) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ out, saved, code });
    });
  });
}

describe('kill -9 at random instants', () => {
  it('after every kill the latest committed checkpoint loads, consistent, and the next run resumes from it', async () => {
    // One bundle (as the library build makes), so each writer starts in a fraction of a second.
    const script = join(tmp(), 'writer.mjs');
    await esbuild.build({
      entryPoints: ['test/setup/checkpoint-writer.ts'], bundle: true, format: 'esm', platform: 'node', target: 'node20',
      plugins: [wgslEsbuildPlugin], external: ['webgpu'], outfile: script, logLevel: 'warning',
    });
    const dir = join(tmp(), 'ckpt');
    let seed = 2026;
    const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    let kills = 0;
    let last = 0;
    let committedBefore = 0;
    // A writer starts in about a second and saves in ~0.3 s on a loaded 2-core machine (several times that under heavy load).
    while (kills < 12) {
      const r = await killedWriter(script, dir, kills % 2 === 0 ? 'resumed' : 'saved', random() * 800);
      // Exit status 3: the writer could not load the checkpoint the previous one left.
      expect(r.code, r.out).toBe(null);
      expect(r.out).toContain(`resumed ${last}`);
      kills++;
      if (r.saved > 0) committedBefore++;
      if (!hasCheckpoint(dir)) {
        // Killed before its first save committed.
        expect(r.saved).toBe(-1);
        continue;
      }
      last = await loadStep(dir);
      expect(last).toBeGreaterThanOrEqual(Math.max(r.saved, 0));
      // Orphans of the killed writer are at most one generation (removed by the next save).
      expect(generations(dir).length).toBeLessThanOrEqual(2);
    }
    console.log(`kill -9 loop: ${kills} kills, ${committedBefore} after at least one save, ${last} steps saved in all`);
    expect(committedBefore).toBeGreaterThanOrEqual(6);
  }, 300_000);
});
