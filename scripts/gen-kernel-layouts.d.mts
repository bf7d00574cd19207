// Types of gen-kernel-layouts.mjs.
export function generateLayoutsModule(): string;
