/** The op API: one module per family; this file only re-exports. */
export * from './core.js';
export * from './creation.js';
export * from './elementwise.js';
export * from './reduce.js';
export * from './shapeops.js';
export * from './matmul.js';
export * from './device.js';
