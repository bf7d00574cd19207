// Shrinks a composed WGSL kernel for the published bundles: `//` comments, indentation and
// trailing spaces go, every line stays (a compile error keeps its line number). WGSL has no
// string literals, so `//` always starts a comment. The bundles' kernels were 188 kB of text.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { composeWgsl } from './wgsl-compose.mjs';

export function minifyWgsl(source) {
  return source
    .split('\n')
    .map((line) => {
      const comment = line.indexOf('//');
      return (comment >= 0 ? line.slice(0, comment) : line).trim();
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
