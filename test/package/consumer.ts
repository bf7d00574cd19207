// A fresh consumer project around the packed tarball: the package unpacked into its node_modules
// (as `npm install ./genlab-tensor-*.tgz` lays it out), its dependencies linked from this
// repository's node_modules (no network), and source files that use every exported type.
import { execFile, execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';

export const ENTRIES = { T: '@genlab/tensor', N: '@genlab/tensor/node', M: '@genlab/tensor/models' } as const;

/** Builds the package (JS and declarations), packs it, and returns the tarball's path. */
export function buildAndPack(): string {
  const node = process.execPath;
  execFileSync(node, ['node_modules/tsup/dist/cli-default.js', '--silent'], { stdio: 'pipe' });
  execFileSync(node, ['scripts/build-types.mjs'], { stdio: 'pipe' });
  const dir = mkdtempSync(join(tmpdir(), 'genlab-pack-'));
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { encoding: 'utf8' });
  return join(dir, (JSON.parse(out) as { filename: string }[])[0]!.filename);
}

/** A project directory whose node_modules holds the unpacked tarball and links to its dependencies. */
export function installTarball(tarball: string): string {
  const project = mkdtempSync(join(tmpdir(), 'genlab-consumer-'));
  const pkgDir = join(project, 'node_modules/@genlab/tensor');
  mkdirSync(pkgDir, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', pkgDir, '--strip-components=1']);
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
  // The dependencies npm would install (optional peers such as `webgpu` are left out, as a
  // browser-only consumer leaves them out), and the consumer's own @types/node.
  const wanted = [...Object.keys(manifest.dependencies ?? {}), '@types/node'];
  for (const name of wanted) {
    const from = resolve('node_modules', name);
    const to = join(project, 'node_modules', name);
    mkdirSync(join(to, '..'), { recursive: true });
    symlinkSync(from, to, 'dir');
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  return project;
}

interface ExportedType {
  path: string;
  typeParams: number;
}

/** Every exported type (interface, alias, class, enum) of an entry, namespaces walked, with its arity. */
export function exportedTypes(project: string, specifier: string): ExportedType[] {
  const entry = join(project, 'entry.ts');
  writeFileSync(entry, `export * from '${specifier}';\n`);
  const program = ts.createProgram([entry], { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, noEmit: true });
  const checker = program.getTypeChecker();
  const found: ExportedType[] = [];
  const walk = (moduleSymbol: ts.Symbol, prefix: string, seen: Set<ts.Symbol>): void => {
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const path = prefix + exported.name;
      if (symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias | ts.SymbolFlags.Class | ts.SymbolFlags.Enum)) {
        const declaration = symbol.declarations?.[0] as ts.InterfaceDeclaration | ts.TypeAliasDeclaration | ts.ClassDeclaration | undefined;
        found.push({ path, typeParams: declaration?.typeParameters?.length ?? 0 });
      }
      if (symbol.flags & ts.SymbolFlags.ValueModule && !seen.has(symbol)) walk(symbol, `${path}.`, new Set([...seen, symbol]));
    }
  };
  walk(checker.getSymbolAtLocation(program.getSourceFile(entry)!)!, '', new Set());
  return found;
}

/** Source that names every type through its namespace, plus a few values, for one module system. */
export function usageSource(types: Record<keyof typeof ENTRIES, ExportedType[]>): string {
  const lines = Object.entries(ENTRIES).map(([alias, spec]) => `import * as ${alias} from '${spec}';`);
  let n = 0;
  for (const [alias, list] of Object.entries(types)) {
    for (const { path, typeParams } of list) {
      const args = typeParams ? `<${Array(typeParams).fill('any').join(', ')}>` : '';
      lines.push(`export type U${n++} = ${alias}.${path}${args};`);
    }
  }
  lines.push(
    'export const x: T.Tensor = T.add(T.tensor([1, 2]), 1);',
    'export const layer: T.nn.Layer = new T.nn.Linear(2, 3);',
    "export const opts: T.nn.LayerOptions = { device: 'cpu', dtype: 'float32' };",
    'export const group: T.optim.ParamGroup<T.optim.AdamOptions> | undefined = new T.optim.Adam(layer.parameters()).paramGroups[0];',
    'export const saved: Promise<void> = N.saveSafetensors("w.safetensors", {});',
    'export const names: string[] = M.listModels().map((m) => m.name);',
  );
  return `${lines.join('\n')}\n`;
}

/** Runs tsc on a tsconfig in the project: its diagnostics ('' when clean) and the files it read. */
export async function typecheck(project: string, name: string, compilerOptions: Record<string, unknown>, files: string[]): Promise<{ errors: string; files: string[] }> {
  const options = { strict: true, noEmit: true, skipLibCheck: false, target: 'es2022', ...compilerOptions };
  writeFileSync(join(project, name), JSON.stringify({ compilerOptions: options, files }, null, 2));
  let output: string;
  try {
    output = (await promisify(execFile)(process.execPath, [resolve('node_modules/typescript/bin/tsc'), '-p', name, '--listFiles'], { cwd: project })).stdout;
  } catch (err) {
    output = String((err as { stdout?: string }).stdout ?? err);
  }
  const lines = output.split('\n');
  return { errors: lines.filter((l) => !l.startsWith('/')).join('\n').trim(), files: lines.filter((l) => l.startsWith('/')) };
}

export interface BundleSizes {
  /** One minified file (esbuild without code splitting): everything the program can reach. */
  single: number;
  /** With code splitting: the entry chunk and the chunks it imports statically, what a page loads first. */
  initial: number;
  /** With code splitting: every chunk, the dynamically imported ones (initWebGPU, initWasm) included. */
  total: number;
}

/** Minified sizes in bytes of browser bundles of `source` (an ES module importing the package), made in the project. */
export async function bundleSizes(project: string, source: string): Promise<BundleSizes> {
  const bundle = (splitting: boolean) => build({
    stdin: { contents: source, resolveDir: project, loader: 'js' },
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    logLevel: 'silent',
    metafile: true,
    splitting,
    outdir: join(project, 'bundle-out'),
  });
  const [one, split] = await Promise.all([bundle(false), bundle(true)]);
  const outputs = split.metafile.outputs;
  const entry = Object.keys(outputs).find((path) => outputs[path]!.entryPoint)!;
  const loaded = new Set<string>();
  const visit = (path: string): void => {
    if (loaded.has(path)) return;
    loaded.add(path);
    for (const { path: next, kind } of outputs[path]!.imports) if (kind === 'import-statement') visit(next);
  };
  visit(entry);
  const bytes = (paths: Iterable<string>) => [...paths].reduce((sum, path) => sum + outputs[path]!.bytes, 0);
  return { single: one.outputFiles[0]!.contents.byteLength, initial: bytes(loaded), total: bytes(Object.keys(outputs)) };
}

/** Runs a Node script in the project (`.mjs` or `.cjs`), returning its standard output. */
export async function runInProject(project: string, file: string, source: string): Promise<string> {
  writeFileSync(join(project, file), source);
  return (await promisify(execFile)(process.execPath, [file], { cwd: project })).stdout;
}
