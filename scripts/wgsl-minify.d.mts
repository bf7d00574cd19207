// Types of wgsl-minify.mjs, for the TypeScript configs that import it.
export function minifyWgsl(source: string): string;
export const wgslMinifiedPlugin: { name: string; setup(build: unknown): void };
