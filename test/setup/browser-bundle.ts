// The library bundled for a headless-Chromium test page, as the package build bundles it.
import { build } from 'esbuild';
import { wgslEsbuildPlugin } from '../../scripts/wgsl-compose.mjs';

/** `entryPoint` bundled as one ES module for the browser; returns its JavaScript. */
export async function bundleForBrowser(entryPoint: string): Promise<string> {
  const bundle = await build({
    entryPoints: [entryPoint],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // Kernels inlined as text with their kernels/lib functions appended, as in the package build.
    plugins: [wgslEsbuildPlugin],
    // The Node WebGPU provider is only imported when navigator.gpu is missing; the browser has it.
    external: ['webgpu'],
  });
  return bundle.outputFiles[0]!.text;
}
