// Composes a WGSL kernel: the file's own text, then every kernels/lib file it names on a
// `// uses: math, stream` line (libraries may name others; each is appended once). WGSL allows a
// function to be used before its declaration, so the kernel comes first and its compile errors
// keep their line numbers. Shared by every loader: vitest, the Node hooks, tsup and the bench's
// esbuild, so the library is assembled the same way when sources run directly and when bundled.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const USES = /^\/\/ uses: (.+)$/gm;

/** Names of the lib files a WGSL text asks for, in order of appearance. */
export function usesOf(text) {
  const names = [];
  for (const m of text.matchAll(USES)) {
    for (const name of m[1].split(',')) names.push(name.trim());
  }
  return names;
}

/** Library directory of a kernel file: kernels/lib (also for a file already inside it). */
function libDir(path) {
  const dir = dirname(path);
  return dir.endsWith('/lib') || dir.endsWith('\\lib') ? dir : join(dir, 'lib');
}

/** The kernel's text followed by its libraries; `files` lists every file read (for watchers). */
export function composeWgsl(path, read = (p) => readFileSync(p, 'utf8')) {
  const text = read(path);
  const lib = libDir(path);
  const seen = new Set();
  const parts = [text];
  const files = [path];
  const visit = (names, from) => {
    for (const name of names) {
      if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`${from}: bad WGSL library name '${name}' on a 'uses:' line`);
      if (seen.has(name)) continue;
      seen.add(name);
      const file = join(lib, `${name}.wgsl`);
      let body;
      try {
        body = read(file);
      } catch {
        throw new Error(`${from}: uses the WGSL library '${name}', but ${file} does not exist`);
      }
      files.push(file);
      parts.push(`\n// ---- kernels/lib/${name}.wgsl ----\n${body}`);
      visit(usesOf(body), file);
    }
  };
  visit(usesOf(text), path);
  return { source: parts.join(''), files };
}

/** esbuild plugin: `.wgsl` imports as their composed text (as the text loader would, plus libs). */
export const wgslEsbuildPlugin = {
  name: 'wgsl-compose',
  setup(build) {
    build.onLoad({ filter: /\.wgsl$/ }, (args) => {
      const { source, files } = composeWgsl(args.path);
      return { contents: source, loader: 'text', watchFiles: files };
    });
  },
};
