// Types of wgsl-compose.mjs, for the TypeScript configs that import it.
export function usesOf(text: string): string[];
export function composeWgsl(path: string, read?: (path: string) => string): { source: string; files: string[] };
export const wgslEsbuildPlugin: { name: string; setup(build: unknown): void };
