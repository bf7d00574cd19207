// Types of wgsl-layout.mjs.
import type { KernelLayout } from '../src/backend/webgpu/pipelines.js';

export function reflectLayout(source: string, kernel: string): KernelLayout;
