// Shrinks a composed WGSL kernel for the published bundles: `//` comments, indentation and
// trailing spaces go, every line stays (a compile error keeps its line number). WGSL has no
// string literals, so `//` always starts a comment. The bundles' kernels were 188 kB of text.
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

/** esbuild plugin: `.wgsl` imports as their composed (kernels/lib appended), minified text. */
export const wgslMinifiedPlugin = {
  name: 'wgsl-compose-minified',
  setup(build) {
    build.onLoad({ filter: /\.wgsl$/ }, (args) => {
      const { source, files } = composeWgsl(args.path);
      return { contents: minifyWgsl(source), loader: 'text', watchFiles: files };
    });
  },
};
