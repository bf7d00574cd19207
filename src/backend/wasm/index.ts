export { WasmBackend, type WasmStorage } from './wasm-backend';
export { sharedMemoryAvailable } from './runtime';
