// Shrinks a composed WGSL kernel for the published bundles: `//` comments, indentation and the
// spaces between tokens go, every line stays (a compile error keeps its line number). WGSL has
// no string literals, so `//` always starts a comment. The bundles' kernels were 188 kB of text.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { composeWgsl } from './wgsl-compose.mjs';

// Characters of identifiers, keywords and number literals (`1.5e-3`'s sign follows an `e`, never a space).
const WORD = /[A-Za-z0-9_.]/;
// Characters of operators: two of them side by side could read as one token (`- -x` as `--`,
// `> =` as `>=`), so a space between two of them stays.
const OPERATOR = /[-+*/%<>=!&|^~]/;

/** The space between two tokens, when one is needed to keep them apart. */
function gap(before, after) {
  if (before === undefined || after === undefined) return '';
  if (WORD.test(before) && WORD.test(after)) return ' ';
  if (OPERATOR.test(before) && OPERATOR.test(after)) return ' ';
  return '';
}

export function minifyWgsl(source) {
  return source
    .split('\n')
    .map((line) => {
      const comment = line.indexOf('//');
      const code = comment >= 0 ? line.slice(0, comment) : line;
      return code.replace(/\s+/g, (space, at) => gap(code[at - 1], code[at + space.length]));
    })
    .join('\n');
}

const PART = '?wgsl-part';

/**
 * esbuild plugin: `.wgsl` imports as their composed (kernels/lib appended), minified text. A
 * kernel becomes a module that joins its own text with one module per library file, so a
 * bundle holds each library once, not once per kernel that uses it (33 kB of 123 kB were
 * copies). The joined text is the same as minifying the composed source: minification works
 * line by line, and every appended part starts on a line of its own.
 */
export const wgslMinifiedPlugin = {
  name: 'wgsl-compose-minified',
  setup(build) {
    build.onResolve({ filter: /\?wgsl-part$/ }, (args) => ({ path: args.path.slice(0, -PART.length), namespace: 'wgsl-part' }));
    build.onLoad({ filter: /.*/, namespace: 'wgsl-part' }, (args) => {
      const name = basename(args.path, '.wgsl');
      // The separator line composeWgsl puts before a library's text.
      const body = `\n// ---- kernels/lib/${name}.wgsl ----\n${readFileSync(args.path, 'utf8')}`;
      return { contents: minifyWgsl(body), loader: 'text' };
    });
    build.onLoad({ filter: /\.wgsl$/ }, (args) => {
      const { files } = composeWgsl(args.path);
      const own = minifyWgsl(readFileSync(args.path, 'utf8'));
      const parts = files.slice(1);
      const imports = parts.map((file, i) => `import part${i} from ${JSON.stringify(file + PART)};`);
      const text = [JSON.stringify(own), ...parts.map((_, i) => `part${i}`)].join(' + ');
      return { contents: `${imports.join('\n')}\nexport default ${text};\n`, loader: 'js', watchFiles: files };
    });
  },
};
